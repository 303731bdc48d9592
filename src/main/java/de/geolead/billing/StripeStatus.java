package de.geolead.billing;

import java.util.Collection;
import java.util.Map;

/**
 * Stripe subscription status → ours, and a customer's payment status from its subscriptions.
 * What Stripe does once its payment retries run out is an account setting; nothing here assumes it.
 */
public final class StripeStatus {

    public static final String ACTIVE = "active";
    public static final String PAST_DUE = "past_due";
    public static final String INACTIVE = "inactive";
    public static final String CANCELED = "canceled";

    private static final Map<String, String> SUBSCRIPTION = Map.of(
            "active", ACTIVE, "trialing", ACTIVE,
            "past_due", PAST_DUE,
            "unpaid", INACTIVE, "incomplete", INACTIVE, "paused", INACTIVE,
            "canceled", CANCELED, "incomplete_expired", CANCELED);

    private StripeStatus() {
    }

    /** Our subscription status; an unknown (future) Stripe status fails closed as {@code inactive}. */
    public static String subscription(String stripeStatus) {
        return SUBSCRIPTION.getOrDefault(stripeStatus == null ? "" : stripeStatus, INACTIVE);
    }

    /** {@code paid} if any subscription is active, else {@code past_due} if any is past due, else {@code unpaid}. */
    public static String customer(Collection<String> ourSubscriptionStatuses) {
        if (ourSubscriptionStatuses.contains(ACTIVE)) {
            return "paid";
        }
        if (ourSubscriptionStatuses.contains(PAST_DUE)) {
            return "past_due";
        }
        return "unpaid";
    }

    /** How good a status is for the agent: when two Stripe subscriptions cover one PLZ, the better one counts. */
    public static int rank(String ourStatus) {
        return switch (ourStatus == null ? "" : ourStatus) {
            case ACTIVE -> 3;
            case PAST_DUE -> 2;
            case INACTIVE -> 1;
            default -> 0;
        };
    }
}
