package de.geolead.leadview;

import de.geolead.api.ApiProblem;
import de.geolead.db.Database;
import de.geolead.privacy.LeadContents;
import de.geolead.privacy.UnreadableLeadData;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading leads for the operations API: {@code GET /api/leads} (filtered, newest first, keyset paging with an opaque
 * cursor, no homeowner data) and {@code GET /api/leads/{id}} (the lead, its mails, returns and {@link LeadTimeline}).
 * The detail is the one place that shows the stored Dialfire contact ({@code contact}): the seller's staff need it to
 * answer an agent's question, read through {@link LeadContents} (sealed or plain). A contact that cannot be read (its
 * key is not in GEOLEAD_DATA_KEYS, altered bytes) is shown as {@code contact} null with the reason in
 * {@code contactProblem} (ids only). Only reads; nothing is logged.
 */
public final class LeadView {

    /** One page of the list; {@code nextCursor} is null on the last page. */
    public record Page(List<Summary> items, String nextCursor) {
    }

    /** A lead in the list: no homeowner data. */
    public record Summary(long id, String dialfireId, String status, String statusReason, String plz, String createdAt,
                          long mailsSent) {
    }

    /**
     * A lead with its mails, returns and timeline; {@code contactProblem} says why {@code contact} is null, if it is.
     * {@code erasedAt}/{@code erasedReason} ({@code retention} or {@code request}): when and why its homeowner data was
     * erased (the contact is then empty), null if not; {@code consentValue}/{@code consentAt}: DIALFIRE_CONSENT_FIELD's
     * value and the Dialfire transaction time it was read at, null when consent was not checked.
     */
    public record Detail(long id, String dialfireId, String status, String statusReason, String plz, String createdAt,
                         String updatedAt, Map<String, Object> contact, String contactProblem, List<MailView> mails,
                         List<ReturnView> returns, List<TimelineEvent> timeline, String erasedAt, String erasedReason,
                         String consentValue, String consentAt) {
    }

    /** A mail of the lead (a {@code lead_distributions} row). */
    public record MailView(long id, long customerId, String customerName, String role, String kind, String status, String reason,
                           String scheduledFor, String sentAt, String messageId, int attempts) {
    }

    /** A return of the lead. */
    public record ReturnView(long id, long customerId, String reason, String status, String filedAt) {
    }

    private final Database db;
    private final ZoneId zone;
    private final LeadContents contents;

    /** @param zone GEOLEAD_DELIVERY_ZONE: the day of a {@code from}/{@code to} date */
    public LeadView(Database db, ZoneId zone) {
        this(db, zone, new LeadContents(db));
    }

    /** @param contents how the detail reads the stored contact (sealed with GEOLEAD_DATA_KEYS, or plain) */
    public LeadView(Database db, ZoneId zone, LeadContents contents) {
        this.db = db;
        this.zone = zone;
        this.contents = contents;
    }

    /** {@code GET /api/leads}: the raw query parameters (null = not given), checked by {@link LeadFilter}. */
    public Page list(String status, String plz, String from, String to, String limit, String cursor) {
        return list(LeadFilter.of(status, plz, from, to, limit, cursor, zone));
    }

    public Page list(LeadFilter filter) {
        StringBuilder sql = new StringBuilder("""
                SELECT l.id, l.dialfire_id, l.status, l.status_reason, l.plz, l.created_at,
                       (SELECT count(*) FROM lead_distributions d WHERE d.lead_id = l.id AND d.status = 'sent') AS mails_sent
                  FROM leads l
                 WHERE TRUE""");
        List<Object> params = new ArrayList<>();
        if (filter.status() != null) {
            sql.append(" AND l.status = ?");
            params.add(filter.status());
        }
        if (filter.plzPrefix() != null) {
            sql.append(" AND l.plz LIKE ?");
            params.add(filter.plzPrefix() + "%"); // digits only: no LIKE wildcards inside
        }
        if (filter.from() != null) {
            sql.append(" AND l.created_at >= ?");
            params.add(timestamp(roundUpToMicros(filter.from())));
        }
        if (filter.toExclusive() != null) {
            sql.append(" AND l.created_at < ?");
            params.add(timestamp(filter.toExclusive()));
        }
        if (filter.after() != null) {
            sql.append(" AND (l.created_at, l.id) < (?, ?)");
            params.add(timestamp(filter.after().createdAt()));
            params.add(filter.after().id());
        }
        sql.append(" ORDER BY l.created_at DESC, l.id DESC LIMIT ?");
        params.add(filter.limit() + 1);
        List<Row> rows = db.sql().sql(sql.toString()).params(params).query((rs, n) -> new Row(
                new Summary(rs.getLong("id"), rs.getString("dialfire_id"), rs.getString("status"), rs.getString("status_reason"),
                        rs.getString("plz"), instant(rs, "created_at").toString(), rs.getLong("mails_sent")),
                instant(rs, "created_at"))).list();
        if (rows.size() <= filter.limit()) {
            return new Page(rows.stream().map(Row::summary).toList(), null);
        }
        List<Row> page = rows.subList(0, filter.limit());
        Row last = page.get(page.size() - 1);
        return new Page(page.stream().map(Row::summary).toList(), new LeadCursor(last.createdAt(), last.summary().id()).encode());
    }

    private record Row(Summary summary, Instant createdAt) {
    }

    /** {@code GET /api/leads/{id}}: 400 for an id that is not a number, 404 for an unknown one. */
    public Detail detail(String id) {
        long leadId = leadId(id);
        return db.inTransaction("Reading lead " + leadId, () -> {
            record LeadRow(LeadTimeline.Lead lead, String plz, String contact, byte[] sealed, String keyId, String consentValue,
                           Instant consentAt) {
            }
            LeadRow row = db.sql().sql("""
                    SELECT id, dialfire_id, status, status_reason, plz, created_at, updated_at, unassigned_since, contact::text AS contact,
                           contact_sealed, contact_key, erased_at, erased_reason, consent_value, consent_at
                      FROM leads WHERE id = ?""").param(leadId)
                    .query((rs, n) -> new LeadRow(new LeadTimeline.Lead(rs.getLong("id"), rs.getString("dialfire_id"),
                            rs.getString("status"), rs.getString("status_reason"), instant(rs, "created_at"),
                            instant(rs, "updated_at"), instant(rs, "unassigned_since"), instant(rs, "erased_at"),
                            rs.getString("erased_reason")), rs.getString("plz"), rs.getString("contact"),
                            rs.getBytes("contact_sealed"), rs.getString("contact_key"), rs.getString("consent_value"),
                            instant(rs, "consent_at")))
                    .optional().orElseThrow(() -> ApiProblem.notFound("lead", leadId));
            List<LeadTimeline.Mail> mails = db.sql().sql("""
                    SELECT d.id, d.customer_id, c.name, d.kind, d.role, d.status, d.status_reason, d.requested_by, d.created_at,
                           d.scheduled_for, d.enqueued_at, d.claimed_at, d.next_attempt_at, d.sent_at, d.message_id, d.attempts
                      FROM lead_distributions d LEFT JOIN customers c ON c.id = d.customer_id
                     WHERE d.lead_id = ? ORDER BY d.created_at, d.id""").param(leadId)
                    .query((rs, n) -> new LeadTimeline.Mail(rs.getLong("id"), rs.getLong("customer_id"), rs.getString("name"),
                            rs.getString("kind"), rs.getString("role"), rs.getString("status"), rs.getString("status_reason"),
                            rs.getString("requested_by"), instant(rs, "created_at"), instant(rs, "scheduled_for"),
                            instant(rs, "enqueued_at"), instant(rs, "claimed_at"), instant(rs, "next_attempt_at"),
                            instant(rs, "sent_at"), rs.getString("message_id"), rs.getInt("attempts"))).list();
            List<LeadTimeline.Return> returns = db.sql().sql("""
                    SELECT id, customer_id, reason, channel, filed_by, filed_at, status, decided_at, decided_by, credit_cents
                      FROM lead_returns WHERE lead_id = ? ORDER BY filed_at, id""").param(leadId)
                    .query((rs, n) -> new LeadTimeline.Return(rs.getLong("id"), rs.getLong("customer_id"), rs.getString("reason"),
                            rs.getString("channel"), rs.getString("filed_by"), instant(rs, "filed_at"), rs.getString("status"),
                            instant(rs, "decided_at"), rs.getString("decided_by"), (Integer) rs.getObject("credit_cents"))).list();
            List<LeadTimeline.Audit> audit = db.sql().sql("""
                    SELECT id, at, actor, action, after::text AS after FROM audit_log
                     WHERE entity = 'lead' AND entity_id = ? ORDER BY at, id""").param(leadId)
                    .query((rs, n) -> new LeadTimeline.Audit(rs.getLong("id"), instant(rs, "at"), rs.getString("actor"),
                            rs.getString("action"), rs.getString("after"))).list();
            LeadTimeline.Lead lead = row.lead();
            Map<String, Object> contact = null;
            String contactProblem = null;
            try {
                contact = contents.contact(leadId, row.contact(), row.sealed(), row.keyId());
            } catch (UnreadableLeadData e) {
                contactProblem = e.getMessage();
            }
            return new Detail(lead.id(), lead.dialfireId(), lead.status(), lead.statusReason(), row.plz(), text(lead.createdAt()),
                    text(lead.updatedAt()), contact, contactProblem,
                    mails.stream().map(m -> new MailView(m.id(), m.customerId(), m.customerName(), m.role(), m.kind(), m.status(),
                            m.reason(), text(m.scheduledFor()), text(m.sentAt()), m.messageId(), m.attempts())).toList(),
                    returns.stream().map(r -> new ReturnView(r.id(), r.customerId(), r.reason(), r.status(), text(r.filedAt()))).toList(),
                    LeadTimeline.of(lead, mails, returns, audit), text(lead.erasedAt()), lead.erasedReason(), row.consentValue(),
                    text(row.consentAt()));
        });
    }

    static long leadId(String id) {
        try {
            long leadId = Long.parseLong(id == null ? "" : id);
            if (leadId > 0) {
                return leadId;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest("the lead id must be a positive whole number, got " + LeadFilter.quoted(String.valueOf(id)));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.from(instant);
    }

    /** A {@code from} with nanoseconds: the first stored instant (microseconds) not before it. */
    private static Instant roundUpToMicros(Instant instant) {
        Instant micros = instant.truncatedTo(ChronoUnit.MICROS);
        return micros.equals(instant) ? instant : micros.plus(1, ChronoUnit.MICROS);
    }
}
