package de.geolead.dialfire;

import de.geolead.lead.LeadSheetDownload;

import java.net.URI;

/**
 * Where the download of one lead sheet stands in the route {@code dialfire-lead-sheet}: the next request
 * ({@code next} = {@value #REQUEST}: {@code uri}, whether it carries the token, how long to wait first) or the
 * result ({@code next} = {@value #DONE}).
 */
public final class LeadSheetFetch {

    public static final String REQUEST = "request";
    public static final String DONE = "done";

    private String next = REQUEST;
    private URI uri;
    private boolean withToken;
    private long waitMillis;
    private int hops;
    private int attempt;
    private LeadSheetDownload result;

    public String getNext() { return next; }
    public String getUri() { return uri == null ? null : uri.toString(); }
    /** Only a request to the Dialfire API itself carries the campaign token. */
    public boolean isWithToken() { return withToken; }
    public long getWaitMillis() { return waitMillis; }
    public LeadSheetDownload getResult() { return result; }

    URI target() { return uri; }
    int hops() { return hops; }
    int attempt() { return attempt; }

    LeadSheetFetch request(URI target, boolean token) {
        next = REQUEST;
        uri = target;
        withToken = token;
        waitMillis = 0;
        attempt = 1;
        return this;
    }

    LeadSheetFetch again(long wait) {
        next = REQUEST;
        waitMillis = wait;
        attempt++;
        return this;
    }

    void redirected() {
        hops++;
    }

    LeadSheetFetch done(LeadSheetDownload download) {
        next = DONE;
        withToken = false;
        waitMillis = 0;
        result = download;
        return this;
    }
}
