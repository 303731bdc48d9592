package de.geolead.delivery;

import jakarta.mail.internet.MimeMessage;

import java.time.Instant;
import java.util.List;

/**
 * What the delivery route does with one distribution ({@link #action()}, compared by name in
 * routes/lead-delivery.camel.yaml, whose header comment lists {@link #ACTIONS}):
 * {@code send} the prepared message, {@code reschedule} it to the next opening of the delivery window,
 * {@code skipped} (the mail will never go out: skipped now with its reason, or found skipped or failed by a
 * redelivery whose follow-up was rolled back; the route follows it up), or {@code duplicate} (nothing to do:
 * already sent or claimed, taken by another consumer, an early copy of a retry's message, no such row).
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
    public static final String SKIPPED = "skipped";
    public static final String DUPLICATE = "duplicate";
    /** Every action, as the route file's header comment lists them. */
    public static final List<String> ACTIONS = List.of(SEND, RESCHEDULE, SKIPPED, DUPLICATE);

    public Delivery {
        if (!ACTIONS.contains(action)) {
            throw new IllegalArgumentException("action must be one of " + ACTIONS + ", was " + action);
        }
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
            case SKIPPED -> who + ": skipped - " + reason;
            default -> who + ": duplicate, left alone - " + reason;
        };
    }
}
