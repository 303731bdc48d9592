package de.geolead.distribution;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Who gets a lead and when: the head-start (or only) delivery first, then the followers in order.
 *
 * @param deliveries the deliveries, unmodifiable; empty if no agent covers the PLZ
 */
public record DistributionPlan(List<PlannedDelivery> deliveries) {

    public DistributionPlan {
        deliveries = List.copyOf(deliveries);
    }

    /** True if no agent gets the lead. */
    public boolean isUnassigned() {
        return deliveries.isEmpty();
    }

    /** The delivery with role {@link PlannedDelivery#HEAD_START}; empty if unassigned or with a single agent. */
    public Optional<PlannedDelivery> headStart() {
        return deliveries.stream().filter(d -> d.role().equals(PlannedDelivery.HEAD_START)).findFirst();
    }

    /** The deliveries with role {@link PlannedDelivery#FOLLOWER}, in order. */
    public List<PlannedDelivery> followers() {
        return deliveries.stream().filter(d -> d.role().equals(PlannedDelivery.FOLLOWER)).toList();
    }

    /**
     * When the head-start agent stops having the lead alone: the earliest follower delivery,
     * or null if there are no followers.
     */
    public Instant exclusiveUntil() {
        return followers().stream().map(PlannedDelivery::scheduledFor).min(Instant::compareTo).orElse(null);
    }
}
