package de.geolead.privacy;

import de.geolead.db.Database;
import de.geolead.db.JobRuns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Data retention (route {@code data-retention}, on GEOLEAD_RETENTION_CRON): erases ({@link Anonymiser}, reason
 * {@code retention}) every lead whose homeowner data Geolead no longer needs, GEOLEAD_RETENTION after its last mail
 * or its parking. The route calls {@link #start}, then {@link #nextBatch} until it is empty, {@link #erase} (or, when
 * that threw, {@link #failed}) for each lead of a batch, and {@link #finish}. Each lead is erased in its own short
 * transaction, so a big backlog holds no long one and one lead's failure never stops the others.
 *
 * <p>Due: not erased, and GEOLEAD_RETENTION has passed since
 * <ul>
 * <li>its last mail ({@code max(lead_distributions.sent_at)}) for a {@code distributed} lead,</li>
 * <li>the later of its last mail (if any) and its parking ({@code leads.updated_at}: the last time the import, an
 *     admin or the sweep set the status) for a lead {@code unroutable}, {@code pdf_missing} (once its PDF retry
 *     period is over), {@code invalid}, {@code parked}, {@code no_consent} or {@code expired}.</li>
 * </ul>
 * Never due: a lead that still has open work: {@code pending} and {@code unassigned} ones (the distribution still
 * plans them; an unassigned lead expires after GEOLEAD_UNASSIGNED_RETRY and counts from then), a {@code distributed}
 * lead without a sent mail (the sweep plans it again), any lead with a mail {@code pending} or {@code sending} (a
 * follower waiting out the head start, a retry), and any lead with a return still {@code open} (staff need its notes
 * to decide). Whether a lead is due is checked again, with the lead row locked, right before it is erased.
 */
public class Retention {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    /** {@code job_runs.job}. */
    public static final String JOB = "data-retention";
    /** Leads read per batch. */
    static final int BATCH = 200;

    /** The condition "due", on {@code leads l}; named parameters {@code now} and {@code cutoff}. */
    private static final String DUE = """
            l.erased_at IS NULL
            AND l.status IN ('distributed', 'unroutable', 'pdf_missing', 'invalid', 'parked', 'no_consent', 'expired')
            AND NOT (l.status = 'pdf_missing' AND COALESCE(l.pdf_retry_until > :now, false))
            AND NOT EXISTS (SELECT 1 FROM lead_distributions o WHERE o.lead_id = l.id AND o.status IN ('pending', 'sending'))
            AND NOT EXISTS (SELECT 1 FROM lead_returns r WHERE r.lead_id = l.id AND r.status = 'open')
            AND CASE WHEN l.status = 'distributed'
                     THEN (SELECT max(d.sent_at) FROM lead_distributions d WHERE d.lead_id = l.id)
                     ELSE GREATEST(l.updated_at, (SELECT max(d.sent_at) FROM lead_distributions d WHERE d.lead_id = l.id))
                END <= :cutoff
            """;

    /** What one run did. */
    public record Summary(int erased, int failed, int notDue, Instant cutoff) {
        public String describe() {
            return "Data retention: " + erased + " lead(s) erased, " + failed + " failed, " + notDue
                    + " no longer due (last mail or parking before " + cutoff + ")";
        }
    }

    /** A run in progress (the route keeps it in the exchange property {@code run}): its cutoff, position and counts. */
    public static final class Run {
        private final Instant now;
        private final Instant cutoff;
        private long after;
        private boolean more = true;
        private final AtomicInteger erased = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final AtomicInteger notDue = new AtomicInteger();

        Run(Instant now, Instant cutoff) {
            this.now = now;
            this.cutoff = cutoff;
        }

        /** Whether another batch may hold due leads. */
        public boolean hasMore() {
            return more;
        }

        /** A batch was read: the next one starts after its last id; only a full batch may have more behind it. */
        public void batchRead(List<Long> ids, boolean full) {
            more = full;
            if (!ids.isEmpty()) {
                after = ids.get(ids.size() - 1);
            }
        }

        /** One lead handled: erased now, or no longer due when it came to it. */
        public void counted(boolean erasedIt) {
            (erasedIt ? erased : notDue).incrementAndGet();
        }

        public Summary summary() {
            return new Summary(erased.get(), failed.get(), notDue.get(), cutoff);
        }
    }

    private final Database db;
    private final Anonymiser anonymiser;
    private final JobRuns jobRuns;
    private final Duration retention;
    private final Clock clock;
    private final int batch;

    /** @param retention GEOLEAD_RETENTION */
    public Retention(Database db, Anonymiser anonymiser, Duration retention, Clock clock) {
        this(db, anonymiser, retention, clock, BATCH);
    }

    Retention(Database db, Anonymiser anonymiser, Duration retention, Clock clock, int batch) {
        this.batch = batch;
        this.db = db;
        this.anonymiser = anonymiser;
        this.jobRuns = new JobRuns(db);
        this.retention = retention;
        this.clock = clock;
    }

    /** Starts a run: leads whose last mail or parking is before now − GEOLEAD_RETENTION are due. */
    public Run start() {
        Instant now = clock.instant();
        return new Run(now, now.minus(retention));
    }

    /** The next (at most {@value #BATCH}, the batch size) due lead ids after the last batch, in id order; empty at the end. */
    public List<Long> nextBatch(Run run) {
        List<Long> ids;
        try {
            ids = db.sql().sql("SELECT l.id FROM leads l WHERE l.id > :after AND " + DUE + " ORDER BY l.id LIMIT :limit")
                    .param("after", run.after).param("now", Timestamp.from(run.now)).param("cutoff", Timestamp.from(run.cutoff))
                    .param("limit", batch)
                    .query(Long.class).list();
        } catch (org.springframework.dao.DataAccessException e) {
            throw Database.failure("Reading the leads due for retention", e);
        }
        run.batchRead(ids, ids.size() == batch);
        return ids;
    }

    /**
     * Erases lead {@code leadId} if it is still due (checked with its row locked, in the erasure's transaction);
     * returns whether it was erased now.
     */
    public boolean erase(Run run, long leadId) {
        boolean erased = db.inTransaction("Erasing lead " + leadId + " for retention", () -> {
            boolean due = db.sql().sql("SELECT l.id FROM leads l WHERE l.id = :id AND " + DUE + " FOR UPDATE OF l")
                    .param("id", leadId).param("now", Timestamp.from(run.now)).param("cutoff", Timestamp.from(run.cutoff))
                    .query(Long.class).optional().isPresent();
            return due && anonymiser.erase(leadId, Anonymiser.RETENTION);
        });
        run.counted(erased);
        if (erased) {
            LOG.info("Lead {} erased by retention (last mail or parking before {})", leadId, run.cutoff);
        }
        return erased;
    }

    /** Counts a lead whose erasure threw and returns the line the route logs (ids and the failure's kind, no data). */
    public String failed(Run run, long leadId, Throwable e) {
        run.failed.incrementAndGet();
        // the message may quote values (PostgreSQL's does): the kind and the SQLState only
        return "Data retention: erasing lead " + leadId + " failed, the others go on: " + e.getClass().getSimpleName()
                + " (SQLState " + Database.sqlState(e) + ")";
    }

    /** Ends a run: records it ({@code job_runs}, job {@value #JOB}) and returns its summary. */
    public Summary finish(Run run) {
        Summary summary = run.summary();
        jobRuns.succeeded(JOB, summary.describe());
        return summary;
    }
}
