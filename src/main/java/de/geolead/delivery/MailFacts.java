package de.geolead.delivery;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the lead mail to one agent says: which lead, to whom, and when the agent gets it.
 *
 * @param leadId         our lead number, shown in the subject
 * @param distributionId the delivery of this lead to this agent (part of the Message-ID)
 * @param plz            the lead's postal code the agent's subscription covers
 * @param city           the city of that PLZ; may be null or empty
 * @param leadFields     the homeowner's key fields, keyed as in the Dialfire contact
 *                       ({@code anrede vorname nachname strasse plz ort $phone email $comment objektart
 *                       wohnflaeche}); any may be missing. Null keys and values are dropped.
 * @param agentName      the agent ("Makler") the mail greets
 * @param role           {@link #ONLY}, {@link #HEAD_START} or {@link #FOLLOWER}
 * @param exclusiveUntil end of the head start ({@link #HEAD_START}); may be null otherwise
 * @param otherAgents    how many agents get the lead after the head start
 * @param sharedSince    when the lead went to this agent too ({@link #FOLLOWER}); may be null otherwise
 */
public record MailFacts(long leadId, long distributionId, String plz, String city, Map<String, String> leadFields,
        String agentName, String role, Instant exclusiveUntil, int otherAgents, Instant sharedSince) {

    /** The agent is the only one who gets this lead. */
    public static final String ONLY = "only";
    /** The agent has the lead alone until {@code exclusiveUntil}, then {@code otherAgents} more get it. */
    public static final String HEAD_START = "head_start";
    /** Another agent had a head start; this agent gets the lead since {@code sharedSince}. */
    public static final String FOLLOWER = "follower";

    private static final Set<String> ROLES = Set.of(ONLY, HEAD_START, FOLLOWER);

    /** @throws IllegalArgumentException for an unknown role */
    public MailFacts {
        Objects.requireNonNull(plz, "plz");
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("role must be one of " + ROLES + ", was " + role);
        }
        leadFields = withoutNulls(leadFields);
    }

    private static Map<String, String> withoutNulls(Map<String, String> fields) {
        Map<String, String> copy = new LinkedHashMap<>();
        if (fields != null) {
            fields.forEach((key, value) -> {
                if (key != null && value != null) {
                    copy.put(key, value);
                }
            });
        }
        return Map.copyOf(copy);
    }
}
