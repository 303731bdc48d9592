package de.geolead.returns;

import de.geolead.api.ApiProblem;
import de.geolead.api.ApiUser;
import de.geolead.api.AuditLog;
import de.geolead.api.Requests;
import de.geolead.db.Database;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Returns (Reklamation): an agent hands back a lead they received, with a reason code, through the operations API or
 * the signed link in the lead mail; an admin approves (with a Stripe credit) or rejects it. The rules:
 * <ul>
 *   <li>filing: a known reason code; a note of at most {@value #MAX_NOTE} characters, required for {@code other}; the
 *       agent received the lead (a sent planned or manual mail, which the return points at) and the return window
 *       (GEOLEAD_RETURN_WINDOW after that mail was sent) is still open; one return per lead and agent.</li>
 *   <li>deciding: only an open return; an approval of an agent whose return rate over the last 90 days (returns filed
 *       / leads sent to them, this one included) is above GEOLEAD_RETURN_MAX_RATE needs {@code force} (abuse guard).
 *       The credit (GEOLEAD_RETURN_CREDIT_CENTS, when &gt; 0) is booked in Stripe first, under a lock on the return,
 *       then the approval is recorded in the same transaction; Stripe failing leaves the return open (502). An agent
 *       without a Stripe customer, or Geolead without STRIPE_API_KEY, gets the approval without a credit
 *       ({@code creditCents} null).</li>
 * </ul>
 * Every write is one transaction with its audit row (return.file, return.approve, return.reject; no notes in it).
 */
public class ReturnDesk {

    static final int MAX_NOTE = 1000;
    static final int DEFAULT_LIMIT = 200;
    static final int MAX_LIMIT = 1000;
    private static final Set<String> STATUSES = Set.of(ReturnView.OPEN, ReturnView.APPROVED, ReturnView.REJECTED);
    private static final List<String> STATUS_ORDER = List.of(ReturnView.OPEN, ReturnView.APPROVED, ReturnView.REJECTED);

    /** Who files a return and how: the token's name through the API, {@code agent-<id>} through the link. */
    record Filer(String channel, String filedBy, ApiUser actor) {
    }

    /** What the link's form shows: the lead, its PLZ, when the mail went out and an earlier return, if any. */
    public record LinkFacts(long leadId, String plz, Instant mailedAt, Instant alreadyFiledAt) {
    }

    private final Database db;
    private final AuditLog audit;
    private final StripeCredits credits;
    private final Duration window;
    private final BigDecimal maxRate;
    private final long creditCents;
    private final Clock clock;

    /**
     * @param credits     null: no Stripe (STRIPE_API_KEY unset), approvals carry no credit
     * @param window      GEOLEAD_RETURN_WINDOW
     * @param maxRate     GEOLEAD_RETURN_MAX_RATE
     * @param creditCents GEOLEAD_RETURN_CREDIT_CENTS; 0 = no credit
     */
    public ReturnDesk(Database db, AuditLog audit, StripeCredits credits, Duration window, BigDecimal maxRate,
                      long creditCents, Clock clock) {
        this.db = db;
        this.audit = audit;
        this.credits = credits;
        this.window = window;
        this.maxRate = maxRate;
        this.creditCents = creditCents;
        this.clock = clock;
    }

    // ------------------------------------------------------------------------------------------- the API

    /** {@code POST /api/leads/{id}/returns}: files a return for the agent in the body (channel api). */
    public ReturnView file(String leadId, Object body, ApiUser user) {
        long lead = id("lead", leadId);
        Requests.FileReturn request = bodyAs(body, Requests.FileReturn.class);
        if (request == null) {
            throw ApiProblem.badRequest("send a JSON body {customerId, reason, note}");
        }
        if (request.customerId() == null) {
            throw ApiProblem.badRequest("customerId is required");
        }
        String note = checkedReasonAndNote(request.reason(), request.note());
        return file(lead, request.customerId(), request.reason(), note, new Filer("api", user.name(), user));
    }

    /** {@code GET /api/returns?status=&limit=}: newest first. */
    public Map<String, Object> list(String status, String limit) {
        String wanted = status == null || status.isBlank() ? null : status.strip();
        if (wanted != null && !STATUSES.contains(wanted)) {
            throw ApiProblem.badRequest("status must be one of " + String.join(", ", STATUS_ORDER) + ", was '" + status + "'");
        }
        int max = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                max = Integer.parseInt(limit.strip());
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > MAX_LIMIT) {
                throw ApiProblem.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT + ", was '" + limit + "'");
            }
        }
        Timestamp since = ReturnRate.since(clock.instant());
        List<ReturnView> items = db.sql().sql(VIEW + " WHERE (CAST(? AS text) IS NULL OR r.status = ?) ORDER BY r.filed_at DESC, r.id DESC LIMIT ?")
                .params(since, since, wanted, wanted, max)
                .query((rs, n) -> view(rs)).list();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("items", items);
        return answer;
    }

    /** {@code GET /api/returns/{id}}. */
    public ReturnView get(String returnId) {
        long id = id("return", returnId);
        return find(id).orElseThrow(() -> ApiProblem.notFound("return", id));
    }

    /** {@code POST /api/returns/{id}/approve}: credit in Stripe (if any), then approved; see the class comment. */
    public ReturnView approve(String returnId, Object body, ApiUser user) {
        long id = id("return", returnId);
        Requests.Decision request = bodyAs(body, Requests.Decision.class);
        boolean force = request != null && Boolean.TRUE.equals(request.force());
        String note = checkedNote(request == null ? null : request.note(), false);
        return db.inTransaction("Approving return " + id, () -> {
            ReturnView open = lockOpen(id);
            BigDecimal rate = rate(open.customerId());
            if (rate.compareTo(maxRate) > 0 && !force) {
                throw ApiProblem.conflict("return rate " + rate.stripTrailingZeros().toPlainString() + " above "
                        + maxRate.stripTrailingZeros().toPlainString() + "; force to approve");
            }
            Integer credited = null;
            String stripeCreditId = null;
            Optional<String> stripeCustomer = creditCents > 0 && credits != null ? stripeCustomerOf(open.customerId()) : Optional.empty();
            if (stripeCustomer.isPresent()) {
                stripeCreditId = credits.credit(stripeCustomer.get(), creditCents, id, open.leadId());
                credited = (int) creditCents;
            }
            db.sql().sql("UPDATE lead_returns SET status = 'approved', decided_at = ?, decided_by = ?, decision_note = ?, "
                            + "credit_cents = ?, stripe_credit_id = ? WHERE id = ?")
                    .params(Timestamp.from(clock.instant()), user.name(), note, credited, stripeCreditId, id).update();
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("status", ReturnView.APPROVED);
            after.put("creditCents", credited);
            after.put("stripeCreditId", stripeCreditId);
            after.put("force", force);
            after.put("customerReturnRate", rate.doubleValue());
            audit.record(user, "return.approve", AuditLog.RETURN, id, Map.of("status", ReturnView.OPEN), after);
            return find(id).orElseThrow();
        });
    }

    /** {@code POST /api/returns/{id}/reject}: an open return becomes rejected. */
    public ReturnView reject(String returnId, Object body, ApiUser user) {
        long id = id("return", returnId);
        Requests.Decision request = bodyAs(body, Requests.Decision.class);
        String note = checkedNote(request == null ? null : request.note(), false);
        return db.inTransaction("Rejecting return " + id, () -> {
            lockOpen(id);
            db.sql().sql("UPDATE lead_returns SET status = 'rejected', decided_at = ?, decided_by = ?, decision_note = ? WHERE id = ?")
                    .params(Timestamp.from(clock.instant()), user.name(), note, id).update();
            audit.record(user, "return.reject", AuditLog.RETURN, id, Map.of("status", ReturnView.OPEN), Map.of("status", ReturnView.REJECTED));
            return find(id).orElseThrow();
        });
    }

    // ------------------------------------------------------------------------------------------ the link

    /** What the link's form shows, or 400 when the token's mail does not belong to its lead and agent. */
    public LinkFacts linkFacts(ReturnLinks.Claims claims) {
        return db.sql().sql("""
                SELECT l.id, l.plz, COALESCE(d.sent_at, d.scheduled_for) AS mailed_at,
                       (SELECT r.filed_at FROM lead_returns r WHERE r.lead_id = d.lead_id AND r.customer_id = d.customer_id) AS filed_at
                  FROM lead_distributions d JOIN leads l ON l.id = d.lead_id
                 WHERE d.id = ? AND d.lead_id = ? AND d.customer_id = ?
                """).params(claims.distributionId(), claims.leadId(), claims.customerId())
                .query((rs, n) -> new LinkFacts(rs.getLong(1), rs.getString(2), instant(rs.getTimestamp(3)), instant(rs.getTimestamp(4))))
                .optional()
                .orElseThrow(() -> ApiProblem.badRequest("the link's mail is not a mail of its lead and agent"));
    }

    /** Files the return of a checked link (channel link, filed by {@code agent-<customer id>}). */
    public ReturnView fileByLink(ReturnLinks.Claims claims, String reason, String note) {
        linkFacts(claims);
        String checkedNote = checkedReasonAndNote(reason, note);
        String agent = "agent-" + claims.customerId();
        return file(claims.leadId(), claims.customerId(), reason, checkedNote, new Filer("link", agent, new ApiUser(agent, "agent")));
    }

    // ------------------------------------------------------------------------------------------- filing

    private ReturnView file(long leadId, long customerId, String reason, String note, Filer filer) {
        return db.inTransaction("Filing a return of lead " + leadId, () -> {
            if (db.sql().sql("SELECT count(*) FROM leads WHERE id = ?").param(leadId).query(Long.class).single() == 0) {
                throw ApiProblem.notFound("lead", leadId);
            }
            if (db.sql().sql("SELECT count(*) FROM customers WHERE id = ?").param(customerId).query(Long.class).single() == 0) {
                throw ApiProblem.notFound("customer", customerId);
            }
            Object[] mail = db.sql().sql("SELECT id, sent_at FROM lead_distributions WHERE lead_id = ? AND customer_id = ? "
                            + "AND kind IN ('planned', 'manual') AND status = 'sent'")
                    .params(leadId, customerId).query((rs, n) -> new Object[] {rs.getLong(1), rs.getTimestamp(2)}).optional()
                    .orElseThrow(() -> ApiProblem.conflict("customer " + customerId + " never received lead " + leadId));
            long distributionId = (Long) mail[0];
            Instant closes = ((Timestamp) mail[1]).toInstant().plus(window);
            Instant now = clock.instant();
            Optional<Instant> earlier = filedAt(leadId, customerId);
            if (earlier.isPresent()) {
                throw alreadyFiled(leadId, customerId, earlier.get());
            }
            if (now.isAfter(closes)) {
                throw new ApiProblem(409, "return_window_closed", "return window closed on " + closes
                        + " (GEOLEAD_RETURN_WINDOW " + window + " after the mail of " + ((Timestamp) mail[1]).toInstant() + ")");
            }
            Optional<Long> id = db.sql().sql("""
                    INSERT INTO lead_returns (lead_id, customer_id, distribution_id, reason, note, channel, filed_by, filed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (lead_id, customer_id) DO NOTHING RETURNING id
                    """).params(leadId, customerId, distributionId, reason, note, filer.channel(), filer.filedBy(), Timestamp.from(now))
                    .query(Long.class).optional();
            if (id.isEmpty()) { // filed at the same moment by another call
                throw alreadyFiled(leadId, customerId, filedAt(leadId, customerId).orElse(now));
            }
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("status", ReturnView.OPEN);
            after.put("leadId", leadId);
            after.put("customerId", customerId);
            after.put("distributionId", distributionId);
            after.put("reason", reason);
            after.put("channel", filer.channel());
            audit.record(filer.actor(), "return.file", AuditLog.RETURN, id.get(), null, after);
            return find(id.get()).orElseThrow();
        });
    }

    private static ApiProblem alreadyFiled(long leadId, long customerId, Instant at) {
        return new ApiProblem(409, "already_filed", "customer " + customerId + " already returned lead " + leadId + " on " + at);
    }

    private Optional<Instant> filedAt(long leadId, long customerId) {
        return db.sql().sql("SELECT filed_at FROM lead_returns WHERE lead_id = ? AND customer_id = ?")
                .params(leadId, customerId).query((rs, n) -> rs.getTimestamp(1).toInstant()).optional();
    }

    /** The reason must be a known code; the note (returned stripped, null when blank) is required for other. */
    static String checkedReasonAndNote(String reason, String note) {
        if (!ReturnReasons.isKnown(reason)) {
            throw ApiProblem.badRequest("reason must be one of " + String.join(", ", ReturnReasons.CODES)
                    + (reason == null ? " (missing)" : ", was '" + abbreviate(reason) + "'"));
        }
        return checkedNote(note, ReturnReasons.OTHER.equals(reason));
    }

    static String checkedNote(String note, boolean required) {
        String stripped = note == null ? null : note.strip();
        if (stripped == null || stripped.isEmpty()) {
            if (required) {
                throw ApiProblem.badRequest("a note is required for reason other");
            }
            return null;
        }
        if (stripped.length() > MAX_NOTE) {
            throw ApiProblem.badRequest("note must be at most " + MAX_NOTE + " characters, was " + stripped.length());
        }
        if (stripped.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t')) {
            throw ApiProblem.badRequest("note must not contain control characters");
        }
        return stripped;
    }

    // ------------------------------------------------------------------------------------------ reading

    private static final String VIEW = """
            SELECT r.id, r.lead_id, r.customer_id, c.name AS customer_name, r.distribution_id, r.reason, r.note, r.channel,
                   r.filed_by, r.filed_at, r.status, r.decided_at, r.decided_by, r.decision_note, r.credit_cents,
                   r.stripe_credit_id,
                   %s AS returns_90, %s AS leads_90
              FROM lead_returns r JOIN customers c ON c.id = r.customer_id
            """.formatted(ReturnRate.returnsSince("r.customer_id"), ReturnRate.leadsSince("r.customer_id"));

    private Optional<ReturnView> find(long id) {
        Timestamp since = ReturnRate.since(clock.instant());
        return db.sql().sql(VIEW + " WHERE r.id = ?").params(since, since, id)
                .query((rs, n) -> view(rs)).optional();
    }

    /** The return, locked for the decision; 404 unknown, 409 decided already. */
    private ReturnView lockOpen(long id) {
        String status = db.sql().sql("SELECT status FROM lead_returns WHERE id = ? FOR UPDATE").param(id).query(String.class)
                .optional().orElseThrow(() -> ApiProblem.notFound("return", id));
        if (!ReturnView.OPEN.equals(status)) {
            throw ApiProblem.conflict("return " + id + " is " + status + ", only an open return can be decided");
        }
        return find(id).orElseThrow();
    }

    /** The agent's return rate now ({@link ReturnRate}). */
    BigDecimal rate(long customerId) {
        return ReturnRate.of(db, customerId, clock.instant()).rate();
    }

    private Optional<String> stripeCustomerOf(long customerId) {
        return db.sql().sql("""
                SELECT COALESCE(c.stripe_customer_id,
                                (SELECT s.stripe_customer_id FROM stripe_customers s WHERE s.customer_id = c.id
                                  ORDER BY s.linked_at, s.stripe_customer_id LIMIT 1))
                  FROM customers c WHERE c.id = ?
                """).param(customerId).query((rs, n) -> Optional.ofNullable(rs.getString(1))).single();
    }

    private static ReturnView view(ResultSet rs) throws SQLException {
        Number credit = (Number) rs.getObject("credit_cents");
        return new ReturnView(rs.getLong("id"), rs.getLong("lead_id"), rs.getLong("customer_id"), rs.getString("customer_name"),
                rs.getLong("distribution_id"), rs.getString("reason"), rs.getString("note"), rs.getString("channel"),
                rs.getString("filed_by"), iso(rs.getTimestamp("filed_at")), rs.getString("status"), iso(rs.getTimestamp("decided_at")),
                rs.getString("decided_by"), rs.getString("decision_note"), credit == null ? null : credit.intValue(),
                rs.getString("stripe_credit_id"), ReturnRate.rate(rs.getLong("returns_90"), rs.getLong("leads_90")).doubleValue());
    }

    // --------------------------------------------------------------------------------------------- input

    /** The request body as the REST binding made it; no body (or an empty one) is null, anything else 400. */
    static <T> T bodyAs(Object body, Class<T> type) {
        if (body == null || (body instanceof String text && text.isBlank()) || (body instanceof byte[] bytes && bytes.length == 0)) {
            return null;
        }
        if (type.isInstance(body)) {
            return type.cast(body);
        }
        throw ApiProblem.badRequest("the request body is not the expected JSON object");
    }

    private static long id(String what, String value) {
        if (value == null || !value.strip().matches("[0-9]{1,18}")) {
            throw ApiProblem.badRequest(what + " id must be a positive whole number, was '" + abbreviate(String.valueOf(value)) + "'");
        }
        return Long.parseLong(value.strip());
    }

    private static String abbreviate(String value) {
        String clean = value.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 40 ? clean.substring(0, 40) + "…" : clean;
    }

    private static String iso(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant().toString();
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
