package de.geolead.billing;

import de.geolead.config.EmbeddedBroker;
import de.geolead.config.Infrastructure;
import de.geolead.sandbox.SandboxStripe;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static de.geolead.billing.BillingTest.awaitEvent;
import static de.geolead.billing.BillingTest.eventStatus;
import static de.geolead.billing.BillingTest.subscription;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Billing under hostile conditions (issue 9, items 9 and 10), end to end against the real database, the embedded
 * Artemis broker (3 delivery attempts, 50 ms apart, for speed) and {@link SandboxStripe} with fault injection:
 * Stripe down for longer than the broker's redeliveries, a second checkout with a known e-mail, a checkout whose
 * event never arrived, an event that stays unprocessable past the retry period.
 */
@Tag("faults")
class BillingFaultsTest {

    static final String STRIPE_KEY = "sk_test_geolead_faults";
    static final String SECRET = "whsec_test_geolead_faults";
    static final long DAY = 86_400;
    static final int BROKER_ATTEMPTS = 3;

    @TempDir
    static Path dataDir;
    static SandboxStripe stripe;
    static RunningApp app;
    static int port;
    static String credentials;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        stripe = SandboxStripe.start(0, STRIPE_KEY);
        port = RunningApp.freePort();
        Map<String, String> props = BillingTest.billingProps(port, stripe, STRIPE_KEY, SECRET);
        props.put("geolead.stripe.retries", "0");
        props.put("geolead.stripe.backoff", "PT0.05S");
        props.put("geolead.broker.redelivery.delay", "PT0.05S");
        props.put("geolead.broker.delivery.attempts", Integer.toString(BROKER_ATTEMPTS));
        props.put("geolead.sweep.grace", "PT0S");
        props.put("geolead.stripe.event.retry.for", "P3D");
        props.put("geolead.checkout.lookback", "P7D");
        app = RunningApp.start(dataDir, props);
        String line = Files.readAllLines(dataDir.resolve("management-users.properties")).stream()
                .filter(l -> l.startsWith("user.ops")).findFirst().orElseThrow();
        String password = line.substring(line.indexOf('=') + 1, line.lastIndexOf(',')).trim();
        credentials = Base64.getEncoder().encodeToString(("ops:" + password).getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        app.close();
        stripe.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        stripe.reset();
        app.drainQueue(EmbeddedBroker.DEAD_LETTER_QUEUE);
    }

    static long now() {
        return Instant.now().getEpochSecond();
    }

    static EmbeddedBroker broker() {
        return app.bean("infrastructure", Infrastructure.class).embeddedBroker();
    }

    static HttpResponse<String> deliver(String eventJson) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe"))
                .header("Content-Type", "application/json")
                .header("Stripe-Signature", SandboxStripe.signatureHeader(eventJson, SECRET))
                .POST(HttpRequest.BodyPublishers.ofString(eventJson)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * geolead_webhook_events_total keeps its name and tags (type, result, camelContext) and counts each event type and
     * answer apart: two types, one of them twice (ok, then duplicate), a rejected call.
     */
    @Test
    void theWebhookCounterCountsEachTypeAndAnswerApart() throws Exception {
        String created = SandboxStripe.event("evt_metric_created", "customer.created", "{\"id\": \"cus_metric\", \"object\": \"customer\"}");
        String charge = SandboxStripe.event("evt_metric_charge", "charge.succeeded", "{\"id\": \"ch_metric\", \"object\": \"charge\"}");
        String before = metrics();

        assertThat(deliver(created).body()).isEqualTo("ok");
        assertThat(deliver(charge).body()).isEqualTo("ok");
        assertThat(deliver(created).body()).isEqualTo("duplicate");
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe"))
                .header("Stripe-Signature", "t=1,v1=00").POST(HttpRequest.BodyPublishers.ofString(created)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);

        String after = metrics();
        assertThat(webhookEvents(after, "customer.created", "ok") - webhookEvents(before, "customer.created", "ok")).isEqualTo(1);
        assertThat(webhookEvents(after, "customer.created", "duplicate") - webhookEvents(before, "customer.created", "duplicate")).isEqualTo(1);
        assertThat(webhookEvents(after, "charge.succeeded", "ok") - webhookEvents(before, "charge.succeeded", "ok")).isEqualTo(1);
        assertThat(webhookEvents(after, "charge.succeeded", "duplicate")).isZero();
        assertThat(webhookEvents(after, "unverified", "rejected") - webhookEvents(before, "unverified", "rejected")).isEqualTo(1);
    }

    /** The value of geolead_webhook_events_total{camelContext, result, type} in a scrape (0 when absent). */
    static double webhookEvents(String scrape, String type, String result) {
        java.util.regex.Matcher line = java.util.regex.Pattern.compile("(?m)^geolead_webhook_events_total\\{camelContext=\"[^\"]+\",result=\""
                + java.util.regex.Pattern.quote(result) + "\",type=\"" + java.util.regex.Pattern.quote(type) + "\",?} (\\S+)$").matcher(scrape);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }

    static String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.managementPort() + "/observe/metrics"))
                .header("Authorization", "Basic " + credentials).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static Map<String, Object> event(String eventId) {
        return db.row("SELECT status, reason, attempts, given_up_at FROM stripe_events WHERE event_id = ?", eventId);
    }

    static Map<String, Object> agentOf(String stripeCustomerId) {
        return db.row("SELECT c.* FROM customers c JOIN stripe_customers s ON s.customer_id = c.id WHERE s.stripe_customer_id = ?",
                stripeCustomerId);
    }

    static String runSweep() {
        return app.context().createProducerTemplate().requestBody("direct:stripe-event-sweep-run", null, StripeEventSweep.Summary.class)
                .describe();
    }

    static String runPaymentCheck() {
        return app.context().createProducerTemplate().requestBody("direct:payment-check-run", null, PaymentCheck.Summary.class)
                .describe();
    }

    @Test
    void everyDeadLetterAndWorkQueueExistsFromTheStart() {
        for (String queue : List.of("geolead.DLQ", "geolead.expired", "geolead.deliveries.DLQ", "geolead.leads.new",
                "geolead.deliveries", "geolead.stripe.events")) {
            assertThat(broker().server().getActiveMQServer().locateQueue(queue)).as(queue).isNotNull();
        }
    }

    @Test
    void stripeDownLongerThanTheRedeliveriesEndsFailedInTheDlqAndTheFirstSweepAfterwardsProcessesIt() throws Exception {
        stripe.putCustomer("cus_outage", "Outage Agent", "outage@makler.test");
        stripe.putSubscription("sub_outage", "cus_outage", "active", "80331", now() - DAY, null, now() + 30 * DAY);
        String event = SandboxStripe.event("evt_outage", "customer.subscription.created", stripe.subscriptionJson("sub_outage"));
        stripe.failNext("/v1/", 500, Integer.MAX_VALUE); // Stripe's API is down

        assertThat(deliver(event).statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(15)).until(() -> broker().messageCount("geolead.DLQ") == 1);
        Map<String, Object> failed = event("evt_outage");
        assertThat(failed.get("status")).as("not received forever").isEqualTo("failed");
        assertThat((String) failed.get("reason")).contains("Stripe API", "HTTP 500").doesNotContain("outage@makler.test", STRIPE_KEY);
        assertThat(failed.get("attempts")).isEqualTo(BROKER_ATTEMPTS);
        assertThat(stripe.requestCount("/v1/subscriptions/sub_outage")).isEqualTo(BROKER_ATTEMPTS);
        assertThat(metrics()).contains("geolead_dead_letter_messages{queue=\"geolead.DLQ\"} 1.0",
                "geolead_stripe_events_failed{state=\"retrying\"} 1.0");

        assertThat(runSweep()).as("Stripe still down").contains("0 event(s) processed, 1 failed again");
        assertThat(eventStatus("evt_outage")).isEqualTo("failed");

        stripe.clearFailures(); // Stripe answers again
        long back = System.nanoTime();
        assertThat(runSweep()).contains("1 event(s) processed, 0 failed again");
        System.out.printf("MEASURE stripe-outage: event processed %d ms after Stripe came back (one sweep run)%n",
                (System.nanoTime() - back) / 1_000_000);

        assertThat(eventStatus("evt_outage")).isEqualTo("processed");
        assertThat(subscription("sub_outage")).containsEntry("status", "active").containsEntry("plz", "80331");
        assertThat(agentOf("cus_outage")).containsEntry("status", "paid").containsEntry("email", "outage@makler.test");
        assertThat(runSweep()).as("nothing left").contains("0 event(s) processed, 0 failed again, 0 given up");
    }

    @Test
    void stripeResendingAFailedEventHasItProcessedAtOnceWithoutWaitingForTheSweep() throws Exception {
        stripe.putCustomer("cus_resend", "Resend Agent", "resend@makler.test");
        stripe.putSubscription("sub_resend", "cus_resend", "active", "10115", now() - DAY, null, now() + 30 * DAY);
        String event = SandboxStripe.event("evt_resend", "customer.subscription.created", stripe.subscriptionJson("sub_resend"));
        stripe.failNext("/v1/", 500, Integer.MAX_VALUE);
        assertThat(deliver(event).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> broker().messageCount("geolead.DLQ") == 1);
        assertThat(eventStatus("evt_resend")).isEqualTo("failed");

        stripe.clearFailures();
        // Stripe's own retry of the same event (or a "Resend" from its dashboard): still owed, so queued again
        assertThat(deliver(event).statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> "processed".equals(eventStatus("evt_resend")));
        assertThat(subscription("sub_resend")).containsEntry("status", "active");
    }

    @Test
    void anEventStillFailingAfterTheRetryPeriodStaysFailedWithOneErrorLineAndAMetric() throws Exception {
        stripe.putCustomer("cus_gone", "Gone", "gone@makler.test");
        stripe.putSubscription("sub_gone", "cus_gone", "active", "20095", now() - DAY, null, now() + DAY);
        stripe.failNext("/v1/", 503, Integer.MAX_VALUE);
        deliver(SandboxStripe.event("evt_gone", "customer.subscription.updated", stripe.subscriptionJson("sub_gone")));
        await().atMost(Duration.ofSeconds(15)).until(() -> broker().messageCount("geolead.DLQ") == 1);
        db.update("UPDATE stripe_events SET received_at = now() - interval '3 days 1 minute' WHERE event_id = 'evt_gone'");

        try (LogCapture log = LogCapture.open()) {
            assertThat(runSweep()).contains("0 event(s) processed", "1 given up");
            assertThat(runSweep()).contains("0 event(s) processed, 0 failed again, 0 given up");
            assertThat(log.linesContaining("evt_gone")).hasSize(1).allSatisfy(line -> assertThat(line).contains("ERROR", "given up"));
        }
        Map<String, Object> row = event("evt_gone");
        assertThat(row.get("status")).isEqualTo("failed");
        assertThat(row.get("given_up_at")).isNotNull();
        assertThat((String) row.get("reason")).contains("HTTP 503", "given up P3D");
        assertThat(metrics()).contains("geolead_stripe_events_failed{state=\"given_up\"} 1.0");
    }

    @Test
    void aSecondCheckoutWithAKnownEmailIsLinkedToTheSameAgentWhoseEmailNoStripeCustomerCanRepoint() throws Exception {
        stripe.putCustomer("cus_first", "Anna Makler", "anna@makler.test");
        stripe.putSubscription("sub_first", "cus_first", "active", "80331", now() - 40 * DAY, null, now() + 20 * DAY);
        deliver(SandboxStripe.event("evt_cs_first", "checkout.session.completed", stripe.checkoutSessionJson("cs_first", "cus_first", "sub_first")));
        awaitEvent("evt_cs_first", "processed");
        long agent = (Long) agentOf("cus_first").get("id");

        // Stripe makes a new Customer for the second checkout, with the same e-mail (other case)
        stripe.putCustomer("cus_second", "Anna M.", "Anna@Makler.test");
        stripe.putSubscription("sub_second", "cus_second", "active", "10115", now() - DAY, null, now() + 30 * DAY);
        deliver(SandboxStripe.event("evt_cs_second", "checkout.session.completed",
                stripe.checkoutSessionJson("cs_second", "cus_second", "sub_second")));
        awaitEvent("evt_cs_second", "processed");

        assertThat(db.count("SELECT count(*) FROM customers")).isEqualTo(1);
        assertThat(agentOf("cus_second")).containsEntry("id", agent).containsEntry("email", "anna@makler.test")
                .containsEntry("name", "Anna Makler").containsEntry("status", "paid");
        assertThat(db.rows("SELECT plz, customer_id, status FROM subscriptions ORDER BY plz"))
                .extracting(r -> r.get("plz") + ":" + r.get("customer_id") + ":" + r.get("status"))
                .containsExactly("10115:" + agent + ":active", "80331:" + agent + ":active");

        // an unverified e-mail from either Stripe customer never re-points the agent
        stripe.putCustomer("cus_second", "Mallory", "mallory@evil.test");
        deliver(SandboxStripe.event("evt_upd_second", "customer.updated", stripe.customerJson("cus_second")));
        stripe.putCustomer("cus_first", "Mallory", "mallory@evil.test");
        deliver(SandboxStripe.event("evt_upd_first", "customer.updated", stripe.customerJson("cus_first")));
        awaitEvent("evt_upd_second", "ignored");
        awaitEvent("evt_upd_first", "ignored");
        assertThat((String) event("evt_upd_second").get("reason")).contains("keeps its name and e-mail");
        assertThat(db.row("SELECT name, email FROM customers WHERE id = ?", agent))
                .containsEntry("email", "anna@makler.test").containsEntry("name", "Anna Makler");

        // the daily check covers the subscriptions of both Stripe customers
        stripe.setSubscriptionStatus("sub_first", "past_due", null);
        assertThat(runPaymentCheck()).contains("1 customer(s) checked", "1 changed", "0 failed");
        assertThat(subscription("sub_first").get("status")).isEqualTo("past_due");
        assertThat(subscription("sub_second").get("status")).isEqualTo("active");
        assertThat(db.row("SELECT status FROM customers WHERE id = ?", agent).get("status")).isEqualTo("paid");
    }

    @Test
    void anAgentCreatedFromOneStripeCustomerAloneFollowsItsEmail() throws Exception {
        stripe.putCustomer("cus_solo", "Solo", "solo@makler.test");
        stripe.putSubscription("sub_solo", "cus_solo", "active", "50667", now() - DAY, null, now() + DAY);
        deliver(SandboxStripe.event("evt_cs_solo", "checkout.session.completed", stripe.checkoutSessionJson("cs_solo", "cus_solo", "sub_solo")));
        awaitEvent("evt_cs_solo", "processed");
        long known = data.customer("Other Agent", "unpaid");

        stripe.putCustomer("cus_solo", "Solo GmbH", "info@solo.test");
        deliver(SandboxStripe.event("evt_upd_solo", "customer.updated", stripe.customerJson("cus_solo")));
        awaitEvent("evt_upd_solo", "processed");
        assertThat(agentOf("cus_solo")).containsEntry("email", "info@solo.test").containsEntry("name", "Solo GmbH");

        stripe.putCustomer("cus_solo", "Solo GmbH", data.email(known)); // another agent's address: not taken
        deliver(SandboxStripe.event("evt_upd_solo_2", "customer.updated", stripe.customerJson("cus_solo")));
        awaitEvent("evt_upd_solo_2", "ignored");
        assertThat(agentOf("cus_solo")).containsEntry("email", "info@solo.test");
    }

    @Test
    void checkoutsWhoseEventNeverArrivedAreLinkedByTheDailyCheck() throws Exception {
        // an agent known by e-mail, and a brand-new one; neither checkout event reached Geolead
        long known = data.customer("Known Agent", "unpaid");
        stripe.putCustomer("cus_known", "Known Agent (card 2)", data.email(known));
        stripe.putSubscription("sub_known", "cus_known", "active", "28195", now() - DAY, null, now() + 30 * DAY);
        stripe.putCheckoutSession("cs_known", "cus_known", "sub_known", "complete", now() - 2 * DAY);
        stripe.putCustomer("cus_lost", "Lost Event", "lost@makler.test");
        stripe.putSubscription("sub_lost", "cus_lost", "active", "04109", now() - DAY, null, now() + 30 * DAY);
        stripe.putCheckoutSession("cs_lost", "cus_lost", "sub_lost");
        // outside the look-back, and one never completed: left alone
        stripe.putCustomer("cus_ancient", "Ancient", "ancient@makler.test");
        stripe.putCheckoutSession("cs_ancient", "cus_ancient", null, "complete", now() - 30 * DAY);
        stripe.putCheckoutSession("cs_open", "cus_ancient", null, "open", now());

        assertThat(runPaymentCheck()).contains("2 customer(s) checked", "2 changed", "0 failed", "2 checkout(s) without event linked");

        assertThat(agentOf("cus_known")).containsEntry("id", known).containsEntry("status", "paid").containsEntry("name", "Known Agent");
        assertThat(subscription("sub_known")).containsEntry("customer_id", known).containsEntry("status", "active");
        assertThat(agentOf("cus_lost")).containsEntry("email", "lost@makler.test").containsEntry("status", "paid");
        assertThat(subscription("sub_lost")).containsEntry("plz", "04109").containsEntry("status", "active");
        assertThat(db.count("SELECT count(*) FROM stripe_customers WHERE stripe_customer_id = 'cus_ancient'")).isZero();
        assertThat(db.count("SELECT count(*) FROM status_history WHERE source = 'daily-check'")).isEqualTo(4);
    }
}
