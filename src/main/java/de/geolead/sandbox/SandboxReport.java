package de.geolead.sandbox;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** The sandbox's table: one row per mail planned, or per lead that got none (with its status and reason). */
public final class SandboxReport {

    /** One row; {@code agent}, {@code scheduledFor} and {@code sentAt} are null for a lead without mails. */
    public record Row(long leadId, String plz, String agent, String role, Instant scheduledFor, Instant sentAt,
                      String status, String reason) {}

    /** One return (Reklamation): lead, agent, reason, status and the Stripe credit of an approval. */
    public record ReturnRow(long returnId, long leadId, String agent, String reason, String status, Integer creditCents,
                            String stripeCreditId) {}

    private static final String[] RETURN_HEADERS = {"Return", "Lead", "Agent", "Reason", "Status", "Credit (cents)", "Stripe credit"};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.of("Europe/Berlin"));
    private static final String[] HEADERS = {"Lead", "PLZ", "Agent", "Role", "Scheduled for", "Sent at", "Status", "Reason"};

    private SandboxReport() {
    }

    public static List<Row> rows(DataSource dataSource) {
        String sql = """
                SELECT l.id, l.plz, c.name, d.role, d.scheduled_for, d.sent_at,
                       COALESCE(d.status, l.status) AS status, COALESCE(d.status_reason, l.status_reason) AS reason
                  FROM leads l
                  LEFT JOIN lead_distributions d ON d.lead_id = l.id
                  LEFT JOIN customers c ON c.id = d.customer_id
                 ORDER BY l.id, d.scheduled_for, d.id
                """;
        List<Row> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), instant(rs.getTimestamp(5)),
                        instant(rs.getTimestamp(6)), rs.getString(7), rs.getString(8)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading the sandbox table failed", e);
        }
        return rows;
    }

    public static List<ReturnRow> returns(DataSource dataSource) {
        String sql = "SELECT r.id, r.lead_id, c.name, r.reason, r.status, r.credit_cents, r.stripe_credit_id "
                + "FROM lead_returns r JOIN customers c ON c.id = r.customer_id ORDER BY r.id";
        List<ReturnRow> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new ReturnRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        (Integer) rs.getObject(6), rs.getString(7)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading the sandbox returns failed", e);
        }
        return rows;
    }

    /** A plain-text table for the terminal. */
    public static String text(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADERS);
        rows.forEach(row -> cells.add(cells(row)));
        return table(cells);
    }

    /** The returns as a plain-text table, under a heading. */
    public static String returnsText(List<ReturnRow> returns) {
        List<String[]> cells = new ArrayList<>();
        cells.add(RETURN_HEADERS);
        returns.forEach(row -> cells.add(cells(row)));
        return "Returns (Reklamation)\n" + table(cells);
    }

    private static String table(List<String[]> cells) {
        int[] widths = new int[cells.get(0).length];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                out.append(String.format("%-" + widths[i] + "s", line[i])).append(i + 1 < line.length ? " | " : "\n");
            }
        }
        return out.toString();
    }

    /** A small server-rendered HTML page that reloads itself every few seconds. */
    public static String html(List<Row> rows, List<ReturnRow> returns) {
        StringBuilder out = new StringBuilder("<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"refresh\" content=\"3\"><title>Geolead sandbox</title>"
                + "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#eee}</style></head><body>"
                + "<h1>Geolead sandbox</h1><p>Leads, their agents and mails (refreshes every 3 s).</p><table><tr>");
        for (String header : HEADERS) {
            out.append("<th>").append(header).append("</th>");
        }
        out.append("</tr>");
        for (Row row : rows) {
            out.append("<tr>");
            for (String cell : cells(row)) {
                out.append("<td>").append(escape(cell)).append("</td>");
            }
            out.append("</tr>");
        }
        out.append("</table><h2>Returns (Reklamation)</h2><table><tr>");
        for (String header : RETURN_HEADERS) {
            out.append("<th>").append(header).append("</th>");
        }
        out.append("</tr>");
        for (ReturnRow row : returns) {
            out.append("<tr>");
            for (String cell : cells(row)) {
                out.append("<td>").append(escape(cell)).append("</td>");
            }
            out.append("</tr>");
        }
        return out.append("</table></body></html>").toString();
    }

    private static String[] cells(Row row) {
        return new String[] {Long.toString(row.leadId()), dash(row.plz()), dash(row.agent()), dash(row.role()),
                row.scheduledFor() == null ? "-" : TIME.format(row.scheduledFor()), row.sentAt() == null ? "-" : TIME.format(row.sentAt()),
                dash(row.status()), dash(row.reason())};
    }

    private static String[] cells(ReturnRow row) {
        return new String[] {Long.toString(row.returnId()), Long.toString(row.leadId()), dash(row.agent()), dash(row.reason()),
                dash(row.status()), row.creditCents() == null ? "-" : row.creditCents().toString(), dash(row.stripeCreditId())};
    }

    private static String dash(String value) {
        return value == null || value.isBlank() ? "-" : value;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
