package de.geolead.distribution;

import de.geolead.db.Database;
import de.geolead.lead.LeadStatus;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Writes a lead's distribution plan in one transaction: one {@code lead_distributions} row per
 * recipient (UNIQUE(lead_id, customer_id)) and the lead's status. The lead row is locked first,
 * so concurrent consumers, redeliveries and restarts can never plan a lead twice. A {@code distributed}
 * lead whose every mail was skipped or failed is planned again, among the agents without a row for it.
 * Agents at their monthly cap are left out, counted again under a lock on their rows ({@link MonthlyCap#withinCap}).
 */
public class DistributionStore {

    /** A planned mail that needs a message on the deliveries queue. */
    public record Scheduled(long distributionId, long customerId, Instant scheduledFor, String role) {
        public long scheduledForMillis() {
            return scheduledFor.toEpochMilli();
        }
    }

    /**
     * @param leadStatus   the lead's status after this call ({@code missing} if there is no such lead)
     * @param newlyPlanned whether this call planned the lead (false: it was planned before, or is not plannable)
     * @param toEnqueue    the lead's mails still pending, to (re-)enqueue; duplicates are harmless downstream
     * @param givenUp      how many earlier mails of the lead were skipped or failed (a lead planned again has some)
     */
    public record Outcome(long leadId, String leadStatus, boolean newlyPlanned, List<Scheduled> toEnqueue, int givenUp) {

        /** One log line: lead, status and who gets it when; ids only. */
        public String describe() {
            StringBuilder line = new StringBuilder("Lead ").append(leadId()).append(": ");
            if (newlyPlanned() && givenUp() > 0) {
                line.append("planned again (").append(givenUp()).append(" earlier mail(s) skipped or failed), ");
            }
            if (!newlyPlanned()) {
                line.append("already ").append(leadStatus());
                if (!toEnqueue().isEmpty()) {
                    line.append(", re-enqueuing ").append(toEnqueue().size()).append(" pending mail(s)");
                }
                return line.toString();
            }
            if (toEnqueue().isEmpty()) {
                return line.append(leadStatus()).append(givenUp() > 0 ? " (no other paying agent covers its PLZ)"
                        : " (no paying agent covers its PLZ)").toString();
            }
            line.append("distributed to");
            for (Scheduled s : toEnqueue()) {
                line.append(" customer ").append(s.customerId()).append(" (").append(s.role()).append(" at ").append(s.scheduledFor()).append(")");
            }
            return line.toString();
        }
    }

    /** What {@link #lockLead} says of an erased lead (not a {@code leads.status}). */
    static final String ERASED = "erased";

    private final Database db;
    private final MonthlyCap monthlyCap;

    /** @param monthlyCap checks the agents' monthly caps again under a lock while planning */
    public DistributionStore(Database db, MonthlyCap monthlyCap) {
        this.db = db;
        this.monthlyCap = monthlyCap;
    }

    /**
     * Plans and stores the lead's distribution. Planning happens inside the transaction, under a lock on
     * the lead's PLZ, with the agents' last head starts read again there: two leads of one PLZ planned at
     * the same moment still rotate fairly.
     */
    public Outcome save(long leadId, String plz, List<EligibleAgent> eligible, Function<List<EligibleAgent>, DistributionPlan> planner) {
        return inTransaction("Saving the distribution of lead " + leadId, () -> saveLocked(leadId, plz, eligible, planner));
    }

    /**
     * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. A database failure is
     * reported with {@code what} and PostgreSQL's SQLState only (its message may quote values).
     */
    <T> T inTransaction(String what, Supplier<T> work) {
        return db.inTransaction(what, work);
    }

    /** Statements; inside {@link #inTransaction} they share its connection. */
    Database db() {
        return db;
    }

    private Outcome saveLocked(long leadId, String plz, List<EligibleAgent> eligible,
                               Function<List<EligibleAgent>, DistributionPlan> planner) {
        String status = lockLead(leadId);
        if (status == null) {
            return new Outcome(leadId, "missing", false, List.of(), 0);
        }
        // not plannable: parked (by hand, until unparked), the import's parked statuses, expired, and distributed with a mail
        boolean plannable = LeadStatus.PENDING.equals(status) || LeadStatus.UNASSIGNED.equals(status)
                // every mail skipped or failed: nobody has the lead, so it is planned again
                || LeadStatus.DISTRIBUTED.equals(status) && !hasLiveMail(leadId);
        if (!plannable) {
            return new Outcome(leadId, status, false,
                    LeadStatus.DISTRIBUTED.equals(status) ? pending(leadId) : List.of(), 0);
        }
        // UNIQUE(lead_id, customer_id): an agent whose mail of this lead was skipped or failed gets no second row
        Set<Long> earlier = recipients(leadId);
        List<EligibleAgent> candidates = eligible.stream().filter(a -> !earlier.contains(a.customerId())).toList();
        // the monthly cap, counted again under a lock on the capped agents (sql/eligible-agents.sql read it unlocked)
        candidates = monthlyCap.withinCap(db.sql(), candidates);
        DistributionPlan plan = planner.apply(withCurrentHeadStarts(plz, candidates));
        if (plan.isUnassigned()) {
            db.sql().sql("UPDATE leads SET status = 'unassigned', unassigned_since = COALESCE(unassigned_since, now()), "
                    + "status_reason = ?, updated_at = now() WHERE id = ?")
                    .params(earlier.isEmpty() ? "no paying agent covers this PLZ"
                            : "every mail was skipped or failed and no other paying agent covers this PLZ", leadId).update();
            return new Outcome(leadId, LeadStatus.UNASSIGNED, true, List.of(), earlier.size());
        }
        for (PlannedDelivery delivery : plan.deliveries()) {
            db.sql().sql("""
                    INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, enqueued_at)
                    VALUES (?, ?, ?, ?, 'pending', now())
                    ON CONFLICT (lead_id, customer_id) WHERE kind <> 'resend' DO NOTHING
                    """).params(leadId, delivery.customerId(), Timestamp.from(delivery.scheduledFor()), delivery.role()).update();
        }
        // unassigned_since restarts if the lead ever comes back to unassigned (all its mails skipped or failed)
        db.sql().sql("UPDATE leads SET status = 'distributed', status_reason = NULL, unassigned_since = NULL, processed_at = now(), "
                + "updated_at = now() WHERE id = ?").param(leadId).update();
        return new Outcome(leadId, LeadStatus.DISTRIBUTED, true, pending(leadId), earlier.size());
    }

    /** True if a mail of the lead is still open ({@code pending}, {@code sending}) or {@code sent}. */
    boolean hasLiveMail(long leadId) {
        return exists("SELECT EXISTS (SELECT 1 FROM lead_distributions "
                + "WHERE lead_id = ? AND status IN ('pending', 'sending', 'sent'))", leadId);
    }

    /** The answer of a {@code SELECT EXISTS (…)} with the lead id as its one parameter. */
    boolean exists(String sql, long leadId) {
        return db.sql().sql(sql).param(leadId).query(Boolean.class).single();
    }

    /** The agents who already have a row for the lead (at this point: all skipped or failed). */
    private Set<Long> recipients(long leadId) {
        return new HashSet<>(db.sql().sql("SELECT customer_id FROM lead_distributions WHERE lead_id = ?")
                .param(leadId).query(Long.class).list());
    }

    /**
     * Takes the PLZ lock (until commit) and reads when each agent last had a head start in this PLZ: the one
     * place the fair rotation's order is computed (sql/eligible-agents.sql only finds who may get the lead).
     * A head start whose mail was skipped or failed was not the agent's turn.
     */
    private List<EligibleAgent> withCurrentHeadStarts(String plz, List<EligibleAgent> eligible) {
        if (eligible.isEmpty() || plz == null) {
            return eligible;
        }
        db.sql().sql("SELECT pg_advisory_xact_lock(hashtext('geolead-plz:' || ?))").param(plz).query((rs, n) -> 1).list();
        Map<Long, Instant> last = new HashMap<>();
        db.sql().sql("""
                SELECT d.customer_id, max(d.created_at) FROM lead_distributions d JOIN leads l ON l.id = d.lead_id
                 WHERE l.plz = ? AND d.role = 'head_start' AND d.status NOT IN ('skipped', 'failed')
                   AND d.customer_id = ANY (?) GROUP BY d.customer_id
                """).params(plz, eligible.stream().map(EligibleAgent::customerId).toArray(Long[]::new))
                .query((rs, n) -> Map.entry(rs.getLong(1), rs.getTimestamp(2).toInstant()))
                .list().forEach(e -> last.put(e.getKey(), e.getValue()));
        return eligible.stream()
                .map(a -> new EligibleAgent(a.customerId(), a.subscribedSince(), last.get(a.customerId())))
                .toList();
    }

    /**
     * Locks the lead row until commit; returns its status ({@value #ERASED} for an erased lead, whatever its status:
     * its homeowner data is gone, nobody may be given it), or null if there is no such lead.
     */
    String lockLead(long leadId) {
        return db.sql().sql("SELECT CASE WHEN erased_at IS NULL THEN status ELSE '" + ERASED + "' END FROM leads WHERE id = ? FOR UPDATE")
                .param(leadId).query(String.class).optional().orElse(null);
    }

    private List<Scheduled> pending(long leadId) {
        return db.sql().sql("SELECT id, customer_id, scheduled_for, role FROM lead_distributions WHERE lead_id = ? "
                        + "AND status = 'pending' ORDER BY scheduled_for, id")
                .param(leadId)
                .query((rs, n) -> new Scheduled(rs.getLong(1), rs.getLong(2), rs.getTimestamp(3).toInstant(), rs.getString(4)))
                .list();
    }
}
