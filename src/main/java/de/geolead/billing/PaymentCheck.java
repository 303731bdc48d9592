package de.geolead.billing;

import com.stripe.model.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The daily verification, called by the route {@code payment-check-run}: for every customer with a
 * Stripe id, list all its subscriptions and reconcile them and the customer's status with Stripe.
 * One customer's failure never stops the others.
 */
public class PaymentCheck {

    private static final Logger LOG = LoggerFactory.getLogger(PaymentCheck.class);
    static final String SOURCE = "daily-check";
    public static final String JOB = "payment-check";

    /** What one run did. */
    public record Summary(int checked, int changed, int failed) {
        public String describe() {
            return "Payment check: " + checked + " customer(s) checked, " + changed + " changed, " + failed + " failed";
        }
    }

    private final StripeSubscriptions stripe;
    private final BillingStore store;

    public PaymentCheck(StripeSubscriptions stripe, BillingStore store) {
        this.stripe = stripe;
        this.store = store;
    }

    public Summary run() {
        int checked = 0;
        int changed = 0;
        int failed = 0;
        for (Map.Entry<Long, String> customer : store.stripeCustomers()) {
            try {
                if (reconcile(customer.getKey(), customer.getValue())) {
                    changed++;
                }
                checked++;
            } catch (Exception e) {
                failed++;
                LOG.warn("Payment check of customer {} ({}) failed, the others go on: {}", customer.getKey(), customer.getValue(), e.getMessage());
            }
        }
        Summary summary = new Summary(checked, changed, failed);
        store.recordJobRun(JOB, summary.describe());
        return summary;
    }

    /** Mirrors every subscription of one customer; per PLZ the best one counts. Returns whether anything changed. */
    boolean reconcile(long customerId, String stripeCustomerId) throws Exception {
        Map<String, Subscription> bestPerPlz = new LinkedHashMap<>();
        for (Subscription subscription : stripe.listAll(stripeCustomerId)) {
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
