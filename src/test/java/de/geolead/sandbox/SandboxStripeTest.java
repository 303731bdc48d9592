package de.geolead.sandbox;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.stripe.Stripe;
import com.stripe.StripeClient;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.model.Customer;
import com.stripe.model.Event;
import com.stripe.model.Invoice;
import com.stripe.model.StripeObject;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.model.checkout.Session;
import com.stripe.net.Webhook;
import com.stripe.param.SubscriptionListParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SandboxStripeTest {

    private static final String KEY = "sk_test_sandbox_geolead";
    private static final String SECRET = "whsec_sandbox";
    private static final long DAY = 86_400;

    private SandboxStripe stub;
    private StripeClient client;
    private final long now = Instant.now().getEpochSecond();

    @BeforeEach
    void start() {
        stub = SandboxStripe.start(0, KEY);
        client = StripeClient.builder().setApiKey(KEY).setApiBase(stub.apiBase()).build();
        stub.putCustomer("cus_nord", "Maklerbüro Nord", "nord@example.org");
        stub.putSubscription("sub_nord", "cus_nord", "active", "20095");
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void apiBaseIsLoopbackAndNagleIsOff() {
        assertThat(stub.apiBase()).matches("http://127\\.0\\.0\\.1:\\d+");
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isNotNull();
    }

    @Test
    void retrievesASubscriptionInTheDahliaShape() throws Exception {
        Subscription subscription = client.v1().subscriptions().retrieve("sub_nord");

        assertThat(subscription.getId()).isEqualTo("sub_nord");
        assertThat(subscription.getObject()).isEqualTo("subscription");
        assertThat(subscription.getCustomer()).isEqualTo("cus_nord");
        assertThat(subscription.getStatus()).isEqualTo("active");
        assertThat(subscription.getStartDate()).isCloseTo(now - 30 * DAY, within(5L));
        assertThat(subscription.getCreated()).isEqualTo(subscription.getStartDate());
        assertThat(subscription.getEndedAt()).isNull();
        assertThat(subscription.getCancelAt()).isNull();
        assertThat(subscription.getCanceledAt()).isNull();
        assertThat(subscription.getCancelAtPeriodEnd()).isFalse();
        assertThat(subscription.getLivemode()).isFalse();
        assertThat(subscription.getMetadata()).containsExactly(java.util.Map.entry("plz", "20095"));

        assertThat(subscription.getItems().getObject()).isEqualTo("list");
        assertThat(subscription.getItems().getHasMore()).isFalse();
        assertThat(subscription.getItems().getData()).hasSize(1);
        SubscriptionItem item = subscription.getItems().getData().get(0);
        assertThat(item.getId()).isEqualTo("si_nord");
        assertThat(item.getObject()).isEqualTo("subscription_item");
        assertThat(item.getSubscription()).isEqualTo("sub_nord");
        assertThat(item.getQuantity()).isEqualTo(1L);
        assertThat(item.getMetadata()).containsEntry("plz", "20095");
        assertThat(item.getCurrentPeriodStart()).isCloseTo(now, within(5L));
        assertThat(item.getCurrentPeriodEnd()).isEqualTo(item.getCurrentPeriodStart() + 30 * DAY);
        assertThat(item.getPrice().getId()).isEqualTo("price_geolead_plz");
        assertThat(item.getPrice().getCurrency()).isEqualTo("eur");
        assertThat(item.getPrice().getUnitAmount()).isEqualTo(4900L);
        assertThat(item.getPrice().getRecurring().getInterval()).isEqualTo("month");
    }

    @Test
    void cancelingSetsEndedAtAndListsFilterByStatus() throws Exception {
        stub.setSubscriptionStatus("sub_nord", "canceled");

        Subscription canceled = client.v1().subscriptions().retrieve("sub_nord");
        assertThat(canceled.getStatus()).isEqualTo("canceled");
        assertThat(canceled.getEndedAt()).isCloseTo(now, within(5L));
        assertThat(canceled.getCanceledAt()).isEqualTo(canceled.getEndedAt());
        assertThat(JsonParser.parseString(stub.subscriptionJson("sub_nord")).getAsJsonObject().get("ended_at").getAsLong())
                .isEqualTo(canceled.getEndedAt());

        SubscriptionListParams.Builder params = SubscriptionListParams.builder().setCustomer("cus_nord");
        assertThat(client.v1().subscriptions().list(params.build()).getData()).isEmpty();
        assertThat(client.v1().subscriptions().list(params.setStatus(SubscriptionListParams.Status.ALL).build()).getData())
                .extracting(Subscription::getId).containsExactly("sub_nord");

        stub.setSubscriptionStatus("sub_nord", "active");
        Subscription reactivated = client.v1().subscriptions().retrieve("sub_nord");
        assertThat(reactivated.getEndedAt()).isNull();
        assertThat(reactivated.getCanceledAt()).isNull();
    }

    @Test
    void autoPagingWalksAllPagesOfOneCustomer() throws Exception {
        stub.putCustomer("cus_sued", "Makler Süd", "sued@example.org");
        List<String> put = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String id = "sub_sued_" + i;
            stub.putSubscription(id, "cus_sued", i == 3 ? "canceled" : "active", "8033" + i);
            put.add(0, id); // newest first
        }
        SubscriptionListParams params = SubscriptionListParams.builder()
                .setCustomer("cus_sued")
                .setStatus(SubscriptionListParams.Status.ALL)
                .setLimit(2L)
                .build();

        var firstPage = client.v1().subscriptions().list(params);
        assertThat(firstPage.getData()).hasSize(2);
        assertThat(firstPage.getHasMore()).isTrue();
        assertThat(firstPage.getUrl()).isEqualTo("/v1/subscriptions");

        List<String> seen = new ArrayList<>();
        for (Subscription subscription : client.v1().subscriptions().list(params).autoPagingIterable()) {
            seen.add(subscription.getId());
            assertThat(subscription.getCustomer()).isEqualTo("cus_sued");
        }
        assertThat(seen).containsExactlyElementsOf(put);
    }

    @Test
    void listRejectsBadLimitAndUnknownCursorLikeStripe() throws Exception {
        HttpResponse<String> badLimit = get("/v1/subscriptions?limit=0", "Bearer " + KEY);
        assertThat(badLimit.statusCode()).isEqualTo(400);
        assertThat(error(badLimit).get("param").getAsString()).isEqualTo("limit");

        HttpResponse<String> badCursor = get("/v1/subscriptions?starting_after=sub_nope", "Bearer " + KEY);
        assertThat(badCursor.statusCode()).isEqualTo(400);
        assertThat(error(badCursor).get("code").getAsString()).isEqualTo("resource_missing");

        HttpResponse<String> unknownPath = get("/v1/charges", "Bearer " + KEY);
        assertThat(unknownPath.statusCode()).isEqualTo(404);
        assertThat(error(unknownPath).get("message").getAsString()).startsWith("Unrecognized request URL (GET: /v1/charges)");
        assertThat(unknownPath.headers().firstValue("Request-Id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
    }

    @Test
    void retrievesACustomer() throws Exception {
        Customer customer = client.v1().customers().retrieve("cus_nord");

        assertThat(customer.getId()).isEqualTo("cus_nord");
        assertThat(customer.getObject()).isEqualTo("customer");
        assertThat(customer.getName()).isEqualTo("Maklerbüro Nord");
        assertThat(customer.getEmail()).isEqualTo("nord@example.org");
        assertThat(customer.getMetadata()).isEmpty();
        assertThat(customer.getCreated()).isCloseTo(now, within(5L));
        assertThat(JsonParser.parseString(stub.customerJson("cus_nord")).getAsJsonObject().get("name").getAsString())
                .isEqualTo("Maklerbüro Nord");
    }

    @Test
    void unknownIdsAreResourceMissing() {
        assertThatThrownBy(() -> client.v1().subscriptions().retrieve("sub_unknown"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(404);
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                    assertThat(e.getParam()).isEqualTo("id");
                    assertThat(e.getStripeError().getType()).isEqualTo("invalid_request_error");
                    assertThat(e.getStripeError().getMessage()).contains("sub_unknown");
                });
        assertThatThrownBy(() -> client.v1().customers().retrieve("cus_unknown"))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.getCode()).isEqualTo("resource_missing"));
        assertThatThrownBy(() -> stub.subscriptionJson("sub_unknown")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wrongOrMissingKeyIsUnauthorized() throws Exception {
        StripeClient wrong = StripeClient.builder().setApiKey("sk_test_wrong_key").setApiBase(stub.apiBase()).build();
        assertThatThrownBy(() -> wrong.v1().subscriptions().retrieve("sub_nord"))
                .isInstanceOfSatisfying(AuthenticationException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(401);
                    assertThat(e.getStripeError().getMessage()).contains("Invalid API Key").doesNotContain("wrong_key");
                });

        HttpResponse<String> missing = get("/v1/customers/cus_nord", null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(error(missing).get("type").getAsString()).isEqualTo("invalid_request_error");
    }

    @Test
    void signedEventsAreAcceptedByStripeJava() throws Exception {
        String subscriptionEvent = SandboxStripe.event("evt_1", "customer.subscription.updated",
                stub.subscriptionJson("sub_nord"));
        Event event = Webhook.constructEvent(subscriptionEvent,
                SandboxStripe.signatureHeader(subscriptionEvent, SECRET), SECRET);
        assertThat(event.getId()).isEqualTo("evt_1");
        assertThat(event.getType()).isEqualTo("customer.subscription.updated");
        assertThat(event.getApiVersion()).isEqualTo(Stripe.API_VERSION);
        assertThat(event.getLivemode()).isFalse();
        assertThat(event.getCreated()).isCloseTo(now, within(5L));
        StripeObject object = event.getDataObjectDeserializer().getObject().orElseThrow();
        assertThat(((Subscription) object).getItems().getData().get(0).getMetadata()).containsEntry("plz", "20095");

        String invoicePaid = SandboxStripe.event("evt_2", "invoice.paid",
                stub.invoiceJson("in_1", "cus_nord", "sub_nord", "paid"));
        Invoice invoice = (Invoice) Webhook.constructEvent(invoicePaid,
                        SandboxStripe.signatureHeader(invoicePaid, SECRET), SECRET)
                .getDataObjectDeserializer().getObject().orElseThrow();
        assertThat(invoice.getCustomer()).isEqualTo("cus_nord");
        assertThat(invoice.getStatus()).isEqualTo("paid");
        assertThat(invoice.getParent().getSubscriptionDetails().getSubscription()).isEqualTo("sub_nord");
        assertThat(invoice.getParent().getSubscriptionDetails().getMetadata()).containsEntry("plz", "20095");
        assertThat(invoice.getStatusTransitions().getPaidAt()).isCloseTo(now, within(5L));
        assertThat(invoice.getAmountPaid()).isEqualTo(4900L);

        Invoice open = (Invoice) eventObject(SandboxStripe.event("evt_3", "invoice.payment_failed",
                stub.invoiceJson("in_2", "cus_nord", "sub_nord", "open")));
        assertThat(open.getStatusTransitions().getPaidAt()).isNull();

        Session session = (Session) eventObject(SandboxStripe.event("evt_4", "checkout.session.completed",
                stub.checkoutSessionJson("cs_test_1", "cus_nord", "sub_nord")));
        assertThat(session.getMode()).isEqualTo("subscription");
        assertThat(session.getCustomer()).isEqualTo("cus_nord");
        assertThat(session.getSubscription()).isEqualTo("sub_nord");
        assertThat(session.getCustomerDetails().getName()).isEqualTo("Maklerbüro Nord");
        assertThat(session.getCustomerDetails().getEmail()).isEqualTo("nord@example.org");

        Customer customer = (Customer) eventObject(SandboxStripe.event("evt_5", "customer.updated",
                stub.customerJson("cus_nord")));
        assertThat(customer.getEmail()).isEqualTo("nord@example.org");

        JsonObject raw = JsonParser.parseString(subscriptionEvent).getAsJsonObject();
        assertThat(raw.get("pending_webhooks").getAsInt()).isEqualTo(1);
        assertThat(raw.getAsJsonObject("request").get("id").isJsonNull()).isTrue();
        assertThat(raw.getAsJsonObject("request").get("idempotency_key").isJsonNull()).isTrue();
    }

    // ------------------------------------------------------------------------------------- helpers

    private static StripeObject eventObject(String payload) throws Exception {
        return Webhook.constructEvent(payload, SandboxStripe.signatureHeader(payload, SECRET), SECRET)
                .getDataObjectDeserializer().getObject().orElseThrow();
    }

    private HttpResponse<String> get(String pathAndQuery, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stub.apiBase() + pathAndQuery)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject error(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        return JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("error");
    }
}
