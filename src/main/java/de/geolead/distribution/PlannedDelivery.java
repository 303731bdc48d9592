package de.geolead.distribution;

import java.time.Instant;
import java.util.Objects;

/**
 * One agent's copy of a lead and when to send it.
 *
 * @param customerId   the agent's customer id
 * @param scheduledFor when to deliver
 * @param role         {@link #ONLY}, {@link #HEAD_START} or {@link #FOLLOWER}
 */
public record PlannedDelivery(long customerId, Instant scheduledFor, String role) {

    /** The only eligible agent; nobody else gets the lead. */
    public static final String ONLY = "only";
    /** The agent who gets the lead first, alone until the first follower gets it. */
    public static final String HEAD_START = "head_start";
    /** An agent who gets the lead after the head start. */
    public static final String FOLLOWER = "follower";

    public PlannedDelivery {
        Objects.requireNonNull(scheduledFor, "scheduledFor");
        Objects.requireNonNull(role, "role");
    }
}
