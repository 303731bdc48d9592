package de.geolead.billing;

import com.stripe.model.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The daily verification, called by the route {@code payment-check-run}. First it lists the completed Checkout
 * Sessions of the last {@code checkoutLookback} and links every Stripe customer Geolead does not know yet, as
 * {@code checkout.session.completed} would (the agents whose checkout event never got through). Then, for every
 * agent linked to Stripe, it lists all subscriptions of all its Stripe customers and reconciles them and the
 * agent's status with Stripe. One checkout's or agent's failure never stops the others.
 */
public class PaymentCheck {

    private static final Logger LOG = LoggerFactory.getLogger(PaymentCheck.class);
    static final String SOURCE = "daily-check";
    public static final String JOB = "payment-check";

    /** What one run did. */
    public record Summary(int checked, int changed, int failed, int linked) {
        public String describe() {
            return "Payment check: " + checked + " customer(s) checked, " + changed + " changed, " + failed + " failed, "
                    + linked + " checkout(s) without event linked";
        }
    }

    private final StripeSubscriptions stripe;
    private final BillingStore store;
    private final StripeEventProcessor checkouts;
    private final Duration checkoutLookback;
    private final Clock clock;

    /**
     * @param checkouts        links a checkout's Stripe customer to its agent, as the webhook event would
     * @param checkoutLookback how far back completed Checkout Sessions are listed
     */
    public PaymentCheck(StripeSubscriptions stripe, BillingStore store, StripeEventProcessor checkouts,
                        Duration checkoutLookback, Clock clock) {
        this.stripe = stripe;
        this.store = store;
        this.checkouts = checkouts;
        this.checkoutLookback = checkoutLookback;
        this.clock = clock;
    }

    public Summary run() {
        int failed = 0;
        int linked = 0;
        List<StripeSubscriptions.CheckoutFacts> sessions = List.of();
        try {
            sessions = stripe.completedCheckouts(clock.instant().minus(checkoutLookback));
        } catch (Exception e) {
            failed++;
            LOG.warn("Payment check: listing the Checkout Sessions failed, the agents are checked anyway: {}",
                    StripeEventProcessor.failureReason(e));
        }
        for (StripeSubscriptions.CheckoutFacts session : sessions) {
            if (session.stripeCustomerId() == null || store.customerIdByStripeId(session.stripeCustomerId()).isPresent()) {
                continue;
            }
            try {
                long customerId = checkouts.linkCustomer(session.stripeCustomerId());
                linked++;
                LOG.info("Payment check: checkout {} had not reached Geolead, Stripe customer {} linked to customer {}",
                        session.sessionId(), session.stripeCustomerId(), customerId);
            } catch (Exception e) {
                failed++;
                LOG.warn("Payment check: linking checkout {} ({}) failed, the others go on: {}", session.sessionId(),
                        session.stripeCustomerId(), StripeEventProcessor.failureReason(e));
            }
        }
        int checked = 0;
        int changed = 0;
        for (Map.Entry<Long, List<String>> agent : store.stripeCustomers().entrySet()) {
            try {
                if (reconcile(agent.getKey(), agent.getValue())) {
                    changed++;
                }
                checked++;
            } catch (Exception e) {
                failed++;
                LOG.warn("Payment check of customer {} ({}) failed, the others go on: {}", agent.getKey(), agent.getValue(),
                        StripeEventProcessor.failureReason(e));
            }
        }
        Summary summary = new Summary(checked, changed, failed, linked);
        store.recordJobRun(JOB, summary.describe());
        return summary;
    }

    /**
     * Mirrors every subscription of all of an agent's Stripe customers; per PLZ the best one counts. Returns whether
     * anything changed.
     */
    boolean reconcile(long customerId, List<String> stripeCustomerIds) throws Exception {
        List<Subscription> all = new ArrayList<>();
        for (String stripeCustomerId : stripeCustomerIds) {
            all.addAll(stripe.listAll(stripeCustomerId));
        }
        Map<String, Subscription> bestPerPlz = new LinkedHashMap<>();
        for (Subscription subscription : all) {
            Optional<String> plz = StripeSubscriptions.plz(subscription);
            if (plz.isEmpty()) {
                LOG.warn("Payment check: subscription {} of customer {} has no valid plz metadata, left out", subscription.getId(), customerId);
                continue;
            }
            bestPerPlz.merge(plz.get(), subscription, PaymentCheck::better);
        }
        boolean changed = false;
        for (Map.Entry<String, Subscription> entry : bestPerPlz.entrySet()) {
            BillingStore.Applied applied = store.applySubscription(customerId,
                    StripeSubscriptions.facts(entry.getValue(), entry.getKey()), SOURCE, null);
            changed |= applied.changed();
        }
        // a customer whose subscriptions all vanished from Stripe is recomputed too
        return store.recomputeCustomer(customerId, SOURCE, null) || changed;
    }

    private static Subscription better(Subscription a, Subscription b) {
        Comparator<Subscription> order = Comparator
                .comparingInt((Subscription s) -> StripeStatus.rank(StripeStatus.subscription(s.getStatus())))
                .thenComparing(s -> s.getCreated() == null ? 0L : s.getCreated());
        return order.compare(a, b) >= 0 ? a : b;
    }
}
