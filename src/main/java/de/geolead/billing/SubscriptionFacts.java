package de.geolead.billing;

import java.time.Instant;

/**
 * What Geolead keeps of one Stripe subscription, as the Stripe API returned it just now.
 *
 * @param endDate when access ended or will end: {@code ended_at} for ended subscriptions, else {@code cancel_at}
 */
public record SubscriptionFacts(String stripeSubscriptionId, String stripeCustomerId, String stripeStatus, String plz,
                                Instant startDate, Instant endDate, Instant currentPeriodEnd) {

    public String ourStatus() {
        return StripeStatus.subscription(stripeStatus);
    }
}
