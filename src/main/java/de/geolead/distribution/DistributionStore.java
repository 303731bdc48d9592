package de.geolead.distribution;

import de.geolead.lead.LeadStatus;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes a lead's distribution plan in one transaction: one {@code lead_distributions} row per
 * recipient (UNIQUE(lead_id, customer_id)) and the lead's status. The lead row is locked first,
 * so concurrent consumers, redeliveries and restarts can never plan a lead twice. A {@code distributed}
 * lead whose every mail was skipped or failed is planned again, among the agents without a row for it.
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

    private final DataSource dataSource;

    public DistributionStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Plans and stores the lead's distribution. Planning happens inside the transaction, under a lock on
     * the lead's PLZ, with the agents' last head starts read again there: two leads of one PLZ planned at
     * the same moment still rotate fairly.
     */
    public Outcome save(long leadId, String plz, List<EligibleAgent> eligible, Function<List<EligibleAgent>, DistributionPlan> planner) {
        return inTransaction("Saving the distribution of lead " + leadId, c -> save(c, leadId, plz, eligible, planner));
    }

    /** Work on one connection, committed together. */
    interface TransactionWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    <T> T inTransaction(String what, TransactionWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(what + " failed", e);
        }
    }

    private Outcome save(Connection c, long leadId, String plz, List<EligibleAgent> eligible,
                         Function<List<EligibleAgent>, DistributionPlan> planner) throws SQLException {
        String status = lockLead(c, leadId);
        if (status == null) {
            return new Outcome(leadId, "missing", false, List.of(), 0);
        }
        boolean plannable = LeadStatus.PENDING.equals(status) || LeadStatus.UNASSIGNED.equals(status)
                // every mail skipped or failed: nobody has the lead, so it is planned again
                || LeadStatus.DISTRIBUTED.equals(status) && !hasLiveMail(c, leadId);
        if (!plannable) {
            return new Outcome(leadId, status, false,
                    LeadStatus.DISTRIBUTED.equals(status) ? pending(c, leadId) : List.of(), 0);
        }
        // UNIQUE(lead_id, customer_id): an agent whose mail of this lead was skipped or failed gets no second row
        Set<Long> earlier = recipients(c, leadId);
        List<EligibleAgent> candidates = eligible.stream().filter(a -> !earlier.contains(a.customerId())).toList();
        DistributionPlan plan = planner.apply(withCurrentHeadStarts(c, plz, candidates));
        if (plan.isUnassigned()) {
            update(c, "UPDATE leads SET status = 'unassigned', unassigned_since = COALESCE(unassigned_since, now()), "
                    + "status_reason = ?, updated_at = now() WHERE id = ?",
                    earlier.isEmpty() ? "no paying agent covers this PLZ"
                            : "every mail was skipped or failed and no other paying agent covers this PLZ", leadId);
            return new Outcome(leadId, LeadStatus.UNASSIGNED, true, List.of(), earlier.size());
        }
        String insert = """
                INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, enqueued_at)
                VALUES (?, ?, ?, ?, 'pending', now())
                ON CONFLICT (lead_id, customer_id) DO NOTHING
                """;
        try (PreparedStatement ps = c.prepareStatement(insert)) {
            for (PlannedDelivery delivery : plan.deliveries()) {
                ps.setLong(1, leadId);
                ps.setLong(2, delivery.customerId());
                ps.setTimestamp(3, Timestamp.from(delivery.scheduledFor()));
                ps.setString(4, delivery.role());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        // unassigned_since restarts if the lead ever comes back to unassigned (all its mails skipped or failed)
        update(c, "UPDATE leads SET status = 'distributed', status_reason = NULL, unassigned_since = NULL, processed_at = now(), "
                + "updated_at = now() WHERE id = ?", leadId);
        return new Outcome(leadId, LeadStatus.DISTRIBUTED, true, pending(c, leadId), earlier.size());
    }

    /** True if a mail of the lead is still open ({@code pending}, {@code sending}) or {@code sent}. */
    static boolean hasLiveMail(Connection c, long leadId) throws SQLException {
        return exists(c, "SELECT EXISTS (SELECT 1 FROM lead_distributions "
                + "WHERE lead_id = ? AND status IN ('pending', 'sending', 'sent'))", leadId);
    }

    /** The answer of a {@code SELECT EXISTS (…)} with the lead id as its one parameter. */
    static boolean exists(Connection c, String sql, long leadId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, leadId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The agents who already have a row for the lead (at this point: all skipped or failed). */
    private static Set<Long> recipients(Connection c, long leadId) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT customer_id FROM lead_distributions WHERE lead_id = ?")) {
            ps.setLong(1, leadId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids;
    }

    /**
     * Takes the PLZ lock (until commit) and re-reads when each agent last had a head start in this PLZ.
     * A head start whose mail was skipped or failed was not the agent's turn (as in sql/eligible-agents.sql).
     */
    private static List<EligibleAgent> withCurrentHeadStarts(Connection c, String plz, List<EligibleAgent> eligible) throws SQLException {
        if (eligible.isEmpty() || plz == null) {
            return eligible;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('geolead-plz:' || ?))")) {
            ps.setString(1, plz);
            ps.execute();
        }
        Map<Long, Instant> last = new HashMap<>();
        String sql = """
                SELECT d.customer_id, max(d.created_at) FROM lead_distributions d JOIN leads l ON l.id = d.lead_id
                 WHERE l.plz = ? AND d.role = 'head_start' AND d.status NOT IN ('skipped', 'failed')
                   AND d.customer_id = ANY (?) GROUP BY d.customer_id
                """;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, plz);
            ps.setArray(2, c.createArrayOf("bigint", eligible.stream().map(EligibleAgent::customerId).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    last.put(rs.getLong(1), rs.getTimestamp(2).toInstant());
                }
            }
        }
        return eligible.stream()
                .map(a -> new EligibleAgent(a.customerId(), a.subscribedSince(), last.get(a.customerId())))
                .toList();
    }

    /** Locks the lead row until commit; returns its status, or null if there is no such lead. */
    static String lockLead(Connection c, long leadId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT status FROM leads WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, leadId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static List<Scheduled> pending(Connection c, long leadId) throws SQLException {
        String sql = "SELECT id, customer_id, scheduled_for, role FROM lead_distributions WHERE lead_id = ? AND status = 'pending' ORDER BY scheduled_for, id";
        List<Scheduled> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, leadId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Scheduled(rs.getLong(1), rs.getLong(2), rs.getTimestamp(3).toInstant(), rs.getString(4)));
                }
            }
        }
        return rows;
    }

    private static void update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }
}
