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

    /**
     * Ready by the feed: one of the contact's transactions on the feed page (pointers into its
     * {@code $task_log}) is a {@code success} in a configured task and not revoked — even if the contact
     * moved to another task or status since. Otherwise its current state decides ({@link #isReady(List)}).
     */
    public boolean isReady(List<TransactionPage.Pointer> feedTransactions, List<String> taskPrefixes) {
        if (id().isEmpty()) {
            return false;
        }
        return isReady(taskPrefixes)
                || feedTransactions.stream().anyMatch(p -> isSuccess(transaction(p.taskLogIdx(), p.txIdx()), taskPrefixes));
    }

    /** {@code $task_log[taskLogIdx].transactions[txIdx]} with its task name; empty map when absent. */
    private Map<?, ?> transaction(int taskLogIdx, int txIdx) {
        if (!(fields.get("$task_log") instanceof List<?> taskLog) || taskLogIdx < 0 || taskLogIdx >= taskLog.size()
                || !(taskLog.get(taskLogIdx) instanceof Map<?, ?> entry)
                || !(entry.get("transactions") instanceof List<?> transactions) || txIdx < 0 || txIdx >= transactions.size()
                || !(transactions.get(txIdx) instanceof Map<?, ?> transaction)) {
            return Map.of();
        }
        if (transaction.get("task") == null && entry.get("task_name") != null) {
            Map<Object, Object> withTask = new java.util.HashMap<>(transaction);
            withTask.put("task", entry.get("task_name"));
            return withTask;
        }
        return transaction;
    }

    private static boolean isSuccess(Map<?, ?> transaction, List<String> taskPrefixes) {
        String status = String.valueOf(transaction.get("status")).trim();
        String task = transaction.get("task") == null ? "" : transaction.get("task").toString().trim();
        boolean revoked = Boolean.TRUE.equals(transaction.get("revoked")) || "true".equals(String.valueOf(transaction.get("revoked")));
        return SUCCESS.equals(status) && !revoked
                && (taskPrefixes.isEmpty() || taskPrefixes.stream().anyMatch(task::startsWith));
    }

    /** A short description for log lines: id and task, never personal data. */
    public String describe() {
        return id() + " (task " + (task().isEmpty() ? "-" : task()) + ", status " + status() + ")";
    }
}
