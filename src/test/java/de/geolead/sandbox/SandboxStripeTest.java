package de.geolead.sandbox;

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
import org.junit.jupiter.api.AfterEach;
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
import static org.assertj.core.api.Assertions.within;

class SandboxStripeTest {

    private static final String KEY = "sk_test_sandbox_geolead";
    private static final String SECRET = "whsec_sandbox";
    private static final long DAY = 86_400;

    private SandboxStripe stub;
    private StripeClient client;
    /** Retries like the application's client: 409 and 5xx, not 429 or other 4xx. */
    private StripeClient retrying;
    private final long now = Instant.now().getEpochSecond();

    @BeforeEach
    void start() {
        stub = SandboxStripe.start(0, KEY);
        client = StripeClient.builder().setApiKey(KEY).setApiBase(stub.apiBase()).build();
        retrying = StripeClient.builder().setApiKey(KEY).setApiBase(stub.apiBase()).setMaxNetworkRetries(2).build();
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
        assertThat(stub.port()).isPositive();
        assertThat(stub.apiBase()).isEqualTo("http://127.0.0.1:" + stub.port());
        assertThat(Stripe.API_VERSION).isEqualTo("2026-07-29.dahlia");
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isNotNull();
    }

    @Test
    void aBalanceTransactionMovesTheCustomersBalanceAndIsListed() throws Exception {
        com.stripe.model.CustomerBalanceTransaction credit = client.v1().customers().balanceTransactions().create("cus_nord",
                com.stripe.param.CustomerBalanceTransactionCreateParams.builder().setAmount(-1500L).setCurrency("eur")
                        .setDescription("Reklamation Lead 42").putMetadata("geolead_return_id", "7").build());

        assertThat(credit.getId()).startsWith("cbtxn_");
        assertThat(credit.getAmount()).isEqualTo(-1500L);
        assertThat(credit.getCurrency()).isEqualTo("eur");
        assertThat(credit.getCustomer()).isEqualTo("cus_nord");
        assertThat(credit.getType()).isEqualTo("adjustment");
        assertThat(credit.getEndingBalance()).isEqualTo(-1500L);
        assertThat(credit.getMetadata()).containsEntry("geolead_return_id", "7");
        assertThat(client.v1().customers().retrieve("cus_nord").getBalance()).isEqualTo(-1500L);
        assertThat(stub.balance("cus_nord")).isEqualTo(-1500L);

        com.stripe.model.CustomerBalanceTransaction second = client.v1().customers().balanceTransactions().create("cus_nord",
                com.stripe.param.CustomerBalanceTransactionCreateParams.builder().setAmount(-500L).setCurrency("eur").build());
        assertThat(second.getEndingBalance()).isEqualTo(-2000L);
        assertThat(client.v1().customers().balanceTransactions().list("cus_nord").getData())
                .extracting(com.stripe.model.CustomerBalanceTransaction::getId).containsExactly(second.getId(), credit.getId());
        assertThat(stub.balanceTransactionsJson("cus_nord")).hasSize(2);
    }

    @Test
    void theSameIdempotencyKeyAnswersTheSameTransactionOnce() throws Exception {
        com.stripe.param.CustomerBalanceTransactionCreateParams params = com.stripe.param.CustomerBalanceTransactionCreateParams.builder()
                .setAmount(-1500L).setCurrency("eur").build();
        com.stripe.net.RequestOptions key = com.stripe.net.RequestOptions.builder().setIdempotencyKey("geolead-return-7").build();

        com.stripe.model.CustomerBalanceTransaction first = client.v1().customers().balanceTransactions().create("cus_nord", params, key);
        com.stripe.model.CustomerBalanceTransaction again = client.v1().customers().balanceTransactions().create("cus_nord", params, key);

        assertThat(again.getId()).isEqualTo(first.getId());
        assertThat(again.getLastResponse().headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(stub.balanceTransactionsJson("cus_nord")).hasSize(1);
        assertThat(stub.balance("cus_nord")).isEqualTo(-1500L);
        com.stripe.param.CustomerBalanceTransactionCreateParams other = com.stripe.param.CustomerBalanceTransactionCreateParams.builder()
                .setAmount(-9900L).setCurrency("eur").build();
        assertThatThrownBy(() -> client.v1().customers().balanceTransactions().create("cus_nord", other, key))
                .isInstanceOfSatisfying(com.stripe.exception.StripeException.class, e -> assertThat(e.getStatusCode()).isEqualTo(400))
                .hasMessageContaining("idempotent");
        com.stripe.model.CustomerBalanceTransaction fresh = client.v1().customers().balanceTransactions().create("cus_nord", params,
                com.stripe.net.RequestOptions.builder().setIdempotencyKey("geolead-return-8").build());
        assertThat(fresh.getId()).isNotEqualTo(first.getId());
    }

    @Test
    void aBalanceTransactionRetriedAfterA5xxKeepsItsKeyAndBooksOnce() throws Exception {
        stub.failNext("/v1/customers/cus_nord/balance_transactions", 503, 1);
        com.stripe.model.CustomerBalanceTransaction credit = retrying.v1().customers().balanceTransactions().create("cus_nord",
                com.stripe.param.CustomerBalanceTransactionCreateParams.builder().setAmount(-1500L).setCurrency("eur").build(),
                com.stripe.net.RequestOptions.builder().setIdempotencyKey("geolead-return-9").build());
        assertThat(credit.getAmount()).isEqualTo(-1500L);
        assertThat(stub.requestCount("/v1/customers/cus_nord/balance_transactions")).isEqualTo(2);
        assertThat(stub.balanceTransactionsJson("cus_nord")).hasSize(1);
    }

    @Test
    void aBalanceTransactionNeedsAKnownCustomerAmountAndCurrency() {
        assertThatThrownBy(() -> client.v1().customers().balanceTransactions().create("cus_nobody",
                com.stripe.param.CustomerBalanceTransactionCreateParams.builder().setAmount(-1L).setCurrency("eur").build()))
                .isInstanceOfSatisfying(com.stripe.exception.InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(404);
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                });
        assertThatThrownBy(() -> client.v1().customers().balanceTransactions().create("cus_nord",
                com.stripe.param.CustomerBalanceTransactionCreateParams.builder().setCurrency("eur").build()))
                .isInstanceOfSatisfying(com.stripe.exception.InvalidRequestException.class, e -> assertThat(e.getCode()).isEqualTo("parameter_missing"));
        assertThat(stub.balance("cus_nord")).isZero();
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
                    assertThat(e.getCode()).isEqualTo("api_key_invalid");
                    assertThat(e.getStripeError().getMessage()).contains("Invalid API Key").doesNotContain("wrong_key");
                });

        HttpResponse<String> missing = get("/v1/customers/cus_nord", null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(error(missing).get("type").getAsString()).isEqualTo("invalid_request_error");
        assertThat(error(missing).get("message").getAsString()).startsWith("You did not provide an API key.");
        // 401s are counted too
        assertThat(stub.requestCount("/v1/subscriptions/sub_nord")).isEqualTo(1);
        assertThat(stub.requestCount("/v1/customers")).isEqualTo(1);
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

    // ------------------------------------------------------------------- explicit dates (for tests)

    @Test
    void putSubscriptionWithExplicitDates() throws Exception {
        stub.putSubscription("sub_1", "cus_nord", "active", "80331", now - 40 * DAY, null, now + 20 * DAY);

        Subscription subscription = client.v1().subscriptions().retrieve("sub_1");
        assertThat(subscription.getStartDate()).isEqualTo(now - 40 * DAY);
        assertThat(subscription.getCreated()).isEqualTo(now - 40 * DAY);
        assertThat(subscription.getEndedAt()).isNull();
        assertThat(subscription.getTrialEnd()).isNull();
        SubscriptionItem item = subscription.getItems().getData().get(0);
        assertThat(item.getCurrentPeriodEnd()).isEqualTo(now + 20 * DAY);
        assertThat(item.getCurrentPeriodStart()).isLessThan(now + 20 * DAY).isGreaterThanOrEqualTo(now - 40 * DAY);
        assertThat(item.getMetadata()).containsEntry("plz", "80331");

        // no period end given: one month after start; trialing: trial_end is the period end; no PLZ: empty metadata
        stub.putSubscription("sub_2", "cus_nord", "trialing", null, now, null, null);
        JsonObject json = JsonParser.parseString(stub.subscriptionJson("sub_2")).getAsJsonObject();
        assertThat(json.has("current_period_end")).isFalse();
        assertThat(json.getAsJsonObject("metadata").size()).isZero();
        JsonObject item2 = json.getAsJsonObject("items").getAsJsonArray("data").get(0).getAsJsonObject();
        long oneMonthLater = Instant.ofEpochSecond(now).atZone(ZoneOffset.UTC).plusMonths(1).toEpochSecond();
        assertThat(item2.get("id").getAsString()).isEqualTo("si_2");
        assertThat(item2.get("current_period_end").getAsLong()).isEqualTo(oneMonthLater);
        assertThat(item2.get("current_period_start").getAsLong()).isEqualTo(now);
        assertThat(json.get("trial_end").getAsLong()).isEqualTo(oneMonthLater);
    }

    @Test
    void setSubscriptionStatusWithExplicitEndedAt() throws Exception {
        stub.setSubscriptionStatus("sub_nord", "canceled", now - DAY);
        Subscription canceled = client.v1().subscriptions().retrieve("sub_nord");
        assertThat(canceled.getStatus()).isEqualTo("canceled");
        assertThat(canceled.getEndedAt()).isEqualTo(now - DAY);
        assertThat(canceled.getCanceledAt()).isEqualTo(now - DAY);

        stub.setSubscriptionStatus("sub_nord", "some_future_status", null);
        Subscription unknown = client.v1().subscriptions().retrieve("sub_nord");
        assertThat(unknown.getStatus()).isEqualTo("some_future_status");
        assertThat(unknown.getEndedAt()).isNull();
        assertThat(unknown.getCanceledAt()).isNull();
    }

    @Test
    void listFiltersByStatusAndPagesBackwardsWithEndingBefore() throws Exception {
        putFiveSubscriptionsOfCus1();

        List<String> defaultList = new ArrayList<>();
        client.v1().subscriptions().list(SubscriptionListParams.builder().setCustomer("cus_1").build())
                .autoPagingIterable().forEach(sub -> defaultList.add(sub.getId()));
        assertThat(defaultList).containsExactly("sub_e", "sub_d", "sub_b", "sub_a");

        StripeCollection<Subscription> canceled = client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.CANCELED).build());
        assertThat(canceled.getData()).extracting(Subscription::getId).containsExactly("sub_c");
        assertThat(canceled.getHasMore()).isFalse();

        StripeCollection<Subscription> before = client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL)
                .setEndingBefore("sub_b").setLimit(2L).build());
        assertThat(before.getData()).extracting(Subscription::getId).containsExactly("sub_d", "sub_c");
        assertThat(before.getHasMore()).isTrue();

        assertThatThrownBy(() -> client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer("cus_1").setLimit(101L).build()))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getParam()).isEqualTo("limit"));
    }

    @Test
    void autoPagingIssuesOneRequestPerPage() throws Exception {
        putFiveSubscriptionsOfCus1();

        List<String> ids = new ArrayList<>();
        client.v1().subscriptions().list(SubscriptionListParams.builder()
                        .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL).setLimit(2L).build())
                .autoPagingIterable().forEach(sub -> ids.add(sub.getId()));

        assertThat(ids).containsExactly("sub_e", "sub_d", "sub_c", "sub_b", "sub_a");
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(3);
    }

    @Test
    void checkoutSessionsAreListedNewestFirstFilteredAndPaged() throws Exception {
        stub.putCustomer("cus_2", "Berta Makler", "berta@makler.test");
        stub.putSubscription("sub_2", "cus_2", "active", "10115");
        stub.putCheckoutSession("cs_old", "cus_nord", "sub_nord", "complete", now - 10 * DAY);
        stub.putCheckoutSession("cs_a", "cus_nord", "sub_nord", "complete", now - 2 * DAY);
        stub.putCheckoutSession("cs_open", null, null, "open", now - DAY);
        stub.putCheckoutSession("cs_b", "cus_2", "sub_2", "complete", now - DAY);
        stub.putCheckoutSession("cs_c", "cus_2", "sub_2");

        List<String> ids = new ArrayList<>();
        client.v1().checkout().sessions().list(com.stripe.param.checkout.SessionListParams.builder()
                        .setStatus(com.stripe.param.checkout.SessionListParams.Status.COMPLETE)
                        .setCreated(com.stripe.param.checkout.SessionListParams.Created.builder().setGte(now - 3 * DAY).build())
                        .setLimit(2L).build())
                .autoPagingIterable().forEach(session -> ids.add(session.getId()));

        assertThat(ids).containsExactly("cs_c", "cs_b", "cs_a");
        assertThat(stub.requestCount("/v1/checkout/sessions")).isEqualTo(2);
        Session b = client.v1().checkout().sessions().retrieve("cs_b");
        assertThat(b.getCustomer()).isEqualTo("cus_2");
        assertThat(b.getSubscription()).isEqualTo("sub_2");
        assertThat(b.getStatus()).isEqualTo("complete");
        assertThat(b.getMode()).isEqualTo("subscription");
        assertThat(b.getCreated()).isEqualTo(now - DAY);
        assertThat(b.getCustomerDetails().getEmail()).isEqualTo("berta@makler.test");
        assertThat(b.getMetadata()).containsEntry("plz", "10115");
        assertThat(client.v1().checkout().sessions().list(com.stripe.param.checkout.SessionListParams.builder()
                .setCustomer("cus_nord").build()).getData()).extracting(Session::getId).containsExactly("cs_a", "cs_old");
        assertThat(client.v1().checkout().sessions().list(com.stripe.param.checkout.SessionListParams.builder()
                .setStatus(com.stripe.param.checkout.SessionListParams.Status.OPEN).build()).getData())
                .extracting(Session::getId).containsExactly("cs_open");
    }

    @Test
    void checkoutSessionsFollowTheModelAndRejectUnknownIdsAndCursors() throws Exception {
        stub.putCheckoutSession("cs_1", "cus_nord", "sub_nord");
        stub.putCustomer("cus_nord", "Maklerbüro Nord", "neu@example.org"); // served as stored now

        assertThat(client.v1().checkout().sessions().retrieve("cs_1").getCustomerDetails().getEmail()).isEqualTo("neu@example.org");
        assertThatThrownBy(() -> client.v1().checkout().sessions().retrieve("cs_nope"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getCode()).isEqualTo("resource_missing"));
        HttpResponse<String> badCursor = get("/v1/checkout/sessions?starting_after=cs_nope", "Bearer " + KEY);
        assertThat(badCursor.statusCode()).isEqualTo(400);
        assertThat(error(badCursor).get("code").getAsString()).isEqualTo("resource_missing");
        assertThat(get("/v1/checkout/sessions?created%5Bgte%5D=soon", "Bearer " + KEY).statusCode()).isEqualTo(400);
        assertThat(get("/v1/checkout/sessions", "Bearer wrong").statusCode()).isEqualTo(401);

        stub.reset();
        assertThat(client.v1().checkout().sessions().list(com.stripe.param.checkout.SessionListParams.builder().build()).getData()).isEmpty();
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
    void aRemovedSubscriptionIs404AndNotRetried() {
        stub.removeSubscription("sub_nord");

        assertThatThrownBy(() -> retrying.v1().subscriptions().retrieve("sub_nord"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(404);
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                    assertThat(e.getStripeError().getMessage()).isEqualTo("No such subscription: 'sub_nord'");
                    assertThat(e.getRequestId()).startsWith("req_");
                });
        assertThat(stub.requestCount("/v1/subscriptions/sub_nord")).isEqualTo(1);
    }

    // ----------------------------------------------------------------------------- injected failures

    @Test
    void failNextIsRetriedByTheClient() throws Exception {
        stub.failNext("/v1/subscriptions", 500, 1);

        assertThat(retrying.v1().subscriptions().retrieve("sub_nord").getStatus()).isEqualTo("active");
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(2);
    }

    @Test
    void failNextWith429IsNotRetried() {
        stub.failNext("/v1/subscriptions/sub_nord", 429, 5);

        assertThatThrownBy(() -> retrying.v1().subscriptions().retrieve("sub_nord"))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.getCode()).isEqualTo("rate_limit"));
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(1);
    }

    @Test
    void failListForFailsAfterRetriesUntilCleared() throws Exception {
        stub.putSubscription("sub_1", "cus_1", "active", "80331", now, null, null);
        stub.failListFor("cus_1", 503);
        SubscriptionListParams cus1 = SubscriptionListParams.builder()
                .setCustomer("cus_1").setStatus(SubscriptionListParams.Status.ALL).build();

        assertThatThrownBy(() -> retrying.v1().subscriptions().list(cus1))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getStatusCode()).isEqualTo(503));
        assertThat(stub.requestCount("/v1/subscriptions")).isEqualTo(3); // 1 + 2 retries

        // other customers and single retrieves are unaffected
        assertThat(retrying.v1().subscriptions().list(SubscriptionListParams.builder().setCustomer("cus_nord").build())
                .getData()).hasSize(1);
        assertThat(retrying.v1().subscriptions().retrieve("sub_1").getId()).isEqualTo("sub_1");

        stub.clearFailures();
        assertThat(retrying.v1().subscriptions().list(cus1).getData()).extracting(Subscription::getId).containsExactly("sub_1");
    }

    @Test
    void resetForgetsModelFailuresAndRequests() throws Exception {
        client.v1().customers().retrieve("cus_nord");
        stub.failNext("/v1", 500, 3);

        stub.reset();

        assertThat(stub.requestCount("/")).isZero();
        assertThatThrownBy(() -> stub.subscriptionJson("sub_nord")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.v1().customers().retrieve("cus_nord"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getStatusCode()).isEqualTo(404));
        assertThat(stub.requestCount("/v1/customers")).isEqualTo(1);
    }

    // ------------------------------------------------------------------------- webhooks (for tests)

    @Test
    void eventAtAnotherApiVersionHasAnEmptyDeserializer() throws Exception {
        String payload = SandboxStripe.event("evt_basil", "customer.subscription.updated",
                stub.subscriptionJson("sub_nord"), "2025-03-31.basil");

        Event event = Webhook.constructEvent(payload, SandboxStripe.signatureHeader(payload, SECRET), SECRET);

        assertThat(event.getApiVersion()).isEqualTo("2025-03-31.basil");
        assertThat(event.getDataObjectDeserializer().getObject()).isEmpty();
        Subscription unsafe = (Subscription) event.getDataObjectDeserializer().deserializeUnsafe();
        assertThat(unsafe.getId()).isEqualTo("sub_nord");
        assertThat(unsafe.getMetadata()).containsEntry("plz", "20095");
    }

    @Test
    void staleAndForeignSignaturesAreRejected() throws Exception {
        String payload = SandboxStripe.event("evt_1", "customer.subscription.deleted", "{\"id\":\"sub_1\",\"object\":\"subscription\"}");
        long t = Instant.now().getEpochSecond();

        assertThatThrownBy(() -> Webhook.constructEvent(payload, SandboxStripe.signatureHeader(payload, SECRET, t - 301), SECRET))
                .isInstanceOf(SignatureVerificationException.class)
                .hasMessageContaining("Timestamp outside the tolerance zone");
        assertThatThrownBy(() -> Webhook.constructEvent(payload, SandboxStripe.signatureHeader(payload, "whsec_other"), SECRET))
                .isInstanceOf(SignatureVerificationException.class);
        assertThatThrownBy(() -> Webhook.constructEvent(payload + " ", SandboxStripe.signatureHeader(payload, SECRET), SECRET))
                .isInstanceOf(SignatureVerificationException.class);

        // boundary with a fixed clock: 300 s old is still accepted, 301 s is not
        Clock clock = Clock.fixed(Instant.ofEpochSecond(t), ZoneOffset.UTC);
        String at300 = SandboxStripe.signatureHeader(payload, SECRET, t - 300);
        assertThat(Webhook.constructEvent(payload, at300, SECRET, Webhook.DEFAULT_TOLERANCE, clock).getId()).isEqualTo("evt_1");
        String at301 = SandboxStripe.signatureHeader(payload, SECRET, t - 301);
        assertThatThrownBy(() -> Webhook.constructEvent(payload, at301, SECRET, Webhook.DEFAULT_TOLERANCE, clock))
                .isInstanceOf(SignatureVerificationException.class);
    }

    @Test
    void signatureHeaderFollowsStripesScheme() throws Exception {
        String payload = SandboxStripe.event("evt_1", "invoice.paid", "{\"id\":\"in_1\",\"object\":\"invoice\"}");
        long t = 1_780_000_000L;

        String header = SandboxStripe.signatureHeader(payload, SECRET, t);

        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal((t + "." + payload).getBytes(StandardCharsets.UTF_8)));
        assertThat(header).isEqualTo("t=" + t + ",v1=" + expected);
    }

    @Test
    void invoiceWithExplicitPlzAndPaidAt() throws Exception {
        stub.putSubscription("sub_1", "cus_nord", "active", "80331", now - 40 * DAY, null, now + 20 * DAY);
        long paidAt = now - 3600;

        Invoice paid = (Invoice) eventObject(SandboxStripe.event("evt_inv", "invoice.paid",
                stub.invoiceJson("in_1", "cus_nord", "sub_1", "80333", "paid", paidAt)));
        assertThat(paid.getStatus()).isEqualTo("paid");
        assertThat(paid.getCustomerEmail()).isEqualTo("nord@example.org");
        assertThat(paid.getAmountPaid()).isEqualTo(SandboxStripe.UNIT_AMOUNT);
        assertThat(paid.getCreated()).isEqualTo(paidAt);
        assertThat(paid.getStatusTransitions().getPaidAt()).isEqualTo(paidAt);
        assertThat(paid.getParent().getSubscriptionDetails().getSubscription()).isEqualTo("sub_1");
        assertThat(paid.getParent().getSubscriptionDetails().getMetadata()).containsEntry("plz", "80333");
        var line = paid.getLines().getData().get(0);
        assertThat(line.getParent().getSubscriptionItemDetails().getSubscriptionItem()).isEqualTo("si_1");
        assertThat(line.getPeriod().getEnd()).isEqualTo(now + 20 * DAY);
        assertThat(JsonParser.parseString(stub.invoiceJson("in_1", "cus_nord", "sub_1", "80333", "paid", paidAt))
                .getAsJsonObject().has("subscription")).isFalse();

        Invoice open = (Invoice) eventObject(SandboxStripe.event("evt_f", "invoice.payment_failed",
                stub.invoiceJson("in_2", "cus_nord", "sub_1", "80333", "open", now)));
        assertThat(open.getStatusTransitions().getPaidAt()).isNull();
        assertThat(open.getAmountRemaining()).isEqualTo(SandboxStripe.UNIT_AMOUNT);
    }

    @Test
    void checkoutSessionWithExplicitCustomerDetails() throws Exception {
        Session session = (Session) eventObject(SandboxStripe.event("evt_cs", "checkout.session.completed",
                stub.checkoutSessionJson("cs_test_2", "cus_x", "sub_x", "Anna Makler", "anna@makler.test", "80331")));

        assertThat(session.getStatus()).isEqualTo("complete");
        assertThat(session.getPaymentStatus()).isEqualTo("paid");
        assertThat(session.getCustomer()).isEqualTo("cus_x");
        assertThat(session.getSubscription()).isEqualTo("sub_x");
        assertThat(session.getMetadata()).containsEntry("plz", "80331");
        assertThat(session.getCustomerDetails().getName()).isEqualTo("Anna Makler");
        assertThat(session.getCustomerDetails().getEmail()).isEqualTo("anna@makler.test");
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
