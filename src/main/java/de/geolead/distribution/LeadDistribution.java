package de.geolead.distribution;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Called by the route {@code lead-distribution}: turns the eligible agents that the route's SQL found
 * into a plan ({@link DistributionPlanner}) and stores it ({@link DistributionStore}).
 */
public class LeadDistribution {

    private final DistributionPlanner planner;
    private final DistributionStore store;
    private final Clock clock;

    public LeadDistribution(DistributionPlanner planner, DistributionStore store, Clock clock) {
        this.planner = planner;
        this.store = store;
        this.clock = clock;
    }

    /** How many entries {@link #prefixes} always has: the width of the PLZ columns (VARCHAR(10)). */
    public static final int PREFIX_SLOTS = 10;

    /**
     * The prefixes a subscription may have to cover this PLZ: "80331" → 8, 80, 803, 8033, 80331, then the PLZ again
     * until there are {@link #PREFIX_SLOTS} entries (repeats change nothing in sql/eligible-agents.sql's IN list), so
     * that the lookup has the same number of parameters for every lead and camel-sql need not ask the database for it.
     */
    public static List<String> prefixes(String plz) {
        List<String> prefixes = new ArrayList<>(PREFIX_SLOTS);
        if (plz == null || plz.isBlank()) {
            prefixes.add("-"); // matches no subscription
        } else {
            for (int length = 1; length <= Math.min(plz.length(), PREFIX_SLOTS); length++) {
                prefixes.add(plz.substring(0, length));
            }
        }
        while (prefixes.size() < PREFIX_SLOTS) {
            prefixes.add(prefixes.get(prefixes.size() - 1));
        }
        return prefixes;
    }

    /** Plans and stores the distribution of a lead; {@code eligibleRows} are the rows of {@code sql/eligible-agents.sql}. */
    public DistributionStore.Outcome plan(long leadId, String plz, List<Map<String, Object>> eligibleRows) {
        List<EligibleAgent> eligible = new ArrayList<>();
        for (Map<String, Object> row : eligibleRows) {
            eligible.add(new EligibleAgent(((Number) row.get("customer_id")).longValue(),
                    instant(row.get("subscribed_since")), null)); // last head start: read under the PLZ lock when planning
        }
        return store.save(leadId, plz, eligible, agents -> planner.plan(agents, clock.instant()));
    }

    private static Instant instant(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Timestamp timestamp) {
            return timestamp.toInstant();
        }
        if (value instanceof OffsetDateTime odt) {
            return odt.toInstant();
        }
        if (value instanceof Instant instant) {
            return instant;
        }
        throw new IllegalArgumentException("Not a timestamp: " + value.getClass().getName());
    }
}
