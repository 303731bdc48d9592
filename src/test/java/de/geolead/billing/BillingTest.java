package de.geolead.billing;

import de.geolead.sandbox.SandboxStripe;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Billing end to end: signed webhook calls on the real HTTP route, processing through Artemis, the
 * Stripe API played by {@link SandboxStripe}, and the daily check, all against the real database.
 */
class BillingTest {

    static final String STRIPE_KEY = "sk_test_geolead";
    static final String SECRET = "whsec_test_geolead";
    static final long DAY = 86_400;

    @TempDir
    static Path dataDir;
    static SandboxStripe stripe;
    static Mailbox mailbox;
    static RunningApp app;
    static int port;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        stripe = SandboxStripe.start(0, STRIPE_KEY);
        mailbox = new Mailbox();
        port = RunningApp.freePort();
        Map<String, String> props = billingProps(port, stripe, STRIPE_KEY, SECRET);
        props.put("geolead.stripe.retries", "2");
        props.put("geolead.stripe.backoff", "PT0.1S");
        props.put("smtp.host", "127.0.0.1");
        props.put("smtp.port", Integer.toString(mailbox.port()));
        props.put("smtp.from", "leads@geolead.test");
        props.put("geolead.head.start", "PT3S");
        props.put("geolead.delivery.window", "00:00-24:00");
        app = RunningApp.start(dataDir, props);
    }

    /** Webhook on {@code port}, Stripe API at the stand-in, scheduled payment check and sweep off. */
    static Map<String, String> billingProps(int port, SandboxStripe stripe, String apiKey, String webhookSecret) {
        Map<String, String> props = new HashMap<>();
        props.put("geolead.http.port", Integer.toString(port));
        props.put("stripe.api.key", apiKey);
        props.put("stripe.api.base", stripe.apiBase());
        props.put("stripe.webhook.secret", webhookSecret);
        props.put("geolead.payment.check.cron", RunningApp.NEVER);
        props.put("geolead.sweep.cron", RunningApp.NEVER);
        return props;
    }

    @AfterAll
    static void stop() {
        app.close();
        mailbox.close();
        stripe.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        stripe.reset();
        mailbox.clear();
    }

    static long now() {
        return Instant.now().getEpochSecond();
    }

    static HttpResponse<String> post(String body, String signature) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            request.header("Stripe-Signature", signature);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> deliver(String eventJson) throws IOException, InterruptedException {
        return post(eventJson, SandboxStripe.signatureHeader(eventJson, SECRET));
    }

    static String eventStatus(String eventId) {
        List<Map<String, Object>> rows = db.rows("SELECT status FROM stripe_events WHERE event_id = ?", eventId);
        return rows.isEmpty() ? null : (String) rows.get(0).get("status");
    }

    static void awaitEvent(String eventId, String status) {
        await().atMost(Duration.ofSeconds(15)).until(() -> status.equals(eventStatus(eventId)));
    }

    static Map<String, Object> subscription(String stripeId) {
        return db.row("SELECT * FROM subscriptions WHERE stripe_subscription_id = ?", stripeId);
    }

    static Map<String, Object> customer(String stripeId) {
        return db.row("SELECT * FROM customers WHERE stripe_customer_id = ?", stripeId);
    }

    @Test
    void aValidEventChangesStateAndRecordsTheHistory() throws Exception {
        stripe.putCustomer("cus_anna", "Anna Makler", "anna@makler.test");
        stripe.putSubscription("sub_anna_80331", "cus_anna", "active", "80331", now() - DAY, null, now() + 30 * DAY);
        String event = SandboxStripe.event("evt_1", "customer.subscription.created", stripe.subscriptionJson("sub_anna_80331"));

        HttpResponse<String> response = deliver(event);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok");
        awaitEvent("evt_1", "processed");
        assertThat(subscription("sub_anna_80331")).containsEntry("status", "active").containsEntry("plz", "80331");
        assertThat(subscription("sub_anna_80331").get("current_period_end")).isNotNull();
        Map<String, Object> anna = customer("cus_anna");
        assertThat(anna).containsEntry("status", "paid").containsEntry("email", "anna@makler.test").containsEntry("name", "Anna Makler");
        assertThat(db.rows("SELECT entity, old_status, new_status, source, event_id FROM status_history ORDER BY id"))
                .extracting(r -> r.get("entity") + ":" + r.get("old_status") + "->" + r.get("new_status") + ":" + r.get("source") + ":" + r.get("event_id"))
                .containsExactly("subscription:null->active:webhook:evt_1", "customer:unpaid->paid:webhook:evt_1");
    }

    @Test
    void theSameEventTwiceIsProcessedOnce() throws Exception {
        stripe.putCustomer("cus_twice", "Twice", "twice@makler.test");
        stripe.putSubscription("sub_twice", "cus_twice", "active", "10115", now() - DAY, null, now() + 30 * DAY);
        String event = SandboxStripe.event("evt_twice", "customer.subscription.updated", stripe.subscriptionJson("sub_twice"));

        assertThat(deliver(event).body()).isEqualTo("ok");
        awaitEvent("evt_twice", "processed");
        HttpResponse<String> again = deliver(event);

        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("duplicate");
        // the duplicate is answered without being queued: nothing more happens for a while
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() ->
                db.count("SELECT count(*) FROM stripe_events") == 1 && stripe.requestCount("/v1/subscriptions/sub_twice") == 1);
        assertThat(db.count("SELECT count(*) FROM status_history")).isEqualTo(2);
    }

    @Test
    void eventsOutOfOrderEndInStripesCurrentState() throws Exception {
        stripe.putCustomer("cus_order", "Order", "order@makler.test");
        stripe.putSubscription("sub_order", "cus_order", "active", "20095", now() - 30 * DAY, null, now() + DAY);
        String staleUpdate = SandboxStripe.event("evt_update", "customer.subscription.updated", stripe.subscriptionJson("sub_order"));
        long ended = now() - 60;
        stripe.setSubscriptionStatus("sub_order", "canceled", ended);
        String deleted = SandboxStripe.event("evt_deleted", "customer.subscription.deleted", stripe.subscriptionJson("sub_order"));

        deliver(deleted);
        awaitEvent("evt_deleted", "processed");
        deliver(staleUpdate);
        awaitEvent("evt_update", "processed");

        Map<String, Object> row = subscription("sub_order");
        assertThat(row.get("status")).isEqualTo("canceled");
        assertThat(((java.sql.Timestamp) row.get("end_date")).toInstant()).isEqualTo(Instant.ofEpochSecond(ended));
        assertThat(customer("cus_order").get("status")).isEqualTo("unpaid");
    }

    @Test
    void badMissingOrStaleSignaturesAre400AndTouchNothing() throws Exception {
        stripe.putCustomer("cus_bad", "Bad", "bad@makler.test");
        stripe.putSubscription("sub_bad", "cus_bad", "active", "50667", now() - DAY, null, now() + DAY);
        String event = SandboxStripe.event("evt_bad", "customer.subscription.created", stripe.subscriptionJson("sub_bad"));

        HttpResponse<String> wrongSecret = post(event, SandboxStripe.signatureHeader(event, "whsec_someone_else"));
        HttpResponse<String> missing = post(event, null);
        HttpResponse<String> stale = post(event, SandboxStripe.signatureHeader(event, SECRET, now() - 301));
        HttpResponse<String> tampered = post(event.replace("50667", "50668"), SandboxStripe.signatureHeader(event, SECRET));

        assertThat(List.of(wrongSecret, missing, stale, tampered)).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(400));
        assertThat(missing.body()).contains("missing Stripe-Signature");
        assertThat(stale.body()).contains("tolerance");
        assertThat(db.count("SELECT count(*) FROM stripe_events")).isZero();
        assertThat(db.count("SELECT count(*) FROM customers")).isZero();
        assertThat(stripe.requestCount("/v1/")).isZero();
    }

    @Test
    void anOversizeBodyIs413AndOtherMethods405() throws Exception {
        String huge = "{\"id\":\"evt_huge\",\"pad\":\"" + "x".repeat(1_100_000) + "\"}";

        HttpResponse<String> oversize = post(huge, SandboxStripe.signatureHeader(huge, SECRET));
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(oversize.statusCode()).isEqualTo(413);
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(db.count("SELECT count(*) FROM stripe_events")).isZero();
    }

    @Test
    void checkoutLinksAnAgentKnownByEmailAndInvoicesSetPaymentAndPastDue() throws Exception {
        long known = data.customer("Known Agent", "unpaid");
        String email = data.email(known);
        stripe.putCustomer("cus_known", "Known Agent", email);
        stripe.putSubscription("sub_known", "cus_known", "active", "80", now() - DAY, null, now() + 30 * DAY);

        deliver(SandboxStripe.event("evt_checkout", "checkout.session.completed",
                stripe.checkoutSessionJson("cs_1", "cus_known", "sub_known", "Known Agent", email, "80")));
        awaitEvent("evt_checkout", "processed");
        assertThat(customer("cus_known")).containsEntry("id", known).containsEntry("status", "paid");

        long paidAt = now() - 3600;
        deliver(SandboxStripe.event("evt_paid", "invoice.paid", stripe.invoiceJson("in_1", "cus_known", "sub_known", "80", "paid", paidAt)));
        awaitEvent("evt_paid", "processed");
        assertThat(((java.sql.Timestamp) customer("cus_known").get("last_payment_date")).toInstant()).isEqualTo(Instant.ofEpochSecond(paidAt));

        stripe.setSubscriptionStatus("sub_known", "past_due", null);
        deliver(SandboxStripe.event("evt_failed", "invoice.payment_failed", stripe.invoiceJson("in_2", "cus_known", "sub_known", "80", "open", 0)));
        awaitEvent("evt_failed", "processed");
        assertThat(customer("cus_known").get("status")).isEqualTo("past_due");
        assertThat(subscription("sub_known").get("status")).isEqualTo("past_due");
    }

    @Test
    void aSubscriptionWithoutValidPlzAndUnknownEventTypesAreStoredAsIgnored() throws Exception {
        stripe.putCustomer("cus_noplz", "No PLZ", "noplz@makler.test");
        stripe.putSubscription("sub_noplz", "cus_noplz", "active", null, now() - DAY, null, now() + DAY);

        deliver(SandboxStripe.event("evt_noplz", "customer.subscription.created", stripe.subscriptionJson("sub_noplz")));
        deliver(SandboxStripe.event("evt_other", "charge.refunded", "{\"id\":\"ch_1\",\"object\":\"charge\"}"));

        awaitEvent("evt_noplz", "ignored");
        awaitEvent("evt_other", "ignored");
        assertThat((String) db.row("SELECT reason FROM stripe_events WHERE event_id = 'evt_noplz'").get("reason")).contains("no valid plz");
        assertThat(db.count("SELECT count(*) FROM subscriptions")).isZero();
    }

    @Test
    void anEventOfAnotherApiVersionIsReadFromItsRawJsonAndTheMismatchLoggedOnce() throws Exception {
        stripe.putCustomer("cus_old", "Old Version", "old@makler.test");
        stripe.putSubscription("sub_old", "cus_old", "active", "04109", now() - DAY, null, now() + DAY);

        try (LogCapture log = LogCapture.open()) {
            deliver(SandboxStripe.event("evt_old_1", "customer.subscription.updated", stripe.subscriptionJson("sub_old"), "2025-03-31.basil"));
            deliver(SandboxStripe.event("evt_old_2", "customer.subscription.updated", stripe.subscriptionJson("sub_old"), "2025-03-31.basil"));
            awaitEvent("evt_old_1", "processed");
            awaitEvent("evt_old_2", "processed");
            assertThat(log.linesContaining("2025-03-31.basil")).hasSize(1);
        }
        assertThat(subscription("sub_old").get("status")).isEqualTo("active");
    }

    @Test
    void theDailyCheckCorrectsDriftAndSurvivesOneCustomersFailure() throws Exception {
        stripe.putCustomer("cus_drift", "Drift", "drift@makler.test");
        stripe.putSubscription("sub_drift", "cus_drift", "active", "70173", now() - DAY, null, now() + DAY);
        stripe.putCustomer("cus_broken", "Broken", "broken@makler.test");
        stripe.putSubscription("sub_broken", "cus_broken", "active", "70174", now() - DAY, null, now() + DAY);
        for (String id : List.of("sub_drift", "sub_broken")) {
            deliver(SandboxStripe.event("evt_" + id, "customer.subscription.created", stripe.subscriptionJson(id)));
            awaitEvent("evt_" + id, "processed");
        }
        stripe.setSubscriptionStatus("sub_drift", "past_due", null); // Stripe changed, no webhook reached us
        stripe.failListFor("cus_broken", 500);
        stripe.failNext("/v1/subscriptions", 429, 1); // rate limited once: retried

        app.context().createProducerTemplate().sendBody("direct:payment-check-run", null);

        assertThat(customer("cus_drift").get("status")).isEqualTo("past_due");
        assertThat(subscription("sub_drift").get("status")).isEqualTo("past_due");
        assertThat(db.count("SELECT count(*) FROM status_history WHERE source = 'daily-check' AND new_status = 'past_due'")).isEqualTo(2);
        assertThat(customer("cus_broken").get("status")).as("left as it was").isEqualTo("paid");
        assertThat((String) db.row("SELECT last_summary FROM job_runs WHERE job = 'payment-check'").get("last_summary"))
                .contains("1 customer(s) checked", "1 changed", "1 failed");
    }

    @Test
    void anAgentTurnedPastDueGetsNoNewLeadsAndTheirPendingDelayedMailIsSkipped() throws Exception {
        for (String who : List.of("a", "b")) {
            stripe.putCustomer("cus_" + who, "Agent " + who, who + "@makler.test");
            stripe.putSubscription("sub_" + who, "cus_" + who, "active", "28195", now() - DAY, null, now() + DAY);
            deliver(SandboxStripe.event("evt_created_" + who, "customer.subscription.created", stripe.subscriptionJson("sub_" + who)));
            awaitEvent("evt_created_" + who, "processed");
        }
        long lead = data.lead("28195", "Bremen");
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.leads.new", Long.toString(lead));
        await().atMost(Duration.ofSeconds(10)).until(() -> mailbox.messages().size() == 1);
        Map<String, Object> follower = db.row("SELECT d.id, c.stripe_customer_id FROM lead_distributions d JOIN customers c ON c.id = d.customer_id "
                + "WHERE d.lead_id = ? AND d.role = 'follower'", lead);
        String late = (String) follower.get("stripe_customer_id");
        String lateSub = late.replace("cus_", "sub_");

        stripe.setSubscriptionStatus(lateSub, "past_due", null);
        deliver(SandboxStripe.event("evt_late", "invoice.payment_failed", stripe.invoiceJson("in_late", late, lateSub, "28195", "open", 0)));
        awaitEvent("evt_late", "processed");

        await().atMost(Duration.ofSeconds(10)).until(() ->
                "skipped".equals(db.row("SELECT status FROM lead_distributions WHERE id = ?", follower.get("id")).get("status")));
        long next = data.lead("28195", "Bremen");
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.leads.new", Long.toString(next));
        await().atMost(Duration.ofSeconds(10)).until(() -> mailbox.messages().size() == 2);
        assertThat(db.rows("SELECT c.stripe_customer_id FROM lead_distributions d JOIN customers c ON c.id = d.customer_id WHERE d.lead_id = ?", next))
                .extracting(r -> r.get("stripe_customer_id")).containsExactly(late.equals("cus_a") ? "cus_b" : "cus_a");
    }
}
