package de.geolead.distribution;

import de.geolead.db.Database;
import org.springframework.dao.DataAccessException;

import java.time.Duration;
import java.util.List;

/**
 * The hourly safety net behind the queues, called by the route {@code distribution-sweep}.
 * Each step claims its rows with {@code FOR UPDATE SKIP LOCKED} in one statement, so two Geolead
 * instances sweeping at once never work on the same row.
 */
public class DistributionSweep {

    private final Database db;
    private final Duration unassignedRetry;
    private final Duration grace;
    private final int batchSize;

    public DistributionSweep(Database db, Duration unassignedRetry, Duration grace, int batchSize) {
        this.db = db;
        this.unassignedRetry = unassignedRetry;
        this.grace = grace;
        this.batchSize = batchSize;
    }

    /** Unassigned leads that found no paying agent for longer than the retry period become {@code expired}. */
    public List<Long> expireUnassigned() {
        return ids("""
                WITH due AS (SELECT id FROM leads
                              WHERE status = 'unassigned' AND unassigned_since <= now() - ?::interval
                              ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
                UPDATE leads l SET status = 'expired', updated_at = now(),
                       status_reason = 'no paying agent covered this PLZ within ' || ?
                  FROM due WHERE l.id = due.id
                RETURNING l.id
                """, interval(unassignedRetry), batchSize, readable(unassignedRetry));
    }

    /**
     * Leads to plan (again), untouched for the grace period: pending and unassigned ones, and distributed ones
     * without a sent or open mail (all skipped or failed, and the delivery route's own re-plan message lost).
     */
    public List<Long> leadsToPlan() {
        return ids("""
                WITH given_up AS (SELECT DISTINCT g.lead_id AS id FROM lead_distributions g
                                   WHERE g.status IN ('skipped', 'failed')
                                     AND NOT EXISTS (SELECT 1 FROM lead_distributions o WHERE o.lead_id = g.lead_id
                                                        AND o.status IN ('pending', 'sending', 'sent'))),
                     due AS (SELECT id FROM leads
                              WHERE (status IN ('pending', 'unassigned')
                                     OR status = 'distributed' AND id IN (SELECT id FROM given_up))
                                AND erased_at IS NULL AND updated_at <= now() - ?::interval
                              ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
                UPDATE leads l SET updated_at = now() FROM due WHERE l.id = due.id
                RETURNING l.id
                """, interval(grace), batchSize);
    }

    /**
     * Mails to enqueue again: pending a grace period after they were due, last enqueued or due for their next attempt
     * (the broker lost or never got their message), or {@code sending} with a claim whose lease ran out (the sender
     * vanished mid-send: outcome unknown). A live attempt keeps its claim ({@code lease_until}, GEOLEAD_MAIL_LEASE,
     * longer than the longest SMTP conversation), so it is never taken back; a taken-back mail is sent again with
     * the same Message-ID, which makes at most one duplicate if the vanished attempt had got it through.
     * (Claims from before the lease existed count from {@code claimed_at} plus the grace.)
     */
    public List<Long> lostDeliveries() {
        return ids("""
                WITH due AS (SELECT id FROM lead_distributions
                              WHERE (status = 'pending' AND GREATEST(scheduled_for, enqueued_at, next_attempt_at) <= now() - ?::interval)
                                 OR (status = 'sending' AND COALESCE(lease_until, claimed_at + ?::interval) <= now())
                              ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
                UPDATE lead_distributions d SET status = 'pending', claimed_at = NULL, lease_until = NULL, enqueued_at = now(),
                       status_reason = CASE WHEN d.status = 'sending'
                                            THEN 'outcome of attempt ' || d.attempts || ' unknown (claim older than its lease): sent again with the same Message-ID'
                                            ELSE d.status_reason END
                  FROM due WHERE d.id = due.id
                RETURNING d.id
                """, interval(grace), interval(grace), batchSize);
    }

    /** P7D rather than Duration's PT168H. */
    static String readable(Duration duration) {
        long days = duration.toDays();
        return days > 0 && duration.equals(Duration.ofDays(days)) ? "P" + days + "D" : duration.toString();
    }

    private static String interval(Duration duration) {
        return duration.toMillis() + " milliseconds";
    }

    /** One statement, committed on its own; a failure names the SQLState only (PostgreSQL's message may quote values). */
    private List<Long> ids(String sql, Object... args) {
        try {
            return db.sql().sql(sql).params(args).query(Long.class).list();
        } catch (DataAccessException e) {
            throw Database.failure("Distribution sweep", e);
        }
    }
}
