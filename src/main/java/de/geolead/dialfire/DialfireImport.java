package de.geolead.dialfire;

import de.geolead.lead.LeadOutcome;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The steps of one Dialfire import run, called by the route {@code dialfire-import}:
 * open a window from the watermark (minus an overlap, because events arrive late) to now,
 * fetch it page by page, and move the watermark only after a page's leads are committed.
 */
public class DialfireImport {

    public static final String SOURCE = "dialfire";

    private final DialfireClient client;
    private final ImportWatermarks watermarks;
    private final List<String> taskPrefixes;
    private final Duration lookback;
    private final Duration overlap;
    private final int pageSize;
    private final Clock clock;

    public DialfireImport(DialfireClient client, ImportWatermarks watermarks, List<String> taskPrefixes,
                          Duration lookback, Duration overlap, int pageSize, Clock clock) {
        this.client = client;
        this.watermarks = watermarks;
        this.taskPrefixes = List.copyOf(taskPrefixes);
        this.lookback = lookback;
        this.overlap = overlap;
        this.pageSize = pageSize;
        this.clock = clock;
    }

    /** A run from (watermark − overlap), or (now − lookback) on the very first run, to now. */
    public ImportRun openRun() {
        Instant now = clock.instant();
        Instant from = watermarks.read(SOURCE).map(w -> w.minus(overlap)).orElse(now.minus(lookback));
        return new ImportRun(from, now);
    }

    /** Fetches the next transactions page and the contacts it names. */
    public ImportRun fetchPage(ImportRun run) {
        TransactionPage page = client.transactions(run.from(), run.to(), run.cursor(), taskPrefixes, pageSize);
        List<DialfireContact> contacts = client.contacts(page.contactIds());
        run.page(page, contacts);
        return run;
    }

    /** A contact becomes a lead once it reached {@code success} in a configured task. */
    public boolean isReady(ImportRun run, DialfireContact contact) {
        boolean ready = contact.isReady(taskPrefixes);
        if (!ready) {
            run.skippedNotReady();
        }
        return ready;
    }

    public void count(ImportRun run, LeadOutcome outcome) {
        run.count(outcome);
    }

    /** Every lead of the page is committed: the watermark may move to the page's last transaction. */
    public ImportRun pageCommitted(ImportRun run) {
        if (run.pageMaxFired() != null) {
            watermarks.advance(SOURCE, min(run.pageMaxFired(), run.to()), false);
        }
        return run;
    }

    /** All pages done: the watermark moves to the end of the window. */
    public ImportRun finishRun(ImportRun run) {
        watermarks.advance(SOURCE, run.to(), true);
        return run;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
