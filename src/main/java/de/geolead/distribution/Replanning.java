package de.geolead.distribution;

import de.geolead.distribution.DistributionStore.Scheduled;
import de.geolead.lead.LeadStatus;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What follows a mail that will never go out (skipped at send time, or failed for good), called by the
 * route {@code mail-given-up}:
 * <ul>
 *   <li>a head start that will never go out releases the followers not tried yet at once, unless another
 *       row of the lead holds the head start: their times move earlier by what was left of the head start
 *       (all-after: all now; staggered: the first now, the others keep their spacing), inside the delivery
 *       window. Roles follow what is now true: a single remaining follower becomes {@code only};
 *       a first follower who now has the lead alone for a while becomes {@code head_start}; followers due
 *       together stay {@code follower}. Their old delayed messages later find the rows no longer pending, or
 *       claim them once; a row is only ever claimed from {@code pending}, so no mail goes out twice.</li>
 *   <li>a lead left without a sent or open mail is to be planned again ({@link DistributionStore} then plans
 *       it among the agents without a row for it, or makes it {@code unassigned}).</li>
 * </ul>
 * A manual hand-out ({@code kind manual}, role {@code only}) is followed up like an {@code only} mail. A resend
 * ({@code kind resend}) is left alone: it releases nobody and never makes the lead planned again.
 */
public class Replanning {

    /**
     * @param released the followers whose mail moved earlier, with their new time and role, to enqueue
     * @param replan   true if the lead has no sent and no open mail left and must be planned again
     */
    public record Outcome(long distributionId, long leadId, List<Scheduled> released, boolean replan) {

        public boolean changesSomething() {
            return replan || !released.isEmpty();
        }

        /** One log line, ids only. */
        public String describe() {
            StringBuilder line = new StringBuilder("Distribution ").append(distributionId).append(" (lead ")
                    .append(leadId).append(") given up:");
            if (!released.isEmpty()) {
                line.append(" head start released the followers");
                for (Scheduled s : released) {
                    line.append(" customer ").append(s.customerId()).append(" (").append(s.role()).append(" at ")
                            .append(s.scheduledFor()).append(")");
                }
            }
            if (replan) {
                line.append(" no mail of the lead is sent or open, planning it again");
            }
            return line.toString();
        }
    }

    /** A pending follower mail of the lead. */
    record Waiting(long distributionId, long customerId, Instant scheduledFor) {
    }

    private final DistributionStore store;
    private final DeliveryWindow window;
    private final Clock clock;

    public Replanning(DistributionStore store, DeliveryWindow window, Clock clock) {
        this.store = store;
        this.window = window;
        this.clock = clock;
    }

    /**
     * After distribution {@code distributionId} was skipped or failed for good: releases the followers of a
     * head start and tells whether the lead must be planned again. Does nothing for a row that is not
     * {@code skipped} or {@code failed}, nor for a head start while another row of the lead holds it (a
     * released follower, a later plan), so calling it again (a redelivery) or for any row is harmless. In one
     * transaction on the locked lead row (as {@link DistributionStore} plans it), so it never races a
     * planning of the same lead.
     */
    public Outcome mailGivenUp(long distributionId) {
        return store.inTransaction("Following up distribution " + distributionId, () -> mailGivenUpLocked(distributionId));
    }

    /** A distribution's lead, role, status and kind ({@code planned}, {@code manual}, {@code resend}). */
    private record Given(long leadId, String role, String status, String kind) {
    }

    private Outcome mailGivenUpLocked(long distributionId) {
        Given given = store.db().sql().sql("SELECT lead_id, role, status, kind FROM lead_distributions WHERE id = ?").param(distributionId)
                .query((rs, n) -> new Given(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4))).optional().orElse(null);
        if (given == null) {
            return new Outcome(distributionId, 0, List.of(), false);
        }
        long leadId = given.leadId();
        // skipped and failed are final; anything else is not given up
        if (!"skipped".equals(given.status()) && !"failed".equals(given.status())) {
            return new Outcome(distributionId, leadId, List.of(), false);
        }
        // a resend is a copy of a mail the agent has: nobody waits for it and the lead is not short of a recipient
        if ("resend".equals(given.kind())) {
            return new Outcome(distributionId, leadId, List.of(), false);
        }
        String leadStatus = store.lockLead(leadId);
        List<Scheduled> released = PlannedDelivery.HEAD_START.equals(given.role()) ? releaseFollowers(leadId) : List.of();
        boolean replan = LeadStatus.DISTRIBUTED.equals(leadStatus) && !store.hasLiveMail(leadId);
        return new Outcome(distributionId, leadId, released, replan);
    }

    private List<Scheduled> releaseFollowers(long leadId) {
        // somebody holds the head start (a follower released before, or a later plan): nothing to release;
        // manual hand-outs and resends (role only) hold no head start
        if (store.exists("SELECT EXISTS (SELECT 1 FROM lead_distributions WHERE lead_id = ? AND kind = 'planned' "
                + "AND role IN ('head_start', 'only') AND status IN ('pending', 'sending', 'sent'))", leadId)) {
            return List.of();
        }
        boolean othersHaveIt = store.exists("SELECT EXISTS (SELECT 1 FROM lead_distributions "
                + "WHERE lead_id = ? AND status IN ('sending', 'sent'))", leadId);
        List<Waiting> waiting = store.db().sql().sql("""
                SELECT id, customer_id, scheduled_for FROM lead_distributions
                 WHERE lead_id = ? AND role = 'follower' AND status = 'pending' AND attempts = 0
                 ORDER BY scheduled_for, id FOR UPDATE
                """).param(leadId)
                .query((rs, n) -> new Waiting(rs.getLong(1), rs.getLong(2), rs.getTimestamp(3).toInstant())).list();
        List<Scheduled> released = new ArrayList<>();
        for (Scheduled s : release(waiting, othersHaveIt, clock.instant(), window)) {
            int updated = store.db().sql().sql("UPDATE lead_distributions SET scheduled_for = ?, role = ?, enqueued_at = now() "
                    + "WHERE id = ? AND status = 'pending'").params(Timestamp.from(s.scheduledFor()), s.role(), s.distributionId()).update();
            if (updated == 1) {
                released.add(s);
            }
        }
        return released;
    }

    /**
     * The new times and roles of the waiting followers (ordered by time) once the head start is gone:
     * everyone moves earlier by what was left of the head start, so the first is due {@code now} (or at the
     * window's next opening). Empty if the first is due already. Roles change only while nobody else has the
     * lead ({@code othersHaveIt} false): one follower left → {@code only}; a first follower due before the
     * next → {@code head_start}.
     */
    static List<Scheduled> release(List<Waiting> waiting, boolean othersHaveIt, Instant now, DeliveryWindow window) {
        if (waiting.isEmpty() || !waiting.get(0).scheduledFor().isAfter(now)) {
            return List.of();
        }
        Duration left = Duration.between(now, waiting.get(0).scheduledFor());
        List<Instant> times = waiting.stream().map(w -> window.nextOpening(w.scheduledFor().minus(left))).toList();
        List<Scheduled> released = new ArrayList<>();
        for (int i = 0; i < waiting.size(); i++) {
            String role = PlannedDelivery.FOLLOWER;
            if (!othersHaveIt && i == 0) {
                if (waiting.size() == 1) {
                    role = PlannedDelivery.ONLY;
                } else if (times.get(0).isBefore(times.get(1))) {
                    role = PlannedDelivery.HEAD_START;
                }
            }
            Waiting w = waiting.get(i);
            released.add(new Scheduled(w.distributionId(), w.customerId(), times.get(i), role));
        }
        return released;
    }
}
