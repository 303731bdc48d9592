package de.geolead.distribution;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BinaryOperator;

/**
 * Decides which agents get a lead and when.
 *
 * <p>With several eligible agents, one gets a head start: the agent who least recently had one
 * in this PLZ (never = first), then the longest subscribed, then the lowest customer id. The
 * others follow in the same order, either all together one head start later
 * ({@link DelayMode#ALL_AFTER}) or one head start apart ({@link DelayMode#STAGGERED}).
 * Every time is moved into the delivery window.
 *
 * <p>The planner has no clock and no state, so the same input always gives the same plan.
 */
public final class DistributionPlanner {

    /** Who is next in line: least recent head start (never first), oldest subscription, lowest id. */
    private static final Comparator<EligibleAgent> FAIRNESS =
            Comparator.comparing(EligibleAgent::lastHeadStartAt,
                            Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
                    .thenComparing(EligibleAgent::subscribedSince)
                    .thenComparingLong(EligibleAgent::customerId);

    private final Duration headStart;
    private final DelayMode mode;
    private final DeliveryWindow window;

    /**
     * @param headStart how long the head-start agent has the lead alone; zero or positive
     * @param mode      how the followers are spaced
     * @param window    when deliveries may go out
     */
    public DistributionPlanner(Duration headStart, DelayMode mode, DeliveryWindow window) {
        this.headStart = Objects.requireNonNull(headStart, "headStart");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.window = Objects.requireNonNull(window, "window");
        if (headStart.isNegative()) {
            throw new IllegalArgumentException("head start must not be negative, got " + headStart);
        }
    }

    /**
     * Plans the deliveries of a lead that came in at {@code now}. A customer listed more than
     * once counts once, with its oldest subscription and its most recent head start.
     */
    public DistributionPlan plan(List<EligibleAgent> eligible, Instant now) {
        Objects.requireNonNull(now, "now");
        List<EligibleAgent> agents = distinctCustomers(eligible);
        agents.sort(FAIRNESS);

        if (agents.isEmpty()) {
            return new DistributionPlan(List.of());
        }
        List<PlannedDelivery> deliveries = new ArrayList<>();
        String firstRole = agents.size() == 1 ? PlannedDelivery.ONLY : PlannedDelivery.HEAD_START;
        Instant first = window.nextOpening(now);
        deliveries.add(new PlannedDelivery(agents.get(0).customerId(), first, firstRole));
        for (int i = 1; i < agents.size(); i++) {
            // the head start counts from the first agent's delivery, so a lead that comes in at night
            // still gives that agent the full exclusive time
            Instant due = first.plus(followerDelay(i));
            deliveries.add(new PlannedDelivery(agents.get(i).customerId(), window.nextOpening(due),
                    PlannedDelivery.FOLLOWER));
        }
        return new DistributionPlan(deliveries);
    }

    /** How long after the head-start delivery the i-th follower (1-based) is due, before the window applies. */
    private Duration followerDelay(int i) {
        return switch (mode) {
            case ALL_AFTER -> headStart;
            case STAGGERED -> headStart.multipliedBy(i);
        };
    }

    /** One entry per customer: the oldest subscription and the most recent head start of its entries. */
    private static List<EligibleAgent> distinctCustomers(List<EligibleAgent> eligible) {
        Map<Long, EligibleAgent> byCustomer = new LinkedHashMap<>();
        for (EligibleAgent agent : eligible) {
            byCustomer.merge(agent.customerId(), agent, DistributionPlanner::combine);
        }
        return new ArrayList<>(byCustomer.values());
    }

    private static EligibleAgent combine(EligibleAgent a, EligibleAgent b) {
        Instant subscribedSince = BinaryOperator.minBy(Comparator.<Instant>naturalOrder())
                .apply(a.subscribedSince(), b.subscribedSince());
        Instant lastHeadStartAt = BinaryOperator.maxBy(Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
                .apply(a.lastHeadStartAt(), b.lastHeadStartAt());
        return new EligibleAgent(a.customerId(), subscribedSince, lastHeadStartAt);
    }
}
