package de.geolead.privacy;

import de.geolead.db.Database;

/**
 * Erases a lead's homeowner data and keeps the rest: the one way both retention (route {@code data-retention}) and a
 * data-subject erasure (operations API) anonymise a lead.
 *
 * <p>Erased: the contact (replaced by {@code {}}, sealed copy dropped), the PDF, {@code pdf_url}, and the free-text
 * notes of the lead's returns (agents and staff write homeowner details there). Kept: PLZ, dates, statuses, consent
 * value and time, the distribution history and the delivery receipts (no homeowner data in them). Mails of the lead
 * still {@code pending} are skipped ("lead erased"): nothing is sent after an erasure. {@code leads.erased_at}
 * blocks a re-import of the Dialfire contact. {@code leads.updated_at} is left as it is: it is the time of the lead's
 * last status change (its parking or expiry, which the timeline shows and the retention counts from).
 */
public class Anonymiser {

    /** {@code leads.erased_reason}. */
    public static final String RETENTION = "retention";
    public static final String REQUEST = "request";
    /** {@code lead_distributions.status_reason} of a mail skipped because its lead was erased. */
    public static final String SKIP_REASON = "lead erased";

    private final Database db;

    public Anonymiser(Database db) {
        this.db = db;
    }

    /**
     * Erases lead {@code leadId} in one transaction. Call it inside the caller's transaction when the erasure must
     * commit together with something else (the audit row of a request). True if erased now, false if it was erased
     * already or does not exist.
     */
    public boolean erase(long leadId, String reason) {
        if (!RETENTION.equals(reason) && !REQUEST.equals(reason)) {
            throw new IllegalArgumentException("Unknown erasure reason: " + reason);
        }
        return db.inTransaction("Erasing lead " + leadId, () -> {
            int erased = db.sql().sql("""
                    UPDATE leads SET contact = '{}'::jsonb, contact_sealed = NULL, contact_key = NULL, pdf_url = NULL,
                                     erased_at = now(), erased_reason = ?
                     WHERE id = ? AND erased_at IS NULL
                    """).params(reason, leadId).update();
            if (erased == 0) {
                return false;
            }
            db.sql().sql("DELETE FROM lead_pdfs WHERE lead_id = ?").param(leadId).update();
            db.sql().sql("UPDATE lead_returns SET note = NULL, decision_note = NULL WHERE lead_id = ?").param(leadId).update();
            db.sql().sql("UPDATE lead_distributions SET status = 'skipped', status_reason = ? WHERE lead_id = ? AND status = 'pending'")
                    .params(SKIP_REASON, leadId).update();
            return true;
        });
    }
}
