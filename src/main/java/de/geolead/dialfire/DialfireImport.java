package de.geolead.dialfire;

import de.geolead.lead.LeadOutcome;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The steps of one Dialfire import run, called by the route {@code dialfire-import-run}:
 * open a window from the watermark (minus an overlap, because events arrive late) to now — or, once
 * every {@code rescanEvery}, from now − {@code rescan} (a re-scan for transactions that reached the feed
 * later than the overlap) — fetch it page by page, and move the watermark only after a page's leads are
 * committed. The watermark is the latest {@code fired} time SEEN in the feed (Dialfire's clock), never the
 * app's clock, so a skewed app clock cannot push it past transactions Dialfire has not fired yet.
 */
public class DialfireImport {

    public static final String SOURCE = "dialfire";

    private final DialfireClient client;
    private final ImportWatermarks watermarks;
    private final List<String> taskPrefixes;
    private final Duration lookback;
    private final Duration overlap;
    private final Duration rescan;
    private final Duration rescanEvery;
    private final int pageSize;
    private final Clock clock;

    public DialfireImport(DialfireClient client, ImportWatermarks watermarks, List<String> taskPrefixes,
                          Duration lookback, Duration overlap, Duration rescan, Duration rescanEvery, int pageSize, Clock clock) {
        this.client = client;
        this.watermarks = watermarks;
        this.taskPrefixes = List.copyOf(taskPrefixes);
        this.lookback = lookback;
        this.overlap = overlap;
        this.rescan = rescan;
        this.rescanEvery = rescanEvery;
        this.pageSize = pageSize;
        this.clock = clock;
    }

    /** True when no re-scan has succeeded within the last {@code rescanEvery} (or ever). */
    public boolean rescanDue() {
        Optional<Instant> last = watermarks.lastRescan(SOURCE);
        return last.isEmpty() || !last.get().plus(rescanEvery).isAfter(clock.instant());
    }

    /** A run from (watermark − overlap), or (now − lookback) on the very first run, to now. */
    public ImportRun openRun() {
        Instant now = clock.instant();
        return new ImportRun(regularFrom(now), now);
    }

    /** A re-scan: like {@link #openRun()}, but from (now − rescan) at the latest. */
    public ImportRun openRescan() {
        Instant now = clock.instant();
        return new ImportRun(min(regularFrom(now), now.minus(rescan)), now, true);
    }

    private Instant regularFrom(Instant now) {
        return watermarks.read(SOURCE).map(w -> w.minus(overlap)).orElse(now.minus(lookback));
    }

    /** Fetches the next transactions page and the contacts it names. */
    public ImportRun fetchPage(ImportRun run) {
        TransactionPage page = client.transactions(run.from(), run.to(), run.cursor(), taskPrefixes, pageSize);
        List<DialfireContact> contacts = client.contacts(page.contactIds());
        run.page(page, contacts);
        return run;
    }

    /**
     * A contact becomes a lead once it reached {@code success} in a configured task: judged by its
     * transactions in the feed (so a contact moved on since still counts), else by its current state.
     */
    public boolean isReady(ImportRun run, DialfireContact contact) {
        boolean ready = contact.isReady(run.pagePointersOf(contact.id()), taskPrefixes);
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

    /**
     * All pages done: the run counts as a success and the watermark stands at the latest transaction the
     * feed showed (on a run that saw none it stays where it is, or starts at the window's start).
     * A re-scan is recorded so the next one is due {@code rescanEvery} later.
     */
    public ImportRun finishRun(ImportRun run) {
        watermarks.advance(SOURCE, run.maxFired() == null ? run.from() : min(run.maxFired(), run.to()), true);
        if (run.isRescan()) {
            watermarks.rescanDone(SOURCE, clock.instant(), run.summary());
        }
        return run;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
