package de.geolead.billing;

import com.stripe.StripeClient;
import com.stripe.net.Webhook;
import de.geolead.db.Database;
import de.geolead.sandbox.SandboxStripe;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One attempt at a Stripe event at a time (issue 10): two consumers (or instances) handed the same event while it is
 * processed fetch Stripe once; an attempt that died is taken up by the sweep once its lease ran out. Real database,
 * the Stripe API played by {@link SandboxStripe}, whose {@link SandboxStripe#holdNext} keeps the first attempt's
 * call in flight until the second attempt is done.
 */
class StripeEventLeaseTest {

    static final String STRIPE_KEY = "sk_test_lease";
    static final String SECRET = "whsec_test_lease";
    static final String SUBSCRIPTION_PATH = "/v1/subscriptions/sub_lease";

    static final TestDatabase db = TestDatabase.get();
    static SandboxStripe stripe;
    static ExecutorService executor;
    static BillingStore store;
    static StripeEventProcessor processor;
    static StripeEventSweep sweep;

    @BeforeAll
    static void start() {
        stripe = SandboxStripe.start(0, STRIPE_KEY);
        executor = Executors.newSingleThreadExecutor();
        store = new BillingStore(new Database(db.dataSource()));
        StripeClient client = StripeClient.builder().setApiKey(STRIPE_KEY).setApiBase(stripe.apiBase()).build();
        processor = new StripeEventProcessor(new StripeSubscriptions(client, 0, Duration.ofMillis(100)), store);
        // the event is a customer.subscription.updated: the route stripe-event would call subscriptionChanged
        sweep = new StripeEventSweep(processor::subscriptionChanged, store, Duration.ofDays(3), Duration.ZERO, 500);
    }

    @AfterAll
    static void stop() {
        executor.shutdownNow();
        stripe.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        stripe.reset();
        stripe.putCustomer("cus_lease", "Lease Makler", "lease@makler.test");
        stripe.putSubscription("sub_lease", "cus_lease", "active", "80331");
    }

    static String storeEvent(String eventId) {
        String event = SandboxStripe.event(eventId, "customer.subscription.updated", stripe.subscriptionJson("sub_lease"));
        assertThat(store.recordEvent(eventId, "customer.subscription.updated", null, event)).isTrue();
        return event;
    }

    static String status(String eventId) {
        return (String) db.row("SELECT status FROM stripe_events WHERE event_id = ?", eventId).get("status");
    }

    @Test
    void twoAttemptsAtTheSameEventAtOnceFetchStripeOnceAndEndInOneOutcome() throws Exception {
        storeEvent("evt_lease");
        CountDownLatch release = stripe.holdNext(SUBSCRIPTION_PATH, Duration.ofSeconds(60));

        Future<String> first = executor.submit(() -> processor.subscriptionChanged("evt_lease"));
        await().atMost(Duration.ofSeconds(30)).until(() -> stripe.requestCount(SUBSCRIPTION_PATH) == 1);
        // the first attempt's Stripe call is held in flight: the second consumer gets the same event now
        String second = processor.subscriptionChanged("evt_lease");
        release.countDown();

        assertThat(second).contains("in progress");
        assertThat(first.get(30, TimeUnit.SECONDS)).contains("subscription sub_lease");
        assertThat(stripe.requestCount(SUBSCRIPTION_PATH)).as("subscription fetched").isEqualTo(1);
        assertThat(status("evt_lease")).isEqualTo("processed");
        assertThat(db.row("SELECT attempts, processing_until FROM stripe_events WHERE event_id = 'evt_lease'"))
                .containsEntry("attempts", 1).containsEntry("processing_until", null);
        assertThat(db.count("SELECT count(*) FROM subscriptions WHERE stripe_subscription_id = 'sub_lease'")).isEqualTo(1);
    }

    @Test
    void aLeasedEventIsLeftAloneAndAnAttemptThatDiedIsTakenUpBySweepAfterItsLease() {
        storeEvent("evt_died");
        // an attempt started and its process was killed: the event is leased, nobody will mark an outcome
        db.update("UPDATE stripe_events SET attempts = 1, last_attempt_at = now(), processing_until = now() + interval '1 hour' "
                + "WHERE event_id = 'evt_died'");

        assertThat(sweep.run().describe()).contains("0 event(s) processed");
        assertThat(stripe.requestCount(SUBSCRIPTION_PATH)).as("no fetch while the lease runs").isZero();

        db.update("UPDATE stripe_events SET processing_until = now() - interval '1 second' WHERE event_id = 'evt_died'");
        assertThat(sweep.run().describe()).contains("1 event(s) processed, 0 failed again");
        assertThat(status("evt_died")).isEqualTo("processed");
        assertThat(stripe.requestCount(SUBSCRIPTION_PATH)).isEqualTo(1);
    }

    @Test
    void theWebhookDoesNotRequeueAnEventBeingProcessedButDoesOneWhoseAttemptDied() {
        String event = storeEvent("evt_resent");
        StripeWebhook webhook = new StripeWebhook(SECRET, Webhook.DEFAULT_TOLERANCE, Clock.systemUTC(), store);
        db.update("UPDATE stripe_events SET processing_until = now() + interval '1 hour' WHERE event_id = 'evt_resent'");

        StripeWebhook.Receipt whileLeased = webhook.receive(event, SandboxStripe.signatureHeader(event, SECRET));
        assertThat(whileLeased.duplicate()).isTrue();
        assertThat(whileLeased.enqueue()).as("re-queued while an attempt runs").isFalse();

        db.update("UPDATE stripe_events SET processing_until = now() - interval '1 second' WHERE event_id = 'evt_resent'");
        assertThat(webhook.receive(event, SandboxStripe.signatureHeader(event, SECRET)).enqueue()).isTrue();
    }
}
