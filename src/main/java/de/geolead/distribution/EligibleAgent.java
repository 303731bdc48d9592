package de.geolead.distribution;

import java.time.Instant;
import java.util.Objects;

/**
 * An agent whose subscription covers a lead's PLZ.
 *
 * @param customerId      the agent's customer id
 * @param subscribedSince when the subscription covering the PLZ started
 * @param lastHeadStartAt when the agent last got a head start in this PLZ (one whose mail was skipped or failed
 *                        does not count); null if never
 */
public record EligibleAgent(long customerId, Instant subscribedSince, Instant lastHeadStartAt) {

    public EligibleAgent {
        Objects.requireNonNull(subscribedSince, "subscribedSince");
    }
}
