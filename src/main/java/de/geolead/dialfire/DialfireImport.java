package de.geolead.dialfire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.lead.LeadOutcome;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;

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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ImportWatermarks watermarks;
    private final List<String> taskPrefixes;
    private final Duration lookback;
    private final Duration overlap;
    private final Duration rescan;
    private final Duration rescanEvery;
    private final int pageSize;
    private final Clock clock;

    public DialfireImport(ImportWatermarks watermarks, List<String> taskPrefixes,
                          Duration lookback, Duration overlap, Duration rescan, Duration rescanEvery, int pageSize, Clock clock) {
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

    /**
     * The raw query of the next transactions feed call ({@code CamelHttpQuery}): the window (inclusive, Dialfire's
     * time format), at most GEOLEAD_IMPORT_PAGE_SIZE transactions, after the cursor, in the configured tasks.
     */
    public String feedQuery(ImportRun run) {
        return feedQuery(run, taskPrefixes, pageSize);
    }

    static String feedQuery(ImportRun run, List<String> taskPrefixes, int pageSize) {
        StringBuilder query = new StringBuilder()
                .append("from=").append(encode(DialfireApi.TIME.format(run.from())))
                .append("&to=").append(encode(DialfireApi.TIME.format(run.to())))
                .append("&limit=").append(pageSize);
        if (run.cursor() != null && !run.cursor().isEmpty()) {
            query.append("&cursor=").append(encode(run.cursor()));
        }
        if (!taskPrefixes.isEmpty()) {
            query.append("&tasks=").append(encode(String.join(",", taskPrefixes)));
        }
        return query.toString();
    }

    /** Takes the feed's answer as the run's next page. */
    public ImportRun takePage(ImportRun run, String json) {
        run.page(TransactionPage.parse(readJson(json)));
        return run;
    }

    /**
     * The {@code flat_view} request bodies for the page's contacts ({@value DialfireApi#FLAT_VIEW_BATCH} ids each,
     * JSON arrays); starts the page's contacts afresh, so that fetching them again (a redelivery) does not double them.
     */
    public List<String> contactBatches(ImportRun run) {
        List<String> ids = run.pageContactIds();
        List<String> batches = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += DialfireApi.FLAT_VIEW_BATCH) {
            try {
                batches.add(JSON.writeValueAsString(ids.subList(i, Math.min(ids.size(), i + DialfireApi.FLAT_VIEW_BATCH))));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        run.startContacts(batches);
        return batches;
    }

    /** The request body of the {@code index}-th {@code flat_view} call of this page. */
    public String contactBatch(ImportRun run, int index) {
        return run.contactBatches().get(index);
    }

    /** Takes one {@code flat_view} answer (a JSON array of flat contacts) into the page. */
    public ImportRun takeContacts(ImportRun run, String json) {
        JsonNode array = readJson(json);
        if (!array.isArray()) {
            throw new IllegalArgumentException("Dialfire flat_view answer is not a JSON array");
        }
        List<DialfireContact> contacts = new ArrayList<>();
        for (JsonNode node : array) {
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = JSON.convertValue(node, Map.class);
            contacts.add(new DialfireContact(fields));
        }
        run.addContacts(contacts);
        return run;
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text == null ? "" : text);
        } catch (IOException e) {
            // Jackson's message may quote the answer: the class only
            throw new IllegalArgumentException("Dialfire answered with invalid JSON (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
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

    /**
     * When the Dialfire transaction that brought {@code contact} was fired: the latest of its transactions on this feed
     * page (flat_view returns the contact as it is after them, so its consent field is at least that new); null when
     * the page names none of its transactions.
     */
    public Instant transactionTime(ImportRun run, DialfireContact contact) {
        return run.pagePointersOf(contact.id()).stream().map(TransactionPage.Pointer::fired).max(Instant::compareTo).orElse(null);
    }

    public void count(ImportRun run, LeadOutcome outcome) {
        run.count(outcome);
    }

    /** Every lead of the page is committed: the watermark may move to the page's last transaction. */
    public ImportRun pageCommitted(ImportRun run) {
        run.pageDone();
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
