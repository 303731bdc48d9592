package de.geolead.dialfire;

import de.geolead.lead.LeadSheetDownload;
import de.geolead.lead.LeadSheetPdf;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The judgement behind the route {@code dialfire-lead-sheet}, which downloads a contact's lead sheet with camel-http
 * hop by hop (never following a redirect on its own): {@link #start} turns the contact's reference (an absolute
 * http(s) URL, an {@code /api/…} path or a path in the campaign's resources) into the first hop; {@link #answer}
 * and {@link #failed} judge each hop's answer. Every hop is checked with {@link PdfSources} before it is asked;
 * the token goes only to the Dialfire API itself; at most {@value #MAX_REDIRECTS} redirects; 429 and 5xx are tried
 * again up to {@code GEOLEAD_IMPORT_HTTP_ATTEMPTS} times with backoff. A problem of this one sheet never throws:
 * the result says why it is missing and whether another try may help.
 */
public class LeadSheets {

    public static final int MAX_REDIRECTS = 5;

    private final String baseUrl;
    private final String campaignUrl;
    private final PdfSources sources;
    private final TokenGuard tokenGuard;
    private final int attempts;
    private final Duration backoff;
    private final long maxBytes;

    public LeadSheets(String baseUrl, String campaignId, List<String> pdfHosts, int attempts, Duration backoff, long maxBytes) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.campaignUrl = this.baseUrl + "/api/campaigns/" + encode(campaignId);
        this.sources = new PdfSources(URI.create(this.baseUrl), URI.create(campaignUrl + "/resources/").getRawPath(), pdfHosts);
        this.tokenGuard = new TokenGuard(URI.create(this.baseUrl), "");
        this.attempts = Math.max(1, attempts);
        this.backoff = backoff;
        this.maxBytes = maxBytes;
    }

    public PdfSources sources() {
        return sources;
    }

    /** The path of the campaign's API, {@code /api/campaigns/<id>} with the id encoded. */
    public String campaignPath() {
        return URI.create(campaignUrl).getRawPath();
    }

    /** The first hop for a contact's PDF reference, or a result at once (no reference, not a URL, not allowed). */
    public LeadSheetFetch start(String reference) {
        LeadSheetFetch fetch = new LeadSheetFetch();
        if (reference == null || reference.isBlank()) {
            return fetch.done(LeadSheetDownload.missing(null, LeadSheetDownload.NO_REFERENCE, null));
        }
        String ref = reference.trim();
        URI uri;
        try {
            if (ref.matches("(?i)^https?://.*")) {
                uri = URI.create(ref);
            } else if (ref.startsWith("/api/")) {
                uri = URI.create(baseUrl + ref);
            } else {
                uri = URI.create(campaignUrl + "/resources/" + encodePath(ref));
            }
        } catch (IllegalArgumentException e) {
            return fetch.done(LeadSheetDownload.missing(null, LeadSheetDownload.INVALID_REFERENCE, "unparsable"));
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            // e.g. http:///lead.pdf
            return fetch.done(LeadSheetDownload.missing(null, LeadSheetDownload.INVALID_REFERENCE, "no host"));
        }
        return hop(fetch, uri);
    }

    /** Checks {@code uri} and makes it the next request, or ends with the reason it may not be asked. */
    private LeadSheetFetch hop(LeadSheetFetch fetch, URI uri) {
        String source = uri.toString();
        // camel-http resolves {{…}} in the URI it is given: such a URI could carry a secret away
        if (source.contains("{{") || source.contains("}}")) {
            return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.INVALID_REFERENCE, "placeholder"));
        }
        try {
            if (!sources.allows(uri)) {
                return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.NOT_ALLOWED, "hop " + fetch.hops()));
            }
        } catch (UnknownHostException e) {
            return fetch.done(LeadSheetDownload.temporarilyMissing(source, e.getClass().getSimpleName()));
        }
        return fetch.request(uri, tokenGuard.allows(uri.getScheme(), uri.getHost(), uri.getPort()));
    }

    /**
     * Judges one hop's answer: a redirect becomes the next hop (checked again), 429/5xx the same hop again after a
     * wait (up to the attempts), anything else the result.
     */
    public LeadSheetFetch answer(LeadSheetFetch fetch, Integer status, String location, String retryAfter, byte[] body) {
        URI uri = fetch.target();
        String source = uri.toString();
        int code = status == null ? 0 : status;
        if (isRedirect(code) && location != null && !location.isBlank()) {
            if (fetch.hops() >= MAX_REDIRECTS) {
                return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "too many redirects"));
            }
            URI next;
            try {
                next = uri.resolve(location.trim());
            } catch (IllegalArgumentException e) {
                return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "unusable redirect"));
            }
            if (next.getHost() == null) {
                return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "unusable redirect"));
            }
            fetch.redirected();
            return hop(fetch, next);
        }
        if (code == 429 || code >= 500) {
            if (fetch.attempt() < attempts) {
                return fetch.again(DialfireApi.retryDelay(backoff, fetch.attempt(), retryAfter));
            }
            return fetch.done(LeadSheetDownload.temporarilyMissing(source, "HTTP " + code + " after " + attempts + " attempts"));
        }
        if (code == 404 || code == 410) {
            return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.NOT_FOUND, "HTTP " + code));
        }
        if (code == 408) {
            return fetch.done(LeadSheetDownload.temporarilyMissing(source, "HTTP " + code));
        }
        if (code >= 300 || code < 200) {
            return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "HTTP " + code));
        }
        byte[] bytes = body == null ? new byte[0] : body;
        if (bytes.length > maxBytes) {
            return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.TOO_LARGE, "more than " + maxBytes + " bytes"));
        }
        if (!LeadSheetPdf.looksLikePdf(bytes)) {
            return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.NOT_A_PDF, bytes.length + " bytes without %PDF-"));
        }
        return fetch.done(LeadSheetDownload.found(bytes, source));
    }

    /** Judges a hop that got no answer: too large, an address not allowed, or a transient network failure. */
    public LeadSheetFetch failed(LeadSheetFetch fetch, Exception e) {
        String source = fetch.target() == null ? null : fetch.target().toString();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ResponseGuard.TooLargeException) {
                return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.TOO_LARGE, "more than " + maxBytes + " bytes"));
            }
            if (t instanceof PdfSources.ForbiddenAddressException) {
                return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.NOT_ALLOWED, "address at connect"));
            }
            if (t instanceof IOException) {
                // timeout, connection refused or reset, unknown host: another run may have more luck
                return fetch.done(LeadSheetDownload.temporarilyMissing(source, t.getClass().getSimpleName()));
            }
        }
        return fetch.done(LeadSheetDownload.missing(source, LeadSheetDownload.INVALID_REFERENCE, e.getClass().getSimpleName()));
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Encodes each segment of a resources path, keeping the slashes. */
    private static String encodePath(String path) {
        String trimmed = path.replaceFirst("^/+", "");
        return Arrays.stream(trimmed.split("/")).map(LeadSheets::encode).collect(Collectors.joining("/"));
    }
}
