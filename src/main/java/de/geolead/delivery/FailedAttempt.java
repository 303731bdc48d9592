package de.geolead.delivery;

import java.time.Instant;

/**
 * What became of a mail whose SMTP attempt failed: {@code retry} (back to pending, a message scheduled for
 * {@code nextAttempt}), {@code failed} (permanent rejection, or retried for longer than GEOLEAD_MAIL_RETRY_FOR)
 * or {@code lost} (the attempt no longer held the claim: its lease ran out and the sweep or a newer attempt
 * took the row, which is left to them).
 */
public record FailedAttempt(String action, long distributionId, int attempt, Instant nextAttempt, String reason) {

    public static final String RETRY = "retry";
    public static final String FAILED = "failed";
    public static final String LOST = "lost";
    /** Every action, as the header comment of the route configuration delivery-errors lists them. */
    public static final java.util.List<String> ACTIONS = java.util.List.of(RETRY, FAILED, LOST);

    public long nextAttemptMillis() {
        return nextAttempt.toEpochMilli();
    }

    /** The end of the delivery's log line (ids, times and the SMTP error; never an address). */
    public String describe() {
        return switch (action) {
            case RETRY -> "SMTP attempt " + attempt + " failed, next attempt at " + nextAttempt + " - " + reason;
            case FAILED -> "mail failed after " + attempt + " attempt(s) - " + reason;
            default -> "SMTP attempt " + attempt + " failed, but its claim had expired; the row is left to the newer attempt - " + reason;
        };
    }
}
