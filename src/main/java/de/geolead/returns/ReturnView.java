package de.geolead.returns;

/**
 * A return (Reklamation) as the operations API answers it (times as ISO-8601 strings). {@code note} is the agent's
 * free text and {@code decisionNote} the admin's; both are shown here and nowhere else (never logged or audited).
 * {@code customerReturnRate}: the agent's returns filed in the last 90 days / leads sent to them in that time.
 */
public record ReturnView(long id, long leadId, long customerId, String customerName, long distributionId, String reason,
                         String note, String channel, String filedBy, String filedAt, String status, String decidedAt,
                         String decidedBy, String decisionNote, Integer creditCents, String stripeCreditId,
                         double customerReturnRate) {

    public static final String OPEN = "open";
    public static final String APPROVED = "approved";
    public static final String REJECTED = "rejected";
}
