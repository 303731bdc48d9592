package de.geolead.distribution;

import java.util.Locale;

/** When the other agents get a lead after the head-start agent. */
public enum DelayMode {

    /** All followers get the lead together, one head-start period after the lead came in. */
    ALL_AFTER,

    /** The i-th follower gets the lead i head-start periods after the lead came in. */
    STAGGERED;

    /**
     * Parses {@code all-after} or {@code staggered}, ignoring case and surrounding whitespace.
     *
     * @throws IllegalArgumentException naming GEOLEAD_DELAY_MODE and the allowed values
     */
    public static DelayMode parse(String value) {
        String normalized = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "all-after" -> ALL_AFTER;
            case "staggered" -> STAGGERED;
            default -> throw new IllegalArgumentException(
                    "GEOLEAD_DELAY_MODE must be 'all-after' or 'staggered', got '" + value + "'");
        };
    }
}
