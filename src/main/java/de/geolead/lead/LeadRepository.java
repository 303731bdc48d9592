package de.geolead.lead;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Leads and their lead sheets in PostgreSQL. {@code leads.dialfire_id} is UNIQUE: one lead per contact, ever. */
public class LeadRepository {

    /** What is stored for a contact already. */
    public record StoredLead(long id, String dialfireVersion, String status) {
        public boolean refreshableBy(String newVersion) {
            return LeadStatus.REFRESHABLE.contains(status) && !dialfireVersion.equals(newVersion);
        }
    }

    /** A lead as the import wants it stored; {@code pdf} may be null (then {@code status} says why). */
    public record LeadRecord(String dialfireId, String dialfireVersion, String contactJson, String plz,
                             String pdfUrl, String status, String statusReason, byte[] pdf) {}

    /** The result of {@link #save}: the lead id and whether the row was created (else refreshed). */
    public record Saved(long id, boolean created) {}

    private final DataSource dataSource;

    public LeadRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Optional<StoredLead> findByDialfireId(String dialfireId) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, dialfire_version, status FROM leads WHERE dialfire_id = ?")) {
            ps.setString(1, dialfireId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new StoredLead(rs.getLong(1), rs.getString(2), rs.getString(3))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading lead for Dialfire contact " + dialfireId + " failed", e);
        }
    }

    /**
     * Inserts the lead with its PDF in one transaction, or refreshes it when it exists with another
     * {@code $version} and is not distributed yet. Returns empty when the stored lead was left as it is.
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
                INSERT INTO leads (dialfire_id, dialfire_version, contact, plz, pdf_url, status, status_reason)
                VALUES (?, ?, ?::jsonb, ?, ?, ?, ?)
                ON CONFLICT (dialfire_id) DO UPDATE
                   SET dialfire_version = EXCLUDED.dialfire_version, contact = EXCLUDED.contact, plz = EXCLUDED.plz,
                       pdf_url = EXCLUDED.pdf_url, status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
                       updated_at = now()
                 WHERE leads.status IN ('pending', 'unroutable', 'pdf_missing')
                   AND leads.dialfire_version <> EXCLUDED.dialfire_version
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
