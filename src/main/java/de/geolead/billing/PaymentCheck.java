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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daily verification; the route {@code payment-check-run} calls its steps: {@link #start} lists the completed
 * Checkout Sessions of the last {@code checkoutLookback} and links every Stripe customer Geolead does not know yet,
 * as {@code checkout.session.completed} would (the agents whose checkout event never got through);
 * {@link #customers} lists every agent linked to Stripe, and the route's {@code split} calls {@link #check} for
 * each (all subscriptions of all its Stripe customers, reconciled with the agent's status), or {@link #failed}
 * when that threw; {@link #finish} records the run. One checkout's or agent's failure never stops the others.
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

    /** The counts of a run in progress (the route keeps it in the exchange property {@code run}). */
    public static final class Run {
        private final AtomicInteger checked = new AtomicInteger();
        private final AtomicInteger changed = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final AtomicInteger linked = new AtomicInteger();

        /** A run that starts with {@code linked} checkouts linked and {@code failed} failures. */
        public Run(int linked, int failed) {
            this.linked.set(linked);
            this.failed.set(failed);
        }

        /** One agent checked, changed or not. */
        public void checked(boolean changedIt) {
            checked.incrementAndGet();
            if (changedIt) {
                changed.incrementAndGet();
            }
        }

        /** One agent whose check failed. */
        public void failed() {
            failed.incrementAndGet();
        }

        public Summary summary() {
            return new Summary(checked.get(), changed.get(), failed.get(), linked.get());
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

    /** Starts a run: links the Stripe customers of recent completed checkouts Geolead does not know yet. */
    public Run start() {
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
        return new Run(linked, failed);
    }

    /** Every agent linked to Stripe, with its Stripe customer ids: what the route splits over. */
    public List<BillingStore.StripeAgent> customers() {
        return store.stripeAgents();
    }

    /** Checks one agent against Stripe and counts it; returns whether anything changed. A failure is thrown. */
    public boolean check(Run run, BillingStore.StripeAgent agent) throws Exception {
        boolean changedIt = reconcile(agent.customerId(), agent.stripeCustomerIds());
        run.checked(changedIt);
        return changedIt;
    }

    /** Counts an agent whose check threw and returns the (PII-free) line the route logs; the others go on. */
    public String failed(Run run, BillingStore.StripeAgent agent, Throwable e) {
        run.failed();
        return "Payment check of customer " + agent.customerId() + " (" + String.join(", ", agent.stripeCustomerIds())
                + ") failed, the others go on: " + StripeEventProcessor.failureReason(e);
    }

    /** Ends a run: records it (job_runs) and returns its summary. */
    public Summary finish(Run run) {
        Summary summary = run.summary();
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
