package de.geolead.lead;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Leads and their lead sheets in PostgreSQL. {@code leads.dialfire_id} is UNIQUE: one lead per contact, ever. */
public class LeadRepository {

    /** What is stored for a contact already; {@code pdfRetryUntil} is null unless it is parked {@code pdf_missing}. */
    public record StoredLead(long id, String dialfireVersion, String status, Instant pdfRetryUntil) {
        public boolean refreshableBy(String newVersion) {
            return LeadStatus.REFRESHABLE.contains(status) && !dialfireVersion.equals(newVersion);
        }

        /** Parked {@code pdf_missing} and still within {@code GEOLEAD_PDF_RETRY_FOR}: its PDF is worth another try. */
        public boolean pdfRetryDue(Instant now) {
            return LeadStatus.PDF_MISSING.equals(status) && pdfRetryUntil != null && now.isBefore(pdfRetryUntil);
        }
    }

    /**
     * A lead as the import wants it stored; {@code pdf} may be null (then {@code status} says why).
     * {@code pdfFailure} ({@code transient}/{@code permanent}) and {@code pdfRetryUntil} only for {@code pdf_missing}.
     */
    public record LeadRecord(String dialfireId, String dialfireVersion, String contactJson, String plz,
                             String pdfUrl, String status, String statusReason, byte[] pdf,
                             String pdfFailure, Instant pdfRetryUntil) {}

    /** {@code leads.pdf_failure}: another try may help, or not. */
    public static final String PDF_TRANSIENT = "transient";
    public static final String PDF_PERMANENT = "permanent";

    /** The result of {@link #save}: the lead id and whether the row was created (else refreshed). */
    public record Saved(long id, boolean created) {}

    private final DataSource dataSource;

    public LeadRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Optional<StoredLead> findByDialfireId(String dialfireId) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT id, dialfire_version, status, pdf_retry_until FROM leads WHERE dialfire_id = ?")) {
            ps.setString(1, dialfireId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Timestamp retryUntil = rs.getTimestamp(4);
                return Optional.of(new StoredLead(rs.getLong(1), rs.getString(2), rs.getString(3),
                        retryUntil == null ? null : retryUntil.toInstant()));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading lead for Dialfire contact " + dialfireId + " failed", e);
        }
    }

    /**
     * The stored contacts (JSON) of leads parked {@code pdf_missing} for a transient reason whose retry
     * period has not run out and that were not tried since {@code notTriedSince}, those tried longest ago first.
     */
    public List<String> dueForPdfRetry(Instant notTriedSince, int limit) {
        String sql = """
                SELECT contact::text FROM leads
                 WHERE status = 'pdf_missing' AND pdf_failure = 'transient' AND pdf_retry_until > now()
                   AND updated_at < ?
                 ORDER BY updated_at LIMIT ?
                """;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(notTriedSince));
            ps.setInt(2, limit);
            List<String> contacts = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    contacts.add(rs.getString(1));
                }
            }
            return contacts;
        } catch (SQLException e) {
            throw new IllegalStateException("Reading the leads due for another PDF try failed", e);
        }
    }

    /**
     * Inserts the lead with its PDF in one transaction, or refreshes it when it exists with another
     * {@code $version} and is not distributed yet, or (same {@code $version}) when it is parked
     * {@code pdf_missing} within its retry period. Returns empty when the stored lead was left as it is.
     */
    public Optional<Saved> save(LeadRecord lead) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Optional<Saved> saved = upsertLead(c, lead);
                if (saved.isPresent()) {
                    storePdf(c, saved.get().id(), lead.pdf());
                }
                c.commit();
                return saved;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Storing lead for Dialfire contact " + lead.dialfireId() + " failed", e);
        }
    }

    private static Optional<Saved> upsertLead(Connection c, LeadRecord lead) throws SQLException {
        String sql = """
                INSERT INTO leads (dialfire_id, dialfire_version, contact, plz, pdf_url, status, status_reason,
                                   pdf_failure, pdf_retry_until)
                VALUES (?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dialfire_id) DO UPDATE
                   SET dialfire_version = EXCLUDED.dialfire_version, contact = EXCLUDED.contact, plz = EXCLUDED.plz,
                       pdf_url = EXCLUDED.pdf_url, status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
                       pdf_failure = EXCLUDED.pdf_failure,
                       -- the retry period runs from when the lead was first parked pdf_missing in this $version
                       pdf_retry_until = CASE
                           WHEN EXCLUDED.status <> 'pdf_missing' THEN NULL
                           WHEN leads.status = 'pdf_missing' AND leads.dialfire_version = EXCLUDED.dialfire_version
                               THEN leads.pdf_retry_until
                           ELSE EXCLUDED.pdf_retry_until END,
                       updated_at = now()
                 WHERE leads.status IN ('pending', 'unroutable', 'pdf_missing', 'invalid')
                   AND (leads.dialfire_version <> EXCLUDED.dialfire_version
                        OR (leads.status = 'pdf_missing' AND leads.pdf_retry_until > now()))
                RETURNING id, (xmax = 0) AS created
                """;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, lead.dialfireId());
            ps.setString(2, lead.dialfireVersion());
            ps.setString(3, lead.contactJson());
            ps.setString(4, lead.plz());
            ps.setString(5, lead.pdfUrl());
            ps.setString(6, lead.status());
            ps.setString(7, lead.statusReason());
            ps.setString(8, lead.pdfFailure());
            ps.setTimestamp(9, lead.pdfRetryUntil() == null ? null : Timestamp.from(lead.pdfRetryUntil()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Saved(rs.getLong(1), rs.getBoolean(2))) : Optional.empty();
            }
        }
    }

    private static void storePdf(Connection c, long leadId, byte[] pdf) throws SQLException {
        if (pdf == null) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM lead_pdfs WHERE lead_id = ?")) {
                ps.setLong(1, leadId);
                ps.executeUpdate();
            }
            return;
        }
        String sql = """
                INSERT INTO lead_pdfs (lead_id, content, sha256, size_bytes) VALUES (?, ?, ?, ?)
                ON CONFLICT (lead_id) DO UPDATE
                   SET content = EXCLUDED.content, sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, fetched_at = now()
                """;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, leadId);
            ps.setBytes(2, pdf);
            ps.setString(3, LeadSheetPdf.sha256Hex(pdf));
            ps.setInt(4, pdf.length);
            ps.executeUpdate();
        }
    }
}
