package de.geolead.dialfire;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One page of Dialfire's transactions feed:
 * {@code {"count":n,"results":["<fired>|<md5>|<contactId>|<taskLogIdx>,<txIdx>", …],"cursor":"…"}}.
 * An empty (or missing) cursor marks the last page.
 */
public record TransactionPage(List<Pointer> pointers, String cursor) {

    /**
     * One transaction pointer; {@code fired} is when the transaction happened (UTC); it addresses
     * {@code contact.$task_log[taskLogIdx].transactions[txIdx]} ({@link #NO_INDEX} when the pointer has no indices).
     */
    public record Pointer(Instant fired, String contactId, int taskLogIdx, int txIdx) {

        public static final int NO_INDEX = -1;

        public Pointer(Instant fired, String contactId) {
            this(fired, contactId, NO_INDEX, NO_INDEX);
        }
    }

    private static final Pattern INDICES = Pattern.compile("^\\s*(\\d{1,9})\\s*,\\s*(\\d{1,9})\\s*$");

    private static final Pattern FIRED = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?)");

    public static TransactionPage parse(JsonNode json) {
        if (json == null || !json.has("results") || !json.get("results").isArray()) {
            throw new IllegalArgumentException("Dialfire transactions answer has no 'results' array");
        }
        List<Pointer> pointers = new ArrayList<>();
        for (JsonNode result : json.get("results")) {
            pointers.add(parsePointer(result.asText()));
        }
        JsonNode cursor = json.get("cursor");
        return new TransactionPage(List.copyOf(pointers), cursor == null || cursor.isNull() ? "" : cursor.asText());
    }

    /** Parses {@code 2018-10-17T08:07:46.468Z0217|md5|6EU52ECUGEJPHEJV|6,166}. */
    static Pointer parsePointer(String pointer) {
        String[] parts = pointer.split("\\|");
        if (parts.length < 3 || parts[2].isBlank()) {
            throw new IllegalArgumentException("Malformed Dialfire transaction pointer: " + pointer);
        }
        Matcher m = FIRED.matcher(parts[0]);
        if (!m.find()) {
            throw new IllegalArgumentException("Malformed fired time in Dialfire transaction pointer: " + pointer);
        }
        try {
            Instant fired = Instant.parse(m.group(1) + "Z");
            Matcher indices = parts.length > 3 ? INDICES.matcher(parts[3]) : null;
            if (indices == null || !indices.matches()) {
                return new Pointer(fired, parts[2].trim());
            }
            return new Pointer(fired, parts[2].trim(), Integer.parseInt(indices.group(1)), Integer.parseInt(indices.group(2)));
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("Impossible fired time in Dialfire transaction pointer: " + pointer, e);
        }
    }

    public boolean lastPage() {
        return cursor == null || cursor.isEmpty();
    }

    /** The distinct contact ids of this page, in feed order. */
    public List<String> contactIds() {
        Set<String> ids = new LinkedHashSet<>();
        pointers.forEach(p -> ids.add(p.contactId()));
        return List.copyOf(ids);
    }

    /** This page's pointers grouped by contact id. */
    public Map<String, List<Pointer>> pointersByContact() {
        Map<String, List<Pointer>> byContact = new LinkedHashMap<>();
        pointers.forEach(p -> byContact.computeIfAbsent(p.contactId(), id -> new ArrayList<>()).add(p));
        byContact.replaceAll((id, list) -> List.copyOf(list));
        return Map.copyOf(byContact);
    }

    /** The latest fired time on this page, if it has any transaction. */
    public Optional<Instant> maxFired() {
        return pointers.stream().map(Pointer::fired).max(Instant::compareTo);
    }
}
