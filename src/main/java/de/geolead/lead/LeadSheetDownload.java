package de.geolead.lead;

/**
 * What fetching a contact's lead sheet gave: the bytes, or why there are none. A missing sheet is
 * {@code temporary} when another try may succeed (5xx, timeout, connection refused, DNS failure).
 * {@code missingReason} is generic (no URL, host, status code or size); {@code detail} is the technical
 * cause (status code or exception class) for DEBUG logs, never the URL.
 */
public record LeadSheetDownload(byte[] bytes, String sourceUrl, String missingReason, boolean temporary, String detail) {

    public static final String NO_REFERENCE = "no PDF reference in the contact";
    public static final String INVALID_REFERENCE = "PDF reference is not a valid URL or path";
    public static final String NOT_ALLOWED = "PDF source not allowed";
    public static final String TEMPORARY = "PDF could not be fetched (temporary)";
    public static final String NOT_FOUND = "PDF not found";
    public static final String REFUSED = "PDF refused";
    public static final String TOO_LARGE = "PDF too large";
    public static final String NOT_A_PDF = "not a PDF";

    public static LeadSheetDownload found(byte[] bytes, String sourceUrl) {
        return new LeadSheetDownload(bytes, sourceUrl, null, false, null);
    }

    /** A sheet that will not appear by asking again (until the contact or the file changes). */
    public static LeadSheetDownload missing(String sourceUrl, String reason, String detail) {
        return new LeadSheetDownload(null, sourceUrl, reason, false, detail);
    }

    /** A sheet that could not be fetched this time: worth another try later. */
    public static LeadSheetDownload temporarilyMissing(String sourceUrl, String detail) {
        return new LeadSheetDownload(null, sourceUrl, TEMPORARY, true, detail);
    }

    public boolean isPresent() {
        return bytes != null;
    }
}
