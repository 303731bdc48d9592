package de.geolead.delivery;

import jakarta.mail.internet.MimeMessage;

import java.time.Instant;

/**
 * What the delivery route does with one distribution: {@code send} the prepared message,
 * {@code reschedule} it to the next opening of the delivery window, or nothing ({@code skip}:
 * recorded as skipped with its reason; {@code drop}: already sent or taken by another consumer).
 * For {@code send}, {@code attempt} is the claim: the row's attempt number, which the result must match.
 */
public record Delivery(String action, long distributionId, long leadId, long customerId, String role,
                       String reason, Instant rescheduleAt, MimeMessage message, String messageId, int attempt) {

    /** A delivery that holds no claim ({@code attempt} 0). */
    public Delivery(String action, long distributionId, long leadId, long customerId, String role,
                    String reason, Instant rescheduleAt, MimeMessage message, String messageId) {
        this(action, distributionId, leadId, customerId, role, reason, rescheduleAt, message, messageId, 0);
    }

    public static final String SEND = "send";
    public static final String RESCHEDULE = "reschedule";
    public static final String SKIP = "skip";
    public static final String DROP = "drop";

    /**
     * A mail that will never go out: skipped now, or found already skipped or failed (a redelivery of a message
     * whose follow-up was rolled back). Only then may its lead need a follow-up (released followers, a new plan).
     */
    public boolean givenUp() {
        return SKIP.equals(action) || DROP.equals(action) && ("already skipped".equals(reason) || "already failed".equals(reason));
    }

    public long rescheduleAtMillis() {
        return rescheduleAt.toEpochMilli();
    }

    /** One log line with ids only (never the agent's address or the homeowner's data). */
    public String describe() {
        String who = "Distribution " + distributionId + " (lead " + leadId + ", customer " + customerId + ", " + role + ")";
        return switch (action) {
            case SEND -> who + ": mail prepared, attempt " + attempt + ", Message-ID " + messageId;
            case RESCHEDULE -> who + ": outside the delivery window, rescheduled to " + rescheduleAt;
            case SKIP -> who + ": skipped - " + reason;
            default -> who + ": dropped - " + reason;
        };
    }
}
