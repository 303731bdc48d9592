package de.geolead.privacy;

import de.geolead.db.Database;

import java.nio.charset.StandardCharsets;

/**
 * The write side of a lead's homeowner data ({@link LeadContents} is the read side): with {@code GEOLEAD_DATA_KEYS} the
 * contact goes sealed into {@code leads.contact_sealed} (with {@code contact_key}, and {@code leads.contact = '{}'}) and
 * the PDF sealed into {@code lead_pdfs.content} (with {@code content_key}); without keys both are stored plain as before.
 *
 * <p>The lead id is part of what is sealed (associated data), so the contact is sealed after the lead row exists:
 * {@link de.geolead.lead.LeadRepository} writes the row with {@link #storedContact} ('{}' when sealing, so the plain
 * contact never reaches the table) and then calls {@link #sealContact} in the same transaction.
 */
public class LeadSealer {

    /** What goes into {@code lead_pdfs.content} and {@code content_key} (null = plain). */
    public record StoredPdf(byte[] content, String keyId) {
    }

    /**
     * What the lead row's contact columns get: {@code contact} (the JSON, or {@code {}} when sealed), {@code contact_sealed}
     * and {@code contact_key} (null when plain).
     */
    public record StoredContact(String json, byte[] sealed, String keyId) {
    }

    private final Database db;
    private final DataCipher cipher;

    public LeadSealer(Database db, DataCipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /** Stores everything plain (no GEOLEAD_DATA_KEYS). */
    public static LeadSealer plain(Database db) {
        return new LeadSealer(db, DataCipher.plain());
    }

    public boolean enabled() {
        return cipher.enabled();
    }

    /** What the lead row's {@code contact} column gets: the JSON itself when stored plain, {@code {}} when sealed. */
    public String storedContact(String contactJson) {
        return cipher.enabled() ? "{}" : contactJson;
    }

    /**
     * Seals the contact of lead {@code leadId} into its row (in the caller's transaction); nothing when stored plain.
     * The row's {@code contact} is {@code {}} then, as {@link #storedContact} had it written.
     */
    public void sealContact(long leadId, String contactJson) {
        if (!cipher.enabled()) {
            return;
        }
        byte[] sealed = cipher.seal(leadId, DataCipher.Purpose.CONTACT, contactJson.getBytes(StandardCharsets.UTF_8));
        db.sql().sql("UPDATE leads SET contact = '{}'::jsonb, contact_sealed = ?, contact_key = ? WHERE id = ?")
                .params(sealed, cipher.currentKeyId(), leadId).update();
    }

    /** The contact of lead {@code leadId} as its row stores it: sealed with the current key (and '{}'), or plain. */
    public StoredContact contact(long leadId, String contactJson) {
        if (!cipher.enabled()) {
            return new StoredContact(contactJson, null, null);
        }
        return new StoredContact("{}", cipher.seal(leadId, DataCipher.Purpose.CONTACT, contactJson.getBytes(StandardCharsets.UTF_8)),
                cipher.currentKeyId());
    }

    /** The PDF of lead {@code leadId} as {@code lead_pdfs} stores it: sealed with the current key, or plain. */
    public StoredPdf pdf(long leadId, byte[] pdf) {
        if (!cipher.enabled()) {
            return new StoredPdf(pdf, null);
        }
        return new StoredPdf(cipher.seal(leadId, DataCipher.Purpose.PDF, pdf), cipher.currentKeyId());
    }
}
