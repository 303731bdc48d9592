package de.geolead.lead;

import de.geolead.db.Database;
import de.geolead.privacy.LeadSealer;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Leads and their lead sheets in PostgreSQL. {@code leads.dialfire_id} is UNIQUE: one lead per contact, ever.
 * The contact and the PDF are written through {@link LeadSealer} (sealed with GEOLEAD_DATA_KEYS, or plain).
 */
public class LeadRepository {

    /**
     * What is stored for a contact already; {@code pdfRetryUntil} is null unless it is parked {@code pdf_missing};
     * {@code erased}: its homeowner data was erased (retention or a data-subject request), it is never imported again.
     */
    public record StoredLead(long id, String dialfireVersion, String status, Instant pdfRetryUntil, boolean erased) {
        public boolean refreshableBy(String newVersion) {
            return !erased && LeadStatus.REFRESHABLE.contains(status) && !dialfireVersion.equals(newVersion);
        }

        /** Parked {@code pdf_missing} and still within {@code GEOLEAD_PDF_RETRY_FOR}: its PDF is worth another try. */
        public boolean pdfRetryDue(Instant now) {
            return !erased && LeadStatus.PDF_MISSING.equals(status) && pdfRetryUntil != null && now.isBefore(pdfRetryUntil);
        }
    }

    /**
     * A lead as the import wants it stored; {@code pdf} may be null (then {@code status} says why).
     * {@code pdfFailure} ({@code transient}/{@code permanent}) and {@code pdfRetryUntil} only for {@code pdf_missing}.
     * {@code consentValue} and {@code consentAt} (DIALFIRE_CONSENT_FIELD's value and the Dialfire transaction time it
     * was read at) are null when consent is not checked; a null {@code consentAt} keeps the stored one of the same
     * {@code $version} (a PDF retry knows no transaction).
     */
    public record LeadRecord(String dialfireId, String dialfireVersion, String contactJson, String plz,
                             String pdfUrl, String status, String statusReason, byte[] pdf,
                             String pdfFailure, Instant pdfRetryUntil, String consentValue, Instant consentAt) {

        /** A lead without consent facts (DIALFIRE_CONSENT_FIELD not set). */
        public LeadRecord(String dialfireId, String dialfireVersion, String contactJson, String plz, String pdfUrl, String status,
                          String statusReason, byte[] pdf, String pdfFailure, Instant pdfRetryUntil) {
            this(dialfireId, dialfireVersion, contactJson, plz, pdfUrl, status, statusReason, pdf, pdfFailure, pdfRetryUntil, null, null);
        }
    }

    /** {@code leads.pdf_failure}: another try may help, or not. */
    public static final String PDF_TRANSIENT = "transient";
    public static final String PDF_PERMANENT = "permanent";

    /** The result of {@link #save}: the lead id and whether the row was created (else refreshed). */
    public record Saved(long id, boolean created) {}

    /** A stored contact as its columns hold it (open it with {@code LeadContents}). */
    public record StoredContact(long leadId, String contactJson, byte[] sealed, String keyId) {}

    private final Database db;
    private final LeadSealer sealer;

    /** Stores contacts and PDFs plain. */
    public LeadRepository(Database db) {
        this(db, LeadSealer.plain(db));
    }

    public LeadRepository(Database db, LeadSealer sealer) {
        this.db = db;
        this.sealer = sealer;
    }

    public Optional<StoredLead> findByDialfireId(String dialfireId) {
        try {
            return db.sql().sql("SELECT id, dialfire_version, status, pdf_retry_until, erased_at IS NOT NULL FROM leads WHERE dialfire_id = ?")
                    .param(dialfireId)
                    .query((rs, n) -> {
                        Timestamp retryUntil = rs.getTimestamp(4);
                        return new StoredLead(rs.getLong(1), rs.getString(2), rs.getString(3),
                                retryUntil == null ? null : retryUntil.toInstant(), rs.getBoolean(5));
                    })
                    .optional();
        } catch (DataAccessException e) {
            throw Database.failure("Reading lead for Dialfire contact " + dialfireId, e);
        }
    }

    /**
     * The stored contacts of leads parked {@code pdf_missing} for a transient reason whose retry
     * period has not run out and that were not tried since {@code notTriedSince}, those tried longest ago first.
     * Leads sealed with a key not in {@code readableKeys} are left out: they cannot be read, and must not take the
     * places of those that can.
     */
    public List<StoredContact> dueForPdfRetry(Instant notTriedSince, int limit, List<String> readableKeys) {
        String sql = """
                SELECT id, contact::text, contact_sealed, contact_key FROM leads
                 WHERE status = 'pdf_missing' AND pdf_failure = 'transient' AND pdf_retry_until > now()
                   AND updated_at < ? AND (contact_key IS NULL OR contact_key = ANY (?)) AND erased_at IS NULL
                 ORDER BY updated_at LIMIT ?
                """;
        try {
            return db.sql().sql(sql).param(Timestamp.from(notTriedSince)).param(readableKeys.toArray(String[]::new)).param(limit)
                    .query((rs, n) -> new StoredContact(rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getString(4))).list();
        } catch (DataAccessException e) {
            throw Database.failure("Reading the leads due for another PDF try", e);
        }
    }

    /**
     * Inserts the lead with its PDF in one transaction, or refreshes it when it exists with another
     * {@code $version} and is not distributed yet, or (same {@code $version}) when it is parked
     * {@code pdf_missing} within its retry period; never an erased lead. Returns empty when the stored lead was left as it is.
     *
     * <p>A contact seen for the first time (the common case) takes two statements and no transaction around them: a
     * fresh id ({@link #reserveId}), then the lead row with its contact sealed under that id and its PDF, inserted
     * together ({@link #insertNew}) — instead of the upsert, the sealed contact's update, the PDF's insert and the
     * commit; a contact stored already takes the upsert in a transaction as before.
     */
    public Optional<Saved> save(LeadRecord lead) {
        try {
            Optional<Saved> inserted = insertNew(lead);
            if (inserted.isPresent()) {
                return inserted;
            }
            return db.inTransaction(() -> {
                Optional<Saved> saved = upsertLead(lead);
                saved.ifPresent(s -> {
                    // the lead id is sealed with the contact: known only now, sealed in this transaction
                    sealer.sealContact(s.id(), lead.contactJson());
                    storePdf(s.id(), lead.pdf());
                });
                return saved;
            });
        } catch (DataAccessException e) {
            throw Database.failure("Storing lead for Dialfire contact " + lead.dialfireId(), e);
        }
    }

    /**
     * A fresh id for a new lead from the sequence behind {@code leads.id} (the default of an upsert draws from it too;
     * an id taken and not used, because the contact was stored already, is a gap, as an upsert's unused default is).
     */
    long reserveId() {
        return db.sql().sql("SELECT nextval(pg_get_serial_sequence('leads', 'id'))").query(Long.class).single();
    }

    /**
     * A contact seen for the first time, in one statement (atomic without a transaction around it): the lead row with
     * its contact sealed under a reserved id, and its PDF (sealed under the same id) if it has one. Empty when the
     * contact is stored already ({@code dialfire_id} is UNIQUE): then nothing was written and {@link #save} upserts.
     */
    private Optional<Saved> insertNew(LeadRecord lead) {
        long id = reserveId();
        LeadSealer.StoredContact contact = sealer.contact(id, lead.contactJson());
        LeadSealer.StoredPdf pdf = lead.pdf() == null ? null : sealer.pdf(id, lead.pdf());
        String sql = """
                WITH lead AS (
                    INSERT INTO leads (id, dialfire_id, dialfire_version, contact, contact_sealed, contact_key, plz, pdf_url,
                                       status, status_reason, pdf_failure, pdf_retry_until, consent_value, consent_at)
                    VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (dialfire_id) DO NOTHING
                    RETURNING id),
                pdf AS (
                    INSERT INTO lead_pdfs (lead_id, content, content_key, sha256, size_bytes)
                    SELECT id, ?, ?, ?, ? FROM lead WHERE ?)
                SELECT id FROM lead
                """;
        return routingColumns(db.sql().sql(sql)
                .param(id)
                .param(lead.dialfireId())
                .param(lead.dialfireVersion())
                .param(contact.json())
                .param(contact.sealed())
                .param(contact.keyId()), lead)
                .param(pdf == null ? new byte[0] : pdf.content())
                .param(pdf == null ? null : pdf.keyId())
                .param(pdf == null ? "" : LeadSheetPdf.sha256Hex(lead.pdf()))
                .param(pdf == null ? 0 : lead.pdf().length)
                .param(pdf != null)
                .query((rs, n) -> new Saved(rs.getLong(1), true))
                .optional();
    }

    /**
     * Binds the lead's columns after its contact, in the order both inserts name them: plz, pdf_url, status,
     * status_reason, pdf_failure, pdf_retry_until, consent_value, consent_at.
     */
    private static JdbcClient.StatementSpec routingColumns(JdbcClient.StatementSpec statement, LeadRecord lead) {
        return statement
                .param(lead.plz())
                .param(lead.pdfUrl())
                .param(lead.status())
                .param(lead.statusReason())
                .param(lead.pdfFailure())
                .param(lead.pdfRetryUntil() == null ? null : Timestamp.from(lead.pdfRetryUntil()))
                .param(lead.consentValue())
                .param(lead.consentAt() == null ? null : Timestamp.from(lead.consentAt()));
    }

    private Optional<Saved> upsertLead(LeadRecord lead) {
        String sql = """
                INSERT INTO leads (dialfire_id, dialfire_version, contact, plz, pdf_url, status, status_reason,
                                   pdf_failure, pdf_retry_until, consent_value, consent_at)
                VALUES (?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dialfire_id) DO UPDATE
                   SET dialfire_version = EXCLUDED.dialfire_version, contact = EXCLUDED.contact, plz = EXCLUDED.plz,
                       contact_sealed = NULL, contact_key = NULL,
                       pdf_url = EXCLUDED.pdf_url, status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
                       pdf_failure = EXCLUDED.pdf_failure,
                       -- the retry period runs from when the lead was first parked pdf_missing in this $version
                       pdf_retry_until = CASE
                           WHEN EXCLUDED.status <> 'pdf_missing' THEN NULL
                           WHEN leads.status = 'pdf_missing' AND leads.dialfire_version = EXCLUDED.dialfire_version
                               THEN leads.pdf_retry_until
                           ELSE EXCLUDED.pdf_retry_until END,
                       consent_value = EXCLUDED.consent_value,
                       consent_at = COALESCE(EXCLUDED.consent_at,
                           CASE WHEN leads.dialfire_version = EXCLUDED.dialfire_version THEN leads.consent_at END),
                       updated_at = now()
                 -- LeadStatus.REFRESHABLE; an erased lead is never imported again
                 WHERE leads.status IN ('pending', 'unroutable', 'pdf_missing', 'invalid', 'no_consent')
                   AND leads.erased_at IS NULL
                   AND (leads.dialfire_version <> EXCLUDED.dialfire_version
                        OR (leads.status = 'pdf_missing' AND leads.pdf_retry_until > now()))
                RETURNING id, (xmax = 0) AS created
                """;
        return routingColumns(db.sql().sql(sql)
                .param(lead.dialfireId())
                .param(lead.dialfireVersion())
                .param(sealer.storedContact(lead.contactJson())), lead)
                .query((rs, n) -> new Saved(rs.getLong(1), rs.getBoolean(2)))
                .optional();
    }

    private void storePdf(long leadId, byte[] pdf) {
        if (pdf == null) {
            db.sql().sql("DELETE FROM lead_pdfs WHERE lead_id = ?").param(leadId).update();
            return;
        }
        // sha256 and size_bytes are those of the plain PDF, whatever is stored
        LeadSealer.StoredPdf stored = sealer.pdf(leadId, pdf);
        String sql = """
                INSERT INTO lead_pdfs (lead_id, content, content_key, sha256, size_bytes) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (lead_id) DO UPDATE
                   SET content = EXCLUDED.content, content_key = EXCLUDED.content_key, sha256 = EXCLUDED.sha256,
                       size_bytes = EXCLUDED.size_bytes, fetched_at = now()
                """;
        db.sql().sql(sql).param(leadId).param(stored.content()).param(stored.keyId()).param(LeadSheetPdf.sha256Hex(pdf))
                .param(pdf.length).update();
    }
}
