package de.geolead.lead;

/**
 * What storing one Dialfire contact did.
 *
 * @param leadId     the lead's id
 * @param dialfireId the contact's {@code $id}
 * @param change     {@code created}, {@code refreshed} (newer {@code $version}) or {@code unchanged}
 * @param status     the lead's status afterwards ({@code pending}, {@code unroutable}, {@code pdf_missing}, …)
 * @param plz        the PLZ, or null
 * @param reason     why the lead is parked, or null
 */
public record LeadOutcome(long leadId, String dialfireId, String change, String status, String plz, String reason) {

    public static final String CREATED = "created";
    public static final String REFRESHED = "refreshed";
    public static final String UNCHANGED = "unchanged";

    /** One log line: ids, status, PLZ and reason; never the homeowner's personal data. */
    public String describe() {
        return "Lead " + leadId + " " + change + " from Dialfire contact " + dialfireId + ": status " + status
                + (plz == null ? "" : ", PLZ " + plz) + (reason == null ? "" : ", reason: " + reason);
    }

    /** A lead that was just written and is complete: the distribution stage should see it. */
    public boolean isReadyForDistribution() {
        return !UNCHANGED.equals(change) && LeadStatus.PENDING.equals(status);
    }
}
