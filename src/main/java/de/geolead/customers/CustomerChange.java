package de.geolead.customers;

/**
 * What a write through the operations API did to an agent: the action ({@code customer.pause}, {@code customer.unpause},
 * {@code customer.cap}), the agent, the caller, the setting before and after (as shown in the audit row) and whether
 * anything changed (an unchanged setting writes no audit row and counts no action).
 */
public record CustomerChange(String action, long customerId, String actor, boolean changed, String before, String after) {

    /** The action's INFO line: ids and settings only. */
    public String describe() {
        String line = "API " + action + " customer " + customerId + " by " + actor + ": ";
        return changed ? line + before + " -> " + after : line + "unchanged (" + after + ")";
    }
}
