package de.geolead.leadactions;

import de.geolead.api.ApiProblem;
import de.geolead.api.ApiUser;
import de.geolead.api.AuditLog;
import de.geolead.api.Requests;
import de.geolead.db.Database;
import de.geolead.lead.LeadStatus;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What an admin does to one lead through the operations API (routes/operations-api.camel.yaml): send its mail again to
 * an agent who received it ({@link #resend}), hand it out by hand ({@link #assign}), keep it out of distribution
 * ({@link #park}) and let it back in ({@link #unpark}).
 *
 * <p>Each action checks the request, then the lead and the agent under a lock on the lead row (the lock the
 * distribution plans under, so an action never races a planning of the same lead), and makes its change together with
 * its {@code audit_log} row in one transaction. A refusal is an {@link ApiProblem} (400 bad input, 404 unknown lead or
 * agent, 409 not possible now) thrown before anything is written, so it changes nothing. Resends and hand-outs are
 * {@code lead_distributions} rows like the planned mails (kind {@code resend} or {@code manual}, role {@code only},
 * due now): the route queues them after the commit, and the lead-delivery route sends each exactly once with its
 * send-time check (de.geolead.delivery.DeliveryCheck). A row whose message is lost (a crash between commit and queue)
 * is found by the distribution sweep like any pending mail.
 */
public class LeadActions {

    /** The longest park reason; it becomes part of the lead's status reason. */
    static final int MAX_REASON = 200;

    /** A mail the action created: the route queues {@code distributionId} for delivery. */
    public record NewMail(long leadId, long distributionId, long customerId, String kind) {
    }

    /** A lead after {@link #park}. */
    public record Parked(long leadId, String status, String statusReason) {
    }

    /** A lead after {@link #unpark}: pending again; the route publishes it for planning. */
    public record Unparked(long leadId, String status) {
    }

    /** The locked lead: its status, PLZ and whether its lead sheet is stored. */
    private record Lead(long id, String status, String plz, boolean hasPdf) {
        boolean parked() {
            return LeadStatus.PARKED.equals(status);
        }
    }

    /** The agent: customer status and whether a pause holds now. */
    private record Agent(long id, String status, Instant pausedUntil, boolean paused) {
        boolean paid() {
            return "paid".equals(status);
        }
    }

    /** The agent's planned or manual mail of the lead (at most one: unique index lead_distributions_one_per_agent). */
    private record Mail(long id, String status) {
    }

    private final Database db;
    private final AuditLog auditLog;

    public LeadActions(Database db, AuditLog auditLog) {
        this.db = db;
        this.auditLog = auditLog;
    }

    /**
     * A new mail of lead {@code leadId} to an agent who received it before (a {@code sent} planned or manual mail):
     * a {@code resend} row pointing at that mail. Refused (409) for a parked lead, an agent who never received the
     * lead, an agent who does not pay, a lead without its lead sheet and while an earlier resend to the agent still
     * waits. The agent's subscriptions and pause are not checked: the agent had the lead already.
     */
    public NewMail resend(String leadId, Object request, ApiUser actor) {
        long lead = id(leadId, "lead");
        if (!(request instanceof Requests.Resend resend) || resend.customerId() == null) {
            throw ApiProblem.badRequest("send the JSON body {\"customerId\": <agent id>}");
        }
        long customer = resend.customerId();
        return db.inTransaction("Resending lead " + lead + " to customer " + customer, () -> {
            Lead locked = lockLead(lead);
            Agent agent = agent(customer);
            if (locked.parked()) {
                throw ApiProblem.conflict("lead " + lead + " is parked: unpark it first");
            }
            Mail received = mailOf(lead, customer).filter(mail -> "sent".equals(mail.status()))
                    .orElseThrow(() -> ApiProblem.conflict("customer " + customer + " never received lead " + lead));
            if (!agent.paid()) {
                throw ApiProblem.conflict("customer " + customer + " is " + agent.status() + ": only paid agents get mails");
            }
            if (!locked.hasPdf()) {
                throw ApiProblem.conflict("lead " + lead + " has no lead sheet (PDF) any more");
            }
            Optional<Long> waiting = db.sql().sql("SELECT id FROM lead_distributions WHERE lead_id = ? AND customer_id = ? "
                    + "AND kind = 'resend' AND status IN ('pending', 'sending') ORDER BY id LIMIT 1")
                    .params(lead, customer).query(Long.class).optional();
            if (waiting.isPresent()) {
                throw ApiProblem.conflict("a resend of lead " + lead + " to customer " + customer
                        + " is still on its way (mail " + waiting.get() + ")");
            }
            long mail = insertMail(lead, customer, "resend", received.id(), false, actor);
            auditLog.record(actor, "lead.resend", AuditLog.LEAD, lead, Map.of("status", locked.status()),
                    mailAudit(locked.status(), mail, customer, "resend", "resendOf", received.id()));
            return new NewMail(lead, mail, customer, "resend");
        });
    }

    /**
     * Hands lead {@code leadId} to an agent by hand: a {@code manual} row, and the lead becomes {@code distributed}
     * (also an expired or unassigned one). The agent must pay, not be paused, not have a planned or manual mail of the
     * lead already (that is a resend) and cover the lead's PLZ by an active subscription unless {@code force}; the lead
     * must not be parked nor without consent ({@code no_consent}) and needs its PLZ and lead sheet. The monthly cap does not stop a hand-out by hand.
     */
    public NewMail assign(String leadId, Object request, ApiUser actor) {
        long lead = id(leadId, "lead");
        if (!(request instanceof Requests.Assign assign) || assign.customerId() == null) {
            throw ApiProblem.badRequest("send the JSON body {\"customerId\": <agent id>, \"force\": false}");
        }
        long customer = assign.customerId();
        boolean force = Boolean.TRUE.equals(assign.force());
        return db.inTransaction("Assigning lead " + lead + " to customer " + customer, () -> {
            Lead locked = lockLead(lead);
            Agent agent = agent(customer);
            if (locked.parked()) {
                throw ApiProblem.conflict("lead " + lead + " is parked: unpark it first");
            }
            if (LeadStatus.NO_CONSENT.equals(locked.status())) {
                throw ApiProblem.conflict("lead " + lead + " has no consent to be passed on (DIALFIRE_CONSENT_FIELD)");
            }
            if (!agent.paid()) {
                throw ApiProblem.conflict("customer " + customer + " is " + agent.status() + ": only paid agents get leads");
            }
            if (agent.paused()) {
                throw ApiProblem.conflict("customer " + customer + " is paused until " + agent.pausedUntil());
            }
            Optional<Mail> earlier = mailOf(lead, customer);
            if (earlier.isPresent()) {
                throw ApiProblem.conflict("customer " + customer + " already has mail " + earlier.get().id() + " of lead "
                        + lead + " (" + earlier.get().status() + "): " + ("sent".equals(earlier.get().status()) ? "use resend"
                        : "an agent gets one planned or manual mail per lead"));
            }
            if (locked.plz() == null) {
                throw ApiProblem.conflict("lead " + lead + " has no PLZ (" + locked.status() + "): it cannot be mailed");
            }
            if (!locked.hasPdf()) {
                throw ApiProblem.conflict("lead " + lead + " has no lead sheet (PDF)");
            }
            if (!force && !covers(customer, locked.plz())) {
                throw ApiProblem.conflict("customer " + customer + " does not cover PLZ " + locked.plz()
                        + "; force to hand it out anyway");
            }
            long mail = insertMail(lead, customer, "manual", null, force, actor);
            db.sql().sql("UPDATE leads SET status = 'distributed', status_reason = NULL, unassigned_since = NULL, "
                    + "processed_at = COALESCE(processed_at, now()), updated_at = now() WHERE id = ?").param(lead).update();
            Map<String, Object> after = mailAudit(LeadStatus.DISTRIBUTED, mail, customer, "manual", "force", force);
            auditLog.record(actor, "lead.assign", AuditLog.LEAD, lead, Map.of("status", locked.status()), after);
            return new NewMail(lead, mail, customer, "manual");
        });
    }

    /**
     * Keeps lead {@code leadId} out of distribution: status {@code parked} with the reason "parked by ACTOR: REASON".
     * Its pending mails are skipped at send time and nothing plans it until {@link #unpark}. The reason is required:
     * 1-200 characters without control characters (400); an already parked lead is 409.
     */
    public Parked park(String leadId, Object request, ApiUser actor) {
        long lead = id(leadId, "lead");
        String reason = reason(request);
        return db.inTransaction("Parking lead " + lead, () -> {
            Lead locked = lockLead(lead);
            if (locked.parked()) {
                throw ApiProblem.conflict("lead " + lead + " is already parked");
            }
            String statusReason = "parked by " + actor.name() + ": " + reason;
            db.sql().sql("UPDATE leads SET status = 'parked', status_reason = ?, updated_at = now() WHERE id = ?")
                    .params(statusReason, lead).update();
            auditLog.record(actor, "lead.park", AuditLog.LEAD, lead, Map.of("status", locked.status()),
                    Map.of("status", LeadStatus.PARKED, "statusReason", statusReason));
            return new Parked(lead, LeadStatus.PARKED, statusReason);
        });
    }

    /**
     * Lets a parked lead back in: status {@code pending} (its retry period for nobody covering it starts afresh); the
     * route then publishes it to be planned among the agents without a mail of it. A lead that is not parked is 409.
     */
    public Unparked unpark(String leadId, ApiUser actor) {
        long lead = id(leadId, "lead");
        return db.inTransaction("Unparking lead " + lead, () -> {
            Lead locked = lockLead(lead);
            if (!locked.parked()) {
                throw ApiProblem.conflict("lead " + lead + " is not parked (" + locked.status() + ")");
            }
            db.sql().sql("UPDATE leads SET status = 'pending', status_reason = NULL, unassigned_since = NULL, "
                    + "updated_at = now() WHERE id = ?").param(lead).update();
            auditLog.record(actor, "lead.unpark", AuditLog.LEAD, lead, Map.of("status", LeadStatus.PARKED),
                    Map.of("status", LeadStatus.PENDING));
            return new Unparked(lead, LeadStatus.PENDING);
        });
    }

    /** A path id: digits only, else 400. */
    static long id(String value, String what) {
        if (value == null || !value.matches("[0-9]{1,18}")) {
            throw ApiProblem.badRequest("the " + what + " id must be a number");
        }
        return Long.parseLong(value);
    }

    /** The park reason, stripped: 1-200 characters without control characters, else 400. */
    static String reason(Object request) {
        if (!(request instanceof Requests.Park park) || park.reason() == null || park.reason().isBlank()) {
            throw ApiProblem.badRequest("send the JSON body {\"reason\": \"why the lead is parked\"} (1-" + MAX_REASON + " characters)");
        }
        String reason = park.reason().strip();
        if (reason.length() > MAX_REASON) {
            throw ApiProblem.badRequest("reason is " + reason.length() + " characters long; at most " + MAX_REASON);
        }
        if (reason.chars().anyMatch(Character::isISOControl)) {
            throw ApiProblem.badRequest("reason must be one line without control characters");
        }
        return reason;
    }

    /** Locks the lead until commit; 404 if there is none, 409 if it was erased (nothing may be done with it any more). */
    private Lead lockLead(long lead) {
        record Locked(Lead lead, boolean erased) { }
        Locked locked = db.sql().sql("SELECT l.status, l.plz, EXISTS (SELECT 1 FROM lead_pdfs p WHERE p.lead_id = l.id), "
                        + "l.erased_at IS NOT NULL FROM leads l WHERE l.id = ? FOR UPDATE")
                .param(lead).query((rs, n) -> new Locked(new Lead(lead, rs.getString(1), rs.getString(2), rs.getBoolean(3)), rs.getBoolean(4)))
                .optional().orElseThrow(() -> ApiProblem.notFound("lead", lead));
        if (locked.erased()) {
            throw ApiProblem.conflict("lead " + lead + " was erased (data protection): its homeowner data is gone");
        }
        return locked.lead();
    }

    private Agent agent(long customer) {
        return db.sql().sql("SELECT status, paused_until, COALESCE(paused_until > now(), false) FROM customers WHERE id = ?")
                .param(customer)
                .query((rs, n) -> new Agent(customer, rs.getString(1), instant(rs.getTimestamp(2)), rs.getBoolean(3)))
                .optional().orElseThrow(() -> ApiProblem.notFound("customer", customer));
    }

    private Optional<Mail> mailOf(long lead, long customer) {
        return db.sql().sql("SELECT id, status FROM lead_distributions WHERE lead_id = ? AND customer_id = ? AND kind <> 'resend'")
                .params(lead, customer).query((rs, n) -> new Mail(rs.getLong(1), rs.getString(2))).optional();
    }

    /** Whether an active subscription of the agent covers the PLZ (the planning's definition, pause and payment aside). */
    private boolean covers(long customer, String plz) {
        return db.sql().sql("SELECT EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = ? AND s.status = 'active' "
                        + "AND s.start_date <= now() AND (s.end_date IS NULL OR s.end_date > now()) AND ? LIKE s.plz || '%')")
                .params(customer, plz).query(Boolean.class).single();
    }

    /** A mail due now, as the delivery expects it: pending, role only, enqueued now (the sweep's clock for lost messages). */
    private long insertMail(long lead, long customer, String kind, Long resendOf, boolean forced, ApiUser actor) {
        return db.sql().sql("""
                INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, status, role, kind, resend_of,
                                                requested_by, forced, enqueued_at)
                VALUES (?, ?, now(), 'pending', 'only', ?, ?, ?, ?, now())
                RETURNING id
                """).params(lead, customer, kind, resendOf, actor.name(), forced).query(Long.class).single();
    }

    private static Map<String, Object> mailAudit(String status, long mail, long customer, String kind, String key, Object value) {
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("status", status);
        after.put("distributionId", mail);
        after.put("customerId", customer);
        after.put("kind", kind);
        after.put(key, value);
        return after;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
