package de.geolead.simulator.dialfire;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the simulated campaign knows: contacts with their task logs, the transactions feed and
 * the resources folder. Every method is {@code synchronized}: one lock, so a change and its
 * transaction become visible together, and the clock never goes backwards.
 */
final class CampaignState {

    /** The system fields of a flat contact, in Dialfire's order; all present, "" when empty. */
    static final List<String> SYSTEM_FIELDS = List.of(
            "$id", "$ref", "$version", "$campaign_id", "$task_id", "$task", "$status", "$status_detail",
            "$phone", "$timezone", "$caller_id", "$created_date", "$entry_date", "$follow_up_date",
            "$call_order", "$source", "$comment", "$error", "$trigger", "$owner", "$recording", "$recording_url");

    /** System fields a caller may set through the field maps; the others are managed by the simulator. */
    static final Set<String> SETTABLE_SYSTEM_FIELDS = Set.of(
            "$ref", "$phone", "$timezone", "$caller_id", "$follow_up_date", "$call_order", "$source",
            "$comment", "$error", "$owner", "$recording", "$recording_url");

    static final Set<String> STATUSES = Set.of("open", "success", "declined", "failed");

    record Resource(byte[] bytes, String contentType) {
    }

    /** A contact: system fields, campaign fields, per-task snapshots ($$…) and the task log. */
    private static final class Contact {
        final Map<String, String> system = new LinkedHashMap<>();
        final Map<String, String> fields = new LinkedHashMap<>();
        final Map<String, String> snapshots = new LinkedHashMap<>();
        final List<TaskLogEntry> taskLog = new ArrayList<>();

        String get(String systemField) {
            return system.get(systemField);
        }
    }

    /** One entry of $task_log: the task's header fields plus its transactions (immutable maps). */
    private record TaskLogEntry(Map<String, Object> header, List<Map<String, Object>> transactions) {
    }

    private final String campaignId;
    private final Map<String, Contact> contacts = new LinkedHashMap<>();
    private final Map<String, String> taskIds = new HashMap<>();
    private final Map<String, Resource> resources = new HashMap<>();
    private final TransactionFeed feed = new TransactionFeed();
    private final List<String> requestLog = new ArrayList<>();
    private Instant lastFired = Instant.EPOCH;
    /** How far Dialfire's clock is off the wall clock (negative: it runs behind). */
    private Duration clockOffset = Duration.ZERO;
    private long nextSequence = 1;

    CampaignState(String campaignId) {
        this.campaignId = campaignId;
    }

    // ---------------------------------------------------------------- contacts

    synchronized String addContact(String task, Map<String, String> fields) {
        requireTask(task);
        Contact contact = new Contact();
        SYSTEM_FIELDS.forEach(name -> contact.system.put(name, ""));
        String id;
        do {
            id = SimFormats.newId();
        } while (contacts.containsKey(id));
        String now = SimFormats.timestamp(nextInstant());
        contact.system.put("$id", id);
        contact.system.put("$version", SimFormats.newId());
        contact.system.put("$campaign_id", campaignId);
        contact.system.put("$phone", SimFormats.newPhone());
        contact.system.put("$timezone", "Europe/Berlin");
        contact.system.put("$created_date", now);
        enterTask(contact, task, "open", "$none", now);
        applyFields(contact, fields);
        contacts.put(id, contact);
        return id;
    }

    /**
     * Moves a contact into a task with a status: new $version and $entry_date, a new $task_log entry
     * holding one "update" transaction.
     */
    synchronized Instant moveTo(String contactId, String task, String status, String statusDetail) {
        return moveTo(contactId, task, status, statusDetail, Duration.ZERO);
    }

    /**
     * Like {@link #moveTo(String, String, String, String)}, but the transaction was fired {@code age} ago and
     * reaches the feed only now: it sorts into the feed at its fired time, behind where a client may already be.
     */
    synchronized Instant moveTo(String contactId, String task, String status, String statusDetail, Duration age) {
        requireTask(task);
        if (!STATUSES.contains(status)) {
            throw new IllegalArgumentException("status must be one of " + STATUSES + ": " + status);
        }
        if (age.isNegative()) {
            throw new IllegalArgumentException("a transaction cannot be fired in the future");
        }
        Contact contact = requireContact(contactId);
        Instant fired = nextInstant().minus(age);
        String detail = statusDetail == null ? "" : statusDetail;
        contact.system.put("$version", SimFormats.newId());
        contact.system.put("$trigger", "other");
        enterTask(contact, task, status, detail, SimFormats.timestamp(fired));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("$task", task);
        data.put("$status", status);
        data.put("$status_detail", detail);
        appendTransaction(contact, fired, data);
        return fired;
    }

    /** Changes fields: new $version and an "update" transaction in the contact's current task. */
    synchronized Instant updateFields(String contactId, Map<String, String> fields) {
        Contact contact = requireContact(contactId);
        Map<String, String> changes = fields == null ? Map.of() : fields;
        applyFields(contact, changes);
        Instant fired = nextInstant();
        contact.system.put("$version", SimFormats.newId());
        contact.system.put("$trigger", "other");
        appendTransaction(contact, fired, new LinkedHashMap<>(changes));
        return fired;
    }

    /** The flat view of a contact looked up by $id or $ref. */
    synchronized Optional<Map<String, Object>> flatView(String idOrRef) {
        Contact contact = contacts.get(idOrRef);
        if (contact == null && !idOrRef.isEmpty()) {
            contact = contacts.values().stream()
                    .filter(c -> idOrRef.equals(c.get("$ref"))).findFirst().orElse(null);
        }
        return Optional.ofNullable(contact).map(CampaignState::render);
    }

    /** Flat views of the known ids, in request order; unknown ids are left out. */
    synchronized List<Map<String, Object>> flatViews(List<String> ids) {
        List<Map<String, Object>> views = new ArrayList<>();
        for (String id : ids) {
            Contact contact = contacts.get(id);
            if (contact != null) {
                views.add(render(contact));
            }
        }
        return views;
    }

    // ---------------------------------------------------------------- transactions feed

    synchronized TransactionFeed.Page transactions(TransactionFeed.Query query) {
        return feed.page(query);
    }

    synchronized int transactionCount() {
        return feed.size();
    }

    // ---------------------------------------------------------------- resources, request log, reset

    synchronized void putResource(String path, Resource resource) {
        resources.put(normalizeResourcePath(path), resource);
    }

    synchronized Optional<Resource> resource(String path) {
        return Optional.ofNullable(resources.get(normalizeResourcePath(path)));
    }

    synchronized void logRequest(String line) {
        requestLog.add(line);
    }

    synchronized List<String> requestLog() {
        return List.copyOf(requestLog);
    }

    /**
     * Sets how far Dialfire's clock is off the wall clock (negative: behind, as when the app's clock runs
     * ahead). Only on an empty feed (after {@link #reset()}), where the clock may start over.
     */
    synchronized void setClockOffset(Duration offset) {
        if (feed.size() > 0) {
            throw new IllegalArgumentException("the clock offset can only change on an empty feed (reset first)");
        }
        clockOffset = offset;
        lastFired = Instant.EPOCH;
    }

    /** Drops contacts, transactions, resources and the request log; the clock keeps running forward. */
    synchronized void reset() {
        contacts.clear();
        resources.clear();
        feed.clear();
        requestLog.clear();
    }

    static String normalizeResourcePath(String path) {
        String normalized = path;
        while (normalized.startsWith("/")) {
            normalized = normalized.substring(1);
        }
        return normalized;
    }

    // ---------------------------------------------------------------- internals

    /**
     * "now" in milliseconds, never before the previous instant handed out. Like Dialfire, two
     * transactions may share a millisecond (the creation sequence orders them); the clock never
     * runs ahead of the wall clock, so a client asking for "up to now" sees everything fired so far.
     */
    private Instant nextInstant() {
        Instant now = Instant.now().plus(clockOffset).truncatedTo(ChronoUnit.MILLIS);
        lastFired = now.isAfter(lastFired) ? now : lastFired;
        return lastFired;
    }

    private String taskId(String task) {
        return taskIds.computeIfAbsent(task, name -> SimFormats.newId());
    }

    private Contact requireContact(String contactId) {
        Contact contact = contactId == null ? null : contacts.get(contactId);
        if (contact == null) {
            throw new IllegalArgumentException("unknown contact: " + contactId);
        }
        return contact;
    }

    private static void requireTask(String task) {
        if (task == null || task.isBlank()) {
            throw new IllegalArgumentException("task must not be blank");
        }
    }

    /** Sets the task/status fields, the $$<task>_… snapshot and opens a new $task_log entry. */
    private void enterTask(Contact contact, String task, String status, String detail, String timestamp) {
        contact.system.put("$task_id", taskId(task));
        contact.system.put("$task", task);
        contact.system.put("$status", status);
        contact.system.put("$status_detail", detail);
        contact.system.put("$entry_date", timestamp);
        contact.snapshots.put("$$" + task + "_task", task);
        contact.snapshots.put("$$" + task + "_date", timestamp);
        contact.snapshots.put("$$" + task + "_status", status);
        contact.snapshots.put("$$" + task + "_status_detail", detail);

        Map<String, Object> header = new LinkedHashMap<>();
        header.put("campaign_id", campaignId);
        header.put("task_id", taskId(task));
        header.put("task_name", task);
        header.put("task_title", task);
        header.put("task_type", "OutboundTask");
        header.put("task_hi", true);
        header.put("status", status);
        header.put("status_detail", detail);
        header.put("fired", timestamp);
        contact.taskLog.add(new TaskLogEntry(header, new ArrayList<>()));
    }

    /** Campaign fields are plain keys; keys starting with $ must be settable system fields. */
    private static void applyFields(Contact contact, Map<String, String> fields) {
        if (fields == null) {
            return;
        }
        fields.forEach((name, value) -> {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("field names must not be empty");
            }
            if (name.startsWith("$") && !SETTABLE_SYSTEM_FIELDS.contains(name)) {
                throw new IllegalArgumentException("system field " + name + " cannot be set; allowed: "
                        + SETTABLE_SYSTEM_FIELDS);
            }
        });
        fields.forEach((name, value) -> {
            String text = value == null ? "" : value;
            if (name.startsWith("$")) {
                contact.system.put(name, text);
            } else {
                contact.fields.put(name, text);
            }
        });
    }

    /** Adds a transaction to the contact's last $task_log entry and to the feed. */
    private void appendTransaction(Contact contact, Instant fired, Map<String, Object> data) {
        int taskLogIdx = contact.taskLog.size() - 1;
        TaskLogEntry entry = contact.taskLog.get(taskLogIdx);
        long sequence = nextSequence++;
        String firedText = SimFormats.timestamp(fired);

        Map<String, Object> tx = new LinkedHashMap<>();
        tx.put("type", "update");
        tx.put("task_id", contact.get("$task_id"));
        tx.put("task", contact.get("$task"));
        tx.put("status", contact.get("$status"));
        tx.put("status_detail", contact.get("$status_detail"));
        tx.put("fired", firedText);
        tx.put("trigger", "other");
        tx.put("id", contact.get("$id"));
        tx.put("ref", contact.get("$ref"));
        tx.put("phone", contact.get("$phone"));
        tx.put("timezone", contact.get("$timezone"));
        tx.put("created_date", contact.get("$created_date"));
        tx.put("entry_date", contact.get("$entry_date"));
        tx.put("sequence_nr", sequence);
        tx.put("version", contact.get("$version"));
        tx.put("data", Collections.unmodifiableMap(data));
        tx.put("user", "sim-agent");
        tx.put("user_loginName", "sim-agent");
        tx.put("actor", "user");
        tx.put("isHI", true);
        tx.put("revoked", false);
        entry.transactions().add(Collections.unmodifiableMap(tx));

        int txIdx = entry.transactions().size() - 1;
        String pointer = firedText + "|" + SimFormats.md5Hex(SimHttp.toJson(tx)) + "|" + contact.get("$id")
                + "|" + taskLogIdx + "," + txIdx;
        feed.append(new TransactionFeed.Entry(sequence, fired, contact.get("$task"), "update", true, pointer));
    }

    /** The flat contact JSON: system fields, campaign fields, $$ snapshots, $task_log — always a fresh copy. */
    private static Map<String, Object> render(Contact contact) {
        Map<String, Object> view = new LinkedHashMap<>(contact.system);
        view.putAll(contact.fields);
        view.putAll(contact.snapshots);
        List<Map<String, Object>> taskLog = new ArrayList<>();
        for (TaskLogEntry entry : contact.taskLog) {
            Map<String, Object> rendered = new LinkedHashMap<>(entry.header());
            rendered.put("transactions", List.copyOf(entry.transactions()));
            taskLog.add(rendered);
        }
        view.put("$task_log", taskLog);
        return view;
    }
}
