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

    /**
     * The prefixes a subscription may have to cover this PLZ: "80331" → 8, 80, 803, 8033, 80331; an array, bound as one
     * SQL array parameter ({@code plz = ANY (:#plzPrefixes)} in sql/eligible-agents.sql), so that the lookup has the
     * same two parameters for every PLZ.
     */
    public static String[] prefixes(String plz) {
        if (plz == null || plz.isBlank()) {
            return new String[] {"-"}; // matches no subscription
        }
        String[] prefixes = new String[plz.length()];
        for (int length = 1; length <= plz.length(); length++) {
            prefixes[length - 1] = plz.substring(0, length);
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
