package de.geolead.billing;

import com.stripe.StripeClient;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.RateLimitException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.model.checkout.Session;
import com.stripe.param.SubscriptionListParams;
import com.stripe.param.checkout.SessionListParams;
import de.geolead.lead.PlzRules;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads subscriptions and customers from the Stripe API (the truth, whatever order events came in)
 * and turns them into {@link SubscriptionFacts}. Since API version 2025-03-31 the billing period lives
 * on the subscription items.
 */
public class StripeSubscriptions {

    /** A Stripe customer's name and e-mail. */
    public record CustomerFacts(String stripeCustomerId, String name, String email) {}

    private final StripeClient client;
    private final int rateLimitRetries;
    private final Duration rateLimitBackoff;

    /**
     * @param rateLimitRetries how often a 429 is retried (stripe-java retries connection errors and 5xx itself,
     *                         but not 429), waiting {@code rateLimitBackoff}, then twice that, …
     */
    public StripeSubscriptions(StripeClient client, int rateLimitRetries, Duration rateLimitBackoff) {
        this.client = client;
        this.rateLimitRetries = rateLimitRetries;
        this.rateLimitBackoff = rateLimitBackoff;
    }

    private interface Call<T> {
        T call() throws StripeException;
    }

    private <T> T withRateLimitRetry(Call<T> call) throws StripeException {
        for (int attempt = 0; ; attempt++) {
            try {
                return call.call();
            } catch (RateLimitException e) {
                if (attempt >= rateLimitRetries) {
                    throw e;
                }
                try {
                    Thread.sleep(rateLimitBackoff.multipliedBy(1L << Math.min(attempt, 10)).toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The subscription as Stripe has it now; empty if Stripe does not know it. */
    public Optional<Subscription> retrieve(String subscriptionId) throws StripeException {
        try {
            return Optional.of(withRateLimitRetry(() -> client.v1().subscriptions().retrieve(subscriptionId)));
        } catch (InvalidRequestException e) {
            if ("resource_missing".equals(e.getCode())) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** All subscriptions of a customer, canceled ones included, every page. */
    public List<Subscription> listAll(String stripeCustomerId) throws StripeException {
        SubscriptionListParams params = SubscriptionListParams.builder()
                .setCustomer(stripeCustomerId)
                .setStatus(SubscriptionListParams.Status.ALL)
                .setLimit(100L)
                .build();
        return withRateLimitRetry(() -> {
            List<Subscription> all = new ArrayList<>();
            for (Subscription subscription : client.v1().subscriptions().list(params).autoPagingIterable()) {
                all.add(subscription);
            }
            return all;
        });
    }

    /** A completed Checkout Session: the Stripe customer (null without one) and subscription it made. */
    public record CheckoutFacts(String sessionId, String stripeCustomerId, String stripeSubscriptionId) {}

    /** Every completed Checkout Session created at or after {@code since}, every page. */
    public List<CheckoutFacts> completedCheckouts(Instant since) throws StripeException {
        SessionListParams params = SessionListParams.builder()
                .setStatus(SessionListParams.Status.COMPLETE)
                .setCreated(SessionListParams.Created.builder().setGte(since.getEpochSecond()).build())
                .setLimit(100L)
                .build();
        return withRateLimitRetry(() -> {
            List<CheckoutFacts> all = new ArrayList<>();
            for (Session session : client.v1().checkout().sessions().list(params).autoPagingIterable()) {
                all.add(new CheckoutFacts(session.getId(), session.getCustomer(), session.getSubscription()));
            }
            return all;
        });
    }

    public CustomerFacts customer(String stripeCustomerId) throws StripeException {
        Customer customer = withRateLimitRetry(() -> client.v1().customers().retrieve(stripeCustomerId));
        return new CustomerFacts(customer.getId(), customer.getName(), customer.getEmail());
    }

    /** The subscription's PLZ (metadata {@code plz} of the subscription, else of its first item), if valid. */
    public static Optional<String> plz(Subscription subscription) {
        String plz = subscription.getMetadata() == null ? null : subscription.getMetadata().get("plz");
        if ((plz == null || plz.isBlank()) && subscription.getItems() != null && !subscription.getItems().getData().isEmpty()) {
            SubscriptionItem item = subscription.getItems().getData().get(0);
            plz = item.getMetadata() == null ? null : item.getMetadata().get("plz");
        }
        plz = plz == null ? null : plz.trim();
        return PlzRules.isValidCoverage(plz) ? Optional.of(plz) : Optional.empty();
    }

    /** The raw {@code plz} metadata, for error messages. */
    public static String rawPlz(Subscription subscription) {
        return subscription.getMetadata() == null ? null : subscription.getMetadata().get("plz");
    }

    public static SubscriptionFacts facts(Subscription subscription, String plz) {
        Instant endDate = seconds(subscription.getEndedAt());
        if (endDate == null) {
            endDate = seconds(subscription.getCancelAt());
        }
        if (endDate == null && StripeStatus.CANCELED.equals(StripeStatus.subscription(subscription.getStatus()))) {
            endDate = seconds(subscription.getCanceledAt());
        }
        Instant periodEnd = null;
        if (subscription.getItems() != null && !subscription.getItems().getData().isEmpty()) {
            periodEnd = seconds(subscription.getItems().getData().get(0).getCurrentPeriodEnd());
        }
        return new SubscriptionFacts(subscription.getId(), subscription.getCustomer(), subscription.getStatus(), plz,
                seconds(subscription.getStartDate()), endDate, periodEnd);
    }

    private static Instant seconds(Long epochSeconds) {
        return epochSeconds == null ? null : Instant.ofEpochSecond(epochSeconds);
    }
}
