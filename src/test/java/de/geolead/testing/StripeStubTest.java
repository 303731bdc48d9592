package de.geolead.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.stripe.Stripe;
import com.stripe.StripeClient;
import com.stripe.exception.ApiException;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.RateLimitException;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Customer;
import com.stripe.model.Event;
import com.stripe.model.Invoice;
import com.stripe.model.StripeCollection;
import com.stripe.model.StripeObject;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.model.checkout.Session;
import com.stripe.net.Webhook;
import com.stripe.param.SubscriptionListParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StripeStubTest {

    private static final String SECRET = "whsec_geolead_test";
    private static final long DAY = 86_400;

    private static StripeStub stub;
    private static StripeClient client;

    private final long now = Instant.now().getEpochSecond();

    @BeforeAll
    static void startStub() {
        stub = StripeStub.start();
        client = StripeClient.builder()
                .setApiKey(StripeStub.API_KEY)
                .setApiBase(stub.apiBase())
                .setMaxNetworkRetries(2)
                .build();
    }

    @AfterAll
    static void stopStub() {
        stub.close();
    }

    @BeforeEach
    void resetStub() {
        stub.reset();
    }

    @Test
    void apiBaseIsLoopbackWithDynamicPort() {
        assertThat(stub.apiBase()).isEqualTo("http://127.0.0.1:" + stub.port());
        assertThat(stub.port()).isPositive();
        assertThat(Stripe.API_VERSION).isEqualTo("2026-07-29.dahlia");
    }

    @Test
    void retrievesSubscriptionInTheDahliaShape() throws Exception {
        stub.putCustomer("cus_1", "Anna Makler", "anna@makler.test");
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now - 40 * DAY, null, now + 20 * DAY);

        Subscription subscription = client.v1().subscriptions().retrieve("sub_1");

        assertThat(subscription.getId()).isEqualTo("sub_1");
        assertThat(subscription.getCustomer()).isEqualTo("cus_1");
        assertThat(subscription.getStatus()).isEqualTo("active");
        assertThat(subscription.getMetadata()).containsEntry("plz", "80331");
        assertThat(subscription.getStartDate()).isEqualTo(now - 40 * DAY);
        assertThat(subscription.getEndedAt()).isNull();
        assertThat(subscription.getCancelAt()).isNull();
        assertThat(subscription.getCancelAtPeriodEnd()).isFalse();
        SubscriptionItem item = subscription.getItems().getData().get(0);
        assertThat(item.getCurrentPeriodEnd()).isEqualTo(now + 20 * DAY);
        assertThat(item.getCurrentPeriodStart()).isLessThan(now + 20 * DAY).isGreaterThanOrEqualTo(now - 40 * DAY);
        assertThat(item.getMetadata()).containsEntry("plz", "80331");
        assertThat(item.getPrice().getId()).isEqualTo(StripeStub.PRICE_ID);
        assertThat(item.getQuantity()).isEqualTo(1L);
        assertThat(item.getSubscription()).isEqualTo("sub_1");

        Subscription noPlz = retrieveAfterPut("sub_2", null);
        assertThat(noPlz.getMetadata()).isEmpty();

        List<StripeStub.Call> calls = stub.calls("/v1/subscriptions/sub_1");
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).method()).isEqualTo("GET");
        assertThat(calls.get(0).stripeVersion()).isEqualTo(Stripe.API_VERSION);
        assertThat(calls.get(0).status()).isEqualTo(200);
    }

    private Subscription retrieveAfterPut(String id, String plz) throws Exception {
        stub.putSubscription(id, "cus_1", "active", plz, now, null, null);
        return client.v1().subscriptions().retrieve(id);
    }

    @Test
    void subscriptionJsonHasPeriodOnlyOnTheItem() {
        stub.putSubscription("sub_1", "cus_1", "trialing", "10115", now, null, null);

        JsonObject json = JsonParser.parseString(stub.subscriptionJson("sub_1")).getAsJsonObject();

        assertThat(json.has("current_period_end")).isFalse();
        assertThat(json.has("current_period_start")).isFalse();
        assertThat(json.get("object").getAsString()).isEqualTo("subscription");
        assertThat(json.get("livemode").getAsBoolean()).isFalse();
        assertThat(json.get("ended_at").isJsonNull()).isTrue();
        JsonObject item = json.getAsJsonObject("items").getAsJsonArray("data").get(0).getAsJsonObject();
        assertThat(item.get("id").getAsString()).isEqualTo("si_1");
        long oneMonthLater = Instant.ofEpochSecond(now).atZone(ZoneOffset.UTC).plusMonths(1).toEpochSecond();
        assertThat(item.get("current_period_end").getAsLong()).isEqualTo(oneMonthLater);
        assertThat(item.get("current_period_start").getAsLong()).isEqualTo(now);
        assertThat(json.get("trial_end").getAsLong()).isEqualTo(oneMonthLater);
    }

    @Test
    void statusChangesAndCancellationAreServed() throws Exception {
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now - 40 * DAY, null, now + 20 * DAY);

        stub.setCancelAt("sub_1", now + 20 * DAY);
        Subscription scheduled = client.v1().subscriptions().retrieve("sub_1");
        assertThat(scheduled.getStatus()).isEqualTo("active");
        assertThat(scheduled.getCancelAt()).isEqualTo(now + 20 * DAY);
        assertThat(scheduled.getCancelAtPeriodEnd()).isTrue();

        stub.setSubscriptionStatus("sub_1", "canceled", now);
        Subscription canceled = client.v1().subscriptions().retrieve("sub_1");
        assertThat(canceled.getStatus()).isEqualTo("canceled");
        assertThat(canceled.getEndedAt()).isEqualTo(now);
        assertThat(canceled.getCanceledAt()).isEqualTo(now);

        stub.setSubscriptionStatus("sub_1", "some_future_status", null);
        assertThat(client.v1().subscriptions().retrieve("sub_1").getStatus()).isEqualTo("some_future_status");
    }

    @Test
    void retrievesCustomer() throws Exception {
        stub.putCustomer("cus_1", "Anna Makler", "anna@makler.test");

        Customer customer = client.v1().customers().retrieve("cus_1");

        assertThat(customer.getId()).isEqualTo("cus_1");
        assertThat(customer.getName()).isEqualTo("Anna Makler");
        assertThat(customer.getEmail()).isEqualTo("anna@makler.test");
        assertThat(customer.getMetadata()).isEmpty();
        assertThat(customer.getCreated()).isPositive();
        assertThat(JsonParser.parseString(stub.customerJson("cus_1")).getAsJsonObject().get("object").getAsString())
                .isEqualTo("customer");
    }

    @Test
    void autoPagingWalksEveryPageWithStatusAll() throws Exception {
        putFiveSubscriptionsOfCus1();
        stub.putSubscription("sub_other", "cus_2", "active", "20095", now, null, null);

        StripeCollection<Subscription> firstPage = client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL).setLimit(2L).build());
        assertThat(firstPage.getData()).hasSize(2);
        assertThat(firstPage.getHasMore()).isTrue();

        List<String> ids = new ArrayList<>();
        for (Subscription s : firstPage.autoPagingIterable()) {
            ids.add(s.getId());
        }

        // newest created first
        assertThat(ids).containsExactly("sub_e", "sub_d", "sub_c", "sub_b", "sub_a");
        // the iterator starts from the page it was called on and fetches the remaining two
        assertThat(stub.calls("/v1/subscriptions")).hasSize(3)
                .allSatisfy(c -> assertThat(c.query()).contains("customer=cus_1").contains("status=all"));
    }

    @Test
    void autoPagingIssuesOneRequestPerPage() throws Exception {
        putFiveSubscriptionsOfCus1();

        List<String> ids = new ArrayList<>();
        client.v1().subscriptions().list(SubscriptionListParams.builder()
                        .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL).setLimit(2L).build())
                .autoPagingIterable().forEach(s -> ids.add(s.getId()));

        assertThat(ids).hasSize(5).doesNotHaveDuplicates();
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(3);
        assertThat(stub.calls("/v1/subscriptions").get(1).query()).contains("starting_after=sub_d");
        assertThat(stub.calls("/v1/subscriptions").get(2).query()).contains("starting_after=sub_b");
    }

    @Test
    void listWithoutStatusLeavesOutCanceledLikeStripe() throws Exception {
        putFiveSubscriptionsOfCus1();

        List<Subscription> defaultList = new ArrayList<>();
        client.v1().subscriptions().list(SubscriptionListParams.builder().setCustomer("cus_1").build())
                .autoPagingIterable().forEach(defaultList::add);
        assertThat(defaultList).extracting(Subscription::getId).containsExactly("sub_e", "sub_d", "sub_b", "sub_a");
        assertThat(defaultList).extracting(Subscription::getStatus).doesNotContain("canceled");

        StripeCollection<Subscription> canceled = client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.CANCELED).build());
        assertThat(canceled.getData()).extracting(Subscription::getId).containsExactly("sub_c");
        assertThat(canceled.getHasMore()).isFalse();
        assertThat(canceled.getUrl()).isEqualTo("/v1/subscriptions");
    }

    @Test
    void listPagesBackwardsWithEndingBeforeAndRejectsBadLimit() throws Exception {
        putFiveSubscriptionsOfCus1();

        StripeCollection<Subscription> before = client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL)
                .setEndingBefore("sub_b").setLimit(2L).build());
        assertThat(before.getData()).extracting(Subscription::getId).containsExactly("sub_d", "sub_c");
        assertThat(before.getHasMore()).isTrue();

        assertThatThrownBy(() -> client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setLimit(101L).build()))
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(((InvalidRequestException) e).getParam()).isEqualTo("limit"));
    }

    private void putFiveSubscriptionsOfCus1() {
        stub.putCustomer("cus_1", "Anna Makler", "anna@makler.test");
        stub.putSubscription("sub_a", "cus_1", "active", "80331", now - 50 * DAY, null, now + 10 * DAY);
        stub.putSubscription("sub_b", "cus_1", "past_due", "80333", now - 40 * DAY, null, now + 20 * DAY);
        stub.putSubscription("sub_c", "cus_1", "canceled", "80335", now - 30 * DAY, now - 5 * DAY, now - 5 * DAY);
        stub.putSubscription("sub_d", "cus_1", "trialing", "80336", now - 20 * DAY, null, now + 10 * DAY);
        stub.putSubscription("sub_e", "cus_1", "unpaid", "80337", now - 10 * DAY, null, now + 20 * DAY);
    }

    @Test
    void unknownIdsAnswer404ResourceMissing() throws Exception {
        stub.putSubscription("sub_gone", "cus_1", "active", "80331", now, null, null);
        stub.removeSubscription("sub_gone");

        assertThatThrownBy(() -> client.v1().subscriptions().retrieve("sub_gone"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(404);
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                    assertThat(e.getParam()).isEqualTo("id");
                    assertThat(e.getStripeError().getMessage()).isEqualTo("No such subscription: 'sub_gone'");
                    assertThat(e.getRequestId()).startsWith("req_");
                });
        assertThatThrownBy(() -> client.v1().customers().retrieve("cus_x"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                    assertThat(e.getStripeError().getMessage()).isEqualTo("No such customer: 'cus_x'");
                });
        // 404 is not retried
        assertThat(stub.requestCount("/v1/subscriptions/sub_gone")).isEqualTo(1);
    }

    @Test
    void failNextIsRetriedByTheClient() throws Exception {
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        stub.failNext("/v1/subscriptions", 500, 1);

        Subscription subscription = client.v1().subscriptions().retrieve("sub_1");

        assertThat(subscription.getStatus()).isEqualTo("active");
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(2);
        assertThat(stub.calls("/v1/subscriptions")).extracting(StripeStub.Call::status).containsExactly(500, 200);
    }

    @Test
    void failNextWith429IsNotRetried() {
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        stub.failNext("/v1/subscriptions/sub_1", 429, 5);

        assertThatThrownBy(() -> client.v1().subscriptions().retrieve("sub_1"))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.getCode()).isEqualTo("rate_limit"));
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(1);
    }

    @Test
    void failListForFailsAfterRetriesUntilCleared() throws Exception {
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        stub.putSubscription("sub_2", "cus_2", "active", "80333", now, null, null);
        stub.failListFor("cus_1", 503);
        SubscriptionListParams cus1 = SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL).build();

        assertThatThrownBy(() -> client.v1().subscriptions().list(cus1))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getStatusCode()).isEqualTo(503));
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(3);   // 1 + 2 retries

        // other customers and single retrieves are unaffected
        assertThat(client.v1().subscriptions().list(SubscriptionListParams.builder().setCustomer("cus_2").build())
                .getData()).hasSize(1);
        assertThat(client.v1().subscriptions().retrieve("sub_1").getId()).isEqualTo("sub_1");

        stub.clearFailures();
        assertThat(client.v1().subscriptions().list(cus1).getData()).extracting(Subscription::getId).containsExactly("sub_1");
    }

    @Test
    void requestsWithoutTheKeyAnswer401() throws Exception {
        StripeClient wrongKey = StripeClient.builder()
                .setApiKey("sk_test_somebody_else").setApiBase(stub.apiBase()).setMaxNetworkRetries(2).build();
        assertThatThrownBy(() -> wrongKey.v1().customers().retrieve("cus_1"))
                .isInstanceOfSatisfying(AuthenticationException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(401);
                    assertThat(e.getCode()).isEqualTo("api_key_invalid");
                });

        HttpResponse<String> anonymous = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(stub.apiBase() + "/v1/customers/cus_1")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonObject error = JsonParser.parseString(anonymous.body()).getAsJsonObject().getAsJsonObject("error");
        assertThat(error.get("type").getAsString()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").getAsString()).startsWith("You did not provide an API key.");
        assertThat(stub.requestCount("/v1/customers")).isEqualTo(2);
    }

    @Test
    void unknownEndpointsAnswerUnrecognizedUrl() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(stub.apiBase() + "/v1/charges"))
                        .header("Authorization", "Bearer " + StripeStub.API_KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("Unrecognized request URL (GET: /v1/charges)");
    }

    @Test
    void resetForgetsModelFailuresAndRequests() {
        stub.putCustomer("cus_1", "Anna Makler", "anna@makler.test");
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        stub.failNext("/v1", 500, 3);

        stub.reset();

        assertThat(stub.requestCount("/")).isZero();
        assertThatThrownBy(() -> stub.subscriptionJson("sub_1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.v1().customers().retrieve("cus_1"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getStatusCode()).isEqualTo(404));
        assertThat(stub.requestCount("/v1/customers")).isEqualTo(1);
    }

    // ----------------------------------------------------------------------------------- webhooks

    @Test
    void signedEventIsAcceptedAndDeserializesAtThePinnedVersion() throws Exception {
        stub.putSubscription("sub_1", "cus_1", "past_due", "80331", now - 40 * DAY, null, now + 20 * DAY);
        String payload = StripeStub.event("evt_1", "customer.subscription.updated", stub.subscriptionJson("sub_1"));

        Event event = Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, SECRET), SECRET);

        assertThat(event.getId()).isEqualTo("evt_1");
        assertThat(event.getType()).isEqualTo("customer.subscription.updated");
        assertThat(event.getApiVersion()).isEqualTo(Stripe.API_VERSION);
        assertThat(event.getLivemode()).isFalse();
        assertThat(event.getCreated()).isBetween(now - 5, now + 5);
        StripeObject object = event.getDataObjectDeserializer().getObject().orElseThrow();
        assertThat(object).isInstanceOf(Subscription.class);
        Subscription subscription = (Subscription) object;
        assertThat(subscription.getStatus()).isEqualTo("past_due");
        assertThat(subscription.getMetadata()).containsEntry("plz", "80331");
        assertThat(subscription.getItems().getData().get(0).getCurrentPeriodEnd()).isEqualTo(now + 20 * DAY);
    }

    @Test
    void eventAtAnotherApiVersionHasAnEmptyDeserializer() throws Exception {
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        String payload = StripeStub.event("evt_basil", "customer.subscription.updated",
                stub.subscriptionJson("sub_1"), "2025-03-31.basil");

        Event event = Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, SECRET), SECRET);

        assertThat(event.getDataObjectDeserializer().getObject()).isEmpty();
        Subscription unsafe = (Subscription) event.getDataObjectDeserializer().deserializeUnsafe();
        assertThat(unsafe.getId()).isEqualTo("sub_1");
        assertThat(unsafe.getMetadata()).containsEntry("plz", "80331");
    }

    @Test
    void eventOfTheSameReleaseTrainDeserializes() throws Exception {
        // stripe-java 33.3.0 compares only the part after the dot ("dahlia"), not the date
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        String payload = StripeStub.event("evt_old_dahlia", "customer.subscription.created",
                stub.subscriptionJson("sub_1"), "2026-05-27.dahlia");

        Event event = Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, SECRET), SECRET);

        assertThat(event.getDataObjectDeserializer().getObject()).isPresent();
    }

    @Test
    void staleAndForeignSignaturesAreRejected() throws Exception {
        String payload = StripeStub.event("evt_1", "customer.subscription.deleted", "{\"id\":\"sub_1\",\"object\":\"subscription\"}");
        long t = Instant.now().getEpochSecond();

        assertThatThrownBy(() -> Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, SECRET, t - 301), SECRET))
                .isInstanceOf(SignatureVerificationException.class)
                .hasMessageContaining("Timestamp outside the tolerance zone");
        assertThatThrownBy(() -> Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, "whsec_other"), SECRET))
                .isInstanceOf(SignatureVerificationException.class)
                .hasMessageContaining("No signatures found matching the expected signature for payload");
        assertThatThrownBy(() -> Webhook.constructEvent(payload + " ", StripeStub.signatureHeader(payload, SECRET), SECRET))
                .isInstanceOf(SignatureVerificationException.class);

        // boundary with a fixed clock: 300 s old is still accepted, 301 s is not
        Clock clock = Clock.fixed(Instant.ofEpochSecond(t), ZoneOffset.UTC);
        String at300 = StripeStub.signatureHeader(payload, SECRET, t - 300);
        assertThat(Webhook.constructEvent(payload, at300, SECRET, Webhook.DEFAULT_TOLERANCE, clock).getId()).isEqualTo("evt_1");
        String at301 = StripeStub.signatureHeader(payload, SECRET, t - 301);
        assertThatThrownBy(() -> Webhook.constructEvent(payload, at301, SECRET, Webhook.DEFAULT_TOLERANCE, clock))
                .isInstanceOf(SignatureVerificationException.class);
    }

    @Test
    void signatureHeaderFollowsStripesScheme() throws Exception {
        String payload = StripeStub.event("evt_1", "invoice.paid", "{\"id\":\"in_1\",\"object\":\"invoice\"}");
        long t = 1_780_000_000L;

        String header = StripeStub.signatureHeader(payload, SECRET, t);

        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal((t + "." + payload).getBytes(StandardCharsets.UTF_8)));
        assertThat(header).isEqualTo("t=" + t + ",v1=" + expected);
    }

    @Test
    void eventEnvelopeHasTheDocumentedFields() {
        String payload = StripeStub.event("evt_9", "customer.subscription.updated",
                "{\"id\":\"sub_1\",\"object\":\"subscription\"}", Stripe.API_VERSION, "{\"status\":\"active\"}", 1_780_000_000L);

        JsonObject event = JsonParser.parseString(payload).getAsJsonObject();
        assertThat(event.keySet()).containsExactly("id", "object", "api_version", "created", "type", "data",
                "livemode", "pending_webhooks", "request");
        assertThat(event.get("created").getAsLong()).isEqualTo(1_780_000_000L);
        assertThat(event.getAsJsonObject("data").getAsJsonObject("previous_attributes").get("status").getAsString())
                .isEqualTo("active");
        assertThat(event.getAsJsonObject("request").get("id").isJsonNull()).isTrue();
        assertThat(event.getAsJsonObject("request").get("idempotency_key").isJsonNull()).isTrue();
        assertThat(event.get("pending_webhooks").getAsInt()).isEqualTo(1);
    }

    @Test
    void invoiceEventCarriesSubscriptionThroughParent() throws Exception {
        stub.putCustomer("cus_1", "Anna Makler", "anna@makler.test");
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now - 40 * DAY, null, now + 20 * DAY);
        String payload = StripeStub.event("evt_inv", "invoice.paid",
                stub.invoiceJson("in_1", "cus_1", "sub_1", "80331", "paid", now));

        Event event = Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, SECRET), SECRET);

        Invoice invoice = (Invoice) event.getDataObjectDeserializer().getObject().orElseThrow();
        assertThat(invoice.getStatus()).isEqualTo("paid");
        assertThat(invoice.getCustomer()).isEqualTo("cus_1");
        assertThat(invoice.getCustomerEmail()).isEqualTo("anna@makler.test");
        assertThat(invoice.getAmountPaid()).isEqualTo(StripeStub.UNIT_AMOUNT);
        assertThat(invoice.getStatusTransitions().getPaidAt()).isEqualTo(now);
        assertThat(invoice.getParent().getType()).isEqualTo("subscription_details");
        assertThat(invoice.getParent().getSubscriptionDetails().getSubscription()).isEqualTo("sub_1");
        assertThat(invoice.getParent().getSubscriptionDetails().getMetadata()).containsEntry("plz", "80331");
        var line = invoice.getLines().getData().get(0);
        assertThat(line.getParent().getSubscriptionItemDetails().getSubscription()).isEqualTo("sub_1");
        assertThat(line.getParent().getSubscriptionItemDetails().getSubscriptionItem()).isEqualTo("si_1");
        assertThat(line.getPeriod().getEnd()).isEqualTo(now + 20 * DAY);
        assertThat(JsonParser.parseString(payload).getAsJsonObject().getAsJsonObject("data")
                .getAsJsonObject("object").has("subscription")).isFalse();

        Invoice failed = (Invoice) Webhook.constructEvent(
                        StripeStub.event("evt_f", "invoice.payment_failed", stub.invoiceJson("in_2", "cus_1", "sub_1", "80331", "open", now)),
                        StripeStub.signatureHeader(StripeStub.event("evt_f", "invoice.payment_failed",
                                stub.invoiceJson("in_2", "cus_1", "sub_1", "80331", "open", now)), SECRET), SECRET)
                .getDataObjectDeserializer().deserializeUnsafe();
        assertThat(failed.getStatus()).isEqualTo("open");
        assertThat(failed.getStatusTransitions().getPaidAt()).isNull();
        assertThat(failed.getAmountRemaining()).isEqualTo(StripeStub.UNIT_AMOUNT);
    }

    @Test
    void checkoutSessionEventDeserializes() throws Exception {
        String payload = StripeStub.event("evt_cs", "checkout.session.completed",
                stub.checkoutSessionJson("cs_test_1", "cus_1", "sub_1", "Anna Makler", "anna@makler.test", "80331", "42"));

        Event event = Webhook.constructEvent(payload, StripeStub.signatureHeader(payload, SECRET), SECRET);

        Session session = (Session) event.getDataObjectDeserializer().getObject().orElseThrow();
        assertThat(session.getMode()).isEqualTo("subscription");
        assertThat(session.getStatus()).isEqualTo("complete");
        assertThat(session.getPaymentStatus()).isEqualTo("paid");
        assertThat(session.getCustomer()).isEqualTo("cus_1");
        assertThat(session.getSubscription()).isEqualTo("sub_1");
        assertThat(session.getClientReferenceId()).isEqualTo("42");
        assertThat(session.getMetadata()).containsEntry("plz", "80331");
        assertThat(session.getCustomerDetails().getName()).isEqualTo("Anna Makler");
        assertThat(session.getCustomerDetails().getEmail()).isEqualTo("anna@makler.test");
    }
}
