package de.geolead.simulator.dialfire;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The index behind {@code GET …/contacts/transactions/}: one entry per transaction, in the order
 * they were fired, and the paging over it.
 *
 * <p>Not thread-safe on its own; {@link CampaignState} guards it with its lock.
 *
 * <p>Cursor: base64url of {@code "<firedEpochMillis>:<sequence>"} of the last item returned. The next
 * page continues strictly after that position, so items never repeat or get skipped, even while new
 * transactions are added (they are always fired later, hence they only ever appear at the end).
 */
final class TransactionFeed {

    static final int MAX_LIMIT = 1000;

    /** One transaction as the feed sees it. {@code pointer} is the string the feed returns. */
    record Entry(long sequence, Instant fired, String task, String type, boolean humanInteraction, String pointer) {
    }

    /** Filters of one feed request; {@code tasks} are task-name prefixes (empty = all tasks). */
    record Query(Instant from, Instant to, List<String> tasks, String type, boolean humanOnly,
                 String cursor, int limit) {
    }

    record Page(List<String> results, String cursor) {
    }

    private final List<Entry> entries = new ArrayList<>();

    /**
     * Adds an entry at its place in firing order: at the end as a rule (the simulator's clock never goes
     * backwards), further in for a transaction that reaches the feed late. Paging continues strictly after
     * the cursor's position, so a client already past that place does not see it — like a late event in Dialfire.
     */
    void append(Entry entry) {
        int at = entries.size();
        while (at > 0 && entries.get(at - 1).fired().isAfter(entry.fired())) {
            at--;
        }
        entries.add(at, entry);
    }

    int size() {
        return entries.size();
    }

    void clear() {
        entries.clear();
    }

    /** @throws IllegalArgumentException on a cursor this feed did not issue */
    Page page(Query query) {
        Position after = Position.decode(query.cursor());
        List<Entry> page = new ArrayList<>();
        boolean more = false;
        for (Entry entry : entries) {
            if (!matches(entry, query) || !after.isBefore(entry)) {
                continue;
            }
            if (page.size() == query.limit()) {
                more = true;
                break;
            }
            page.add(entry);
        }
        String cursor = more ? Position.of(page.get(page.size() - 1)).encode() : "";
        return new Page(page.stream().map(Entry::pointer).toList(), cursor);
    }

    private static boolean matches(Entry entry, Query query) {
        if (entry.fired().isBefore(query.from()) || entry.fired().isAfter(query.to())) {
            return false;
        }
        if (query.type() != null && !query.type().equals(entry.type())) {
            return false;
        }
        if (query.humanOnly() && !entry.humanInteraction()) {
            return false;
        }
        return query.tasks().isEmpty() || query.tasks().stream().anyMatch(entry.task()::startsWith);
    }

    /** A position in the feed: fired time plus creation sequence of an entry. */
    private record Position(long firedMillis, long sequence) {

        static final Position START = new Position(Long.MIN_VALUE, Long.MIN_VALUE);

        static Position of(Entry entry) {
            return new Position(entry.fired().toEpochMilli(), entry.sequence());
        }

        boolean isBefore(Entry entry) {
            long fired = entry.fired().toEpochMilli();
            return firedMillis < fired || (firedMillis == fired && sequence < entry.sequence());
        }

        String encode() {
            String plain = firedMillis + ":" + sequence;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
        }

        static Position decode(String cursor) {
            if (cursor == null || cursor.isEmpty()) {
                return START;
            }
            try {
                String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                String[] parts = plain.split(":");
                return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
            } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                throw new IllegalArgumentException("invalid cursor", e);
            }
        }
    }
}
