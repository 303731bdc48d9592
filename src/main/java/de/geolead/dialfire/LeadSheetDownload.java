package de.geolead.dialfire;

/**
 * What fetching a contact's lead sheet gave: the bytes, or why there are none
 * (no reference, 404, not a PDF, too large). Transient failures are exceptions, not results.
 */
public record LeadSheetDownload(byte[] bytes, String sourceUrl, String missingReason) {

    public static LeadSheetDownload found(byte[] bytes, String sourceUrl) {
        return new LeadSheetDownload(bytes, sourceUrl, null);
    }

    public static LeadSheetDownload missing(String sourceUrl, String reason) {
        return new LeadSheetDownload(null, sourceUrl, reason);
    }

    public boolean isPresent() {
        return bytes != null;
    }
}
