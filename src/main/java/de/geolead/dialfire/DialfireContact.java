package de.geolead.dialfire;

import java.util.List;
import java.util.Map;

/**
 * A flat Dialfire contact as {@code flat_view} returns it: system fields start with {@code $}
 * ({@code $id $version $task $status …}), campaign fields are plain keys ({@code plz}, {@code ort}, …).
 * Empty values are {@code ""}, never null.
 */
public record DialfireContact(Map<String, Object> fields) {

    public static final String SUCCESS = "success";

    public DialfireContact {
        fields = Map.copyOf(fields.entrySet().stream()
                .filter(e -> e.getKey() != null && e.getValue() != null)
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    /** Text of a field; "" when absent or not a scalar. */
    public String field(String name) {
        Object value = fields.get(name);
        if (value == null || value instanceof Map || value instanceof List) {
            return "";
        }
        return value.toString().trim();
    }

    public String id() { return field("$id"); }
    public String version() { return field("$version"); }
    public String status() { return field("$status"); }
    public String task() { return field("$task"); }

    /**
     * Ready to become a lead: {@code $status=success} and, when task prefixes are configured,
     * a {@code $task} that starts with one of them.
     */
    public boolean isReady(List<String> taskPrefixes) {
        if (!SUCCESS.equals(status()) || id().isEmpty()) {
            return false;
        }
        return taskPrefixes.isEmpty() || taskPrefixes.stream().anyMatch(task()::startsWith);
    }

    /** A short description for log lines: id and task, never personal data. */
    public String describe() {
        return id() + " (task " + (task().isEmpty() ? "-" : task()) + ", status " + status() + ")";
    }
}
