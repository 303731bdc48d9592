package de.geolead.testing;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.stripe.Stripe;
import com.stripe.net.Webhook;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A local stand-in for the Stripe API: WireMock on 127.0.0.1 (dynamic port) with one catch-all stub whose
 * response is computed by a transformer from a small, thread-safe, mutable model of customers and
 * subscriptions. Answers in the shape of the API version stripe-java pins ({@link Stripe#API_VERSION},
 * 2026-07-29.dahlia): {@code current_period_start/end} only on subscription items, invoices linked through
 * {@code parent.subscription_details}.
 *
 * <p>Served (everything else answers 404 "Unrecognized request URL" like Stripe):
 * <ul>
 *   <li>{@code GET /v1/customers/{id}}</li>
 *   <li>{@code GET /v1/subscriptions/{id}}</li>
 *   <li>{@code GET /v1/subscriptions?customer=&status=&limit=&starting_after=&ending_before=} — newest
 *       {@code created} first, ties by insertion order (newest first); without {@code status} canceled
 *       subscriptions are left out, {@code status=all} returns every status, {@code status=ended} canceled and
 *       incomplete_expired, any other value that status only.</li>
 * </ul>
 * Every request must carry {@code Authorization: Bearer }{@value #API_KEY}, otherwise 401 as Stripe answers.
 * Order of checks per request: authentication, then {@link #failNext}, then {@link #failListFor}, then the model.
 *
 * <p>Webhook helpers ({@link #event}, {@link #signatureHeader}) are static and need no running server;
 * {@link #subscriptionJson}, {@link #customerJson}, {@link #invoiceJson} and {@link #checkoutSessionJson}
 * give realistic {@code data.object} payloads.
 */
public final class StripeStub implements AutoCloseable {

    public static final String API_KEY = "sk_test_geolead";
    /** The one recurring price every PLZ subscription uses. */
    public static final String PRICE_ID = "price_geolead_plz";
    public static final String PRODUCT_ID = "prod_geolead_plz";
    /** Monthly price per PLZ in cents. */
    public static final long UNIT_AMOUNT = 4900;
    public static final String CURRENCY = "eur";

    private static final String TRANSFORMER = "geolead-stripe-stub";
    private static final Gson GSON = new GsonBuilder().serializeNulls().setPrettyPrinting().disableHtmlEscaping().create();
    private static final int DEFAULT_LIMIT = 10;
    private static final int MAX_LIMIT = 100;

    /** One request as the stub saw it. {@code query} is the raw query string or null; headers may be null. */
    public record Call(String method, String path, String query, int status,
                       String stripeVersion, String idempotencyKey, String userAgent) {
    }

    private final Object lock = new Object();
    private final Map<String, CustomerState> customers = new HashMap<>();
    private final Map<String, SubscriptionState> subscriptions = new HashMap<>();
    private final List<FailureRule> failNextRules = new ArrayList<>();
    private final Map<String, Integer> listFailures = new HashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private long sequence;

    private final WireMockServer server;

    private StripeStub() {
        server = new WireMockServer(WireMockConfiguration.options()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .disableRequestJournal()
                .extensions(new Responder()));
        server.start();
        server.stubFor(WireMock.any(WireMock.anyUrl())
                .willReturn(WireMock.aResponse().withTransformers(TRANSFORMER)));
    }

    public static StripeStub start() {
        return new StripeStub();
    }

    /** {@code http://127.0.0.1:<port>}, for {@code StripeClient.builder().setApiBase(...)}. */
    public String apiBase() {
        return "http://127.0.0.1:" + server.port();
    }

    public int port() {
        return server.port();
    }

    // ------------------------------------------------------------------------------------------ model

    public void putCustomer(String customerId, String name, String email) {
        synchronized (lock) {
            CustomerState existing = customers.get(customerId);
            long created = existing != null ? existing.created : now();
            customers.put(customerId, new CustomerState(customerId, name, email, created));
        }
    }

    /** GET of this customer answers 404 resource_missing afterwards. */
    public void removeCustomer(String customerId) {
        synchronized (lock) {
            customers.remove(customerId);
        }
    }

    /**
     * Creates or replaces a subscription with one item on {@link #PRICE_ID}.
     *
     * @param status any string; Stripe's are active|trialing|past_due|unpaid|incomplete|incomplete_expired|paused|canceled
     *               (an unknown one is served as is, to test fail-closed mapping)
     * @param plz    {@code metadata.plz} on subscription and item; null → empty metadata
     * @param startDate epoch seconds; also used as {@code created} (list order)
     * @param endedAt   epoch seconds or null; for canceled/incomplete_expired also {@code canceled_at}
     * @param currentPeriodEnd epoch seconds on the item; null → one month after {@code startDate}.
     *                  The item's {@code current_period_start} is one month earlier, but not before {@code startDate}.
     */
    public void putSubscription(String subscriptionId, String customerId, String status, String plz,
                                long startDate, Long endedAt, Long currentPeriodEnd) {
        synchronized (lock) {
            SubscriptionState existing = subscriptions.get(subscriptionId);
            SubscriptionState s = new SubscriptionState();
            s.id = subscriptionId;
            s.seq = existing != null ? existing.seq : ++sequence;
            s.customer = customerId;
            s.plz = plz;
            s.startDate = startDate;
            s.created = startDate;
            s.currentPeriodEnd = currentPeriodEnd != null ? currentPeriodEnd : plusMonths(startDate, 1);
            applyStatus(s, status, endedAt);
            subscriptions.put(subscriptionId, s);
        }
    }

    /** Sets status and {@code ended_at}; a terminal status (canceled, incomplete_expired) also sets {@code canceled_at}. */
    public void setSubscriptionStatus(String subscriptionId, String status, Long endedAt) {
        synchronized (lock) {
            applyStatus(require(subscriptionId), status, endedAt);
        }
    }

    /**
     * Schedules (or with null withdraws) a cancellation: {@code cancel_at}, {@code canceled_at} = now, and
     * {@code cancel_at_period_end} = true when {@code cancelAt} equals the item's current period end.
     */
    public void setCancelAt(String subscriptionId, Long cancelAt) {
        synchronized (lock) {
            SubscriptionState s = require(subscriptionId);
            s.cancelAt = cancelAt;
            s.cancelAtPeriodEnd = cancelAt != null && cancelAt == s.currentPeriodEnd;
            s.canceledAt = cancelAt != null ? Long.valueOf(now()) : null;
        }
    }

    /** Moves the item's billing period (renewal): end as given, start one month earlier (not before start_date). */
    public void setCurrentPeriodEnd(String subscriptionId, long currentPeriodEnd) {
        synchronized (lock) {
            require(subscriptionId).currentPeriodEnd = currentPeriodEnd;
        }
    }

    /** GET of this subscription answers 404 resource_missing afterwards, and lists no longer contain it. */
    public void removeSubscription(String subscriptionId) {
        synchronized (lock) {
            subscriptions.remove(subscriptionId);
        }
    }

    // --------------------------------------------------------------------------------------- failures

    /**
     * The next {@code times} requests whose path starts with {@code pathPrefix} (e.g. "/v1/subscriptions", which
     * also matches "/v1/subscriptions/sub_1") answer {@code httpStatus} with a Stripe-like JSON error.
     * Calls add up in order. stripe-java retries 409 and 5xx (when maxNetworkRetries &gt; 0), not 429 or other 4xx.
     */
    public void failNext(String pathPrefix, int httpStatus, int times) {
        if (times <= 0) {
            return;
        }
        synchronized (lock) {
            failNextRules.add(new FailureRule(pathPrefix, httpStatus, times));
        }
    }

    /** Every {@code GET /v1/subscriptions?customer=<customerId>...} answers {@code httpStatus} until {@link #clearFailures()}. */
    public void failListFor(String customerId, int httpStatus) {
        synchronized (lock) {
            listFailures.put(customerId, httpStatus);
        }
    }

    public void clearFailures() {
        synchronized (lock) {
            failNextRules.clear();
            listFailures.clear();
        }
    }

    /** Forgets customers, subscriptions, failures and recorded requests. */
    public void reset() {
        synchronized (lock) {
            customers.clear();
            subscriptions.clear();
            failNextRules.clear();
            listFailures.clear();
            calls.clear();
            sequence = 0;
        }
    }

    // -------------------------------------------------------------------------------------- requests

    /** Requests received (any method, any outcome, including 401s and injected failures) whose path starts with the prefix. */
    public int requestCount(String pathPrefix) {
        return calls(pathPrefix).size();
    }

    public List<Call> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    public List<Call> calls(String pathPrefix) {
        synchronized (lock) {
            return calls.stream().filter(c -> c.path().startsWith(pathPrefix)).toList();
        }
    }

    // ------------------------------------------------------------------------------------ JSON objects

    /** The subscription JSON the API would return now. */
    public String subscriptionJson(String subscriptionId) {
        synchronized (lock) {
            return GSON.toJson(subscriptionObject(require(subscriptionId)));
        }
    }

    /** The customer JSON the API would return now. */
    public String customerJson(String customerId) {
        synchronized (lock) {
            CustomerState c = customers.get(customerId);
            if (c == null) {
                throw new IllegalArgumentException("StripeStub has no customer " + customerId);
            }
            return GSON.toJson(customerObject(c));
        }
    }

    /**
     * An invoice of the subscription in the basil+ shape: {@code parent.subscription_details.subscription} and
     * {@code .metadata.plz}; one line with {@code parent.subscription_item_details}. No top-level
     * {@code subscription}.
     *
     * @param status draft|open|paid|uncollectible|void; paid sets {@code status_transitions.paid_at = paidAt}
     *               and {@code amount_paid}, the others leave the amount due
     * @param paidAt epoch seconds; also {@code created} and (unless draft) {@code finalized_at}
     */
    public String invoiceJson(String invoiceId, String customerId, String subscriptionId, String plz,
                              String status, long paidAt) {
        synchronized (lock) {
            return GSON.toJson(invoiceObject(invoiceId, customerId, subscriptionId, plz, status, paidAt));
        }
    }

    /** A completed subscription-mode Checkout Session; {@code plz} goes into {@code metadata.plz}. */
    public String checkoutSessionJson(String sessionId, String customerId, String subscriptionId, String name,
                                      String email, String plz) {
        return checkoutSessionJson(sessionId, customerId, subscriptionId, name, email, plz, null);
    }

    /** As above with {@code client_reference_id} (e.g. Geolead's own customer id). */
    public String checkoutSessionJson(String sessionId, String customerId, String subscriptionId, String name,
                                      String email, String plz, String clientReferenceId) {
        return GSON.toJson(checkoutSessionObject(sessionId, customerId, subscriptionId, name, email, plz, clientReferenceId));
    }

    // ----------------------------------------------------------------------------------------- webhooks

    /** A webhook event at {@link Stripe#API_VERSION}, created now. */
    public static String event(String eventId, String type, String dataObjectJson) {
        return event(eventId, type, dataObjectJson, Stripe.API_VERSION);
    }

    /** A webhook event created now, without {@code previous_attributes}. */
    public static String event(String eventId, String type, String dataObjectJson, String apiVersion) {
        return event(eventId, type, dataObjectJson, apiVersion, null, now());
    }

    /**
     * A webhook event. {@code previousAttributesJson} (may be null) becomes {@code data.previous_attributes},
     * as in {@code customer.subscription.updated}; {@code created} in epoch seconds.
     */
    public static String event(String eventId, String type, String dataObjectJson, String apiVersion,
                               String previousAttributesJson, long created) {
        JsonObject event = new JsonObject();
        event.addProperty("id", eventId);
        event.addProperty("object", "event");
        event.addProperty("api_version", apiVersion);
        event.addProperty("created", created);
        event.addProperty("type", type);
        JsonObject data = new JsonObject();
        data.add("object", JsonParser.parseString(dataObjectJson));
        if (previousAttributesJson != null) {
            data.add("previous_attributes", JsonParser.parseString(previousAttributesJson));
        }
        event.add("data", data);
        event.addProperty("livemode", false);
        event.addProperty("pending_webhooks", 1);
        JsonObject request = new JsonObject();
        request.add("id", JsonNull.INSTANCE);
        request.add("idempotency_key", JsonNull.INSTANCE);
        event.add("request", request);
        return GSON.toJson(event);
    }

    /** {@code t=<now>,v1=<hex>} for the exact payload string, via stripe-java's own signer. */
    public static String signatureHeader(String payload, String secret) {
        return signatureHeader(payload, secret, now());
    }

    /**
     * {@code t=<timestampSeconds>,v1=<hex HMAC-SHA256(secret, t + "." + payload)>}, computed by
     * {@link Webhook.Signature#generateSignatureHeader(String, String, long)} (stripe-java 33.3.0).
     */
    public static String signatureHeader(String payload, String secret, long timestampSeconds) {
        try {
            return Webhook.Signature.generateSignatureHeader(payload, secret, timestampSeconds);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    // ================================================================================== internals

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static long plusMonths(long epochSeconds, int months) {
        return Instant.ofEpochSecond(epochSeconds).atZone(ZoneOffset.UTC).plusMonths(months).toEpochSecond();
    }

    private SubscriptionState require(String subscriptionId) {
        SubscriptionState s = subscriptions.get(subscriptionId);
        if (s == null) {
            throw new IllegalArgumentException("StripeStub has no subscription " + subscriptionId);
        }
        return s;
    }

    private static boolean terminal(String status) {
        return "canceled".equals(status) || "incomplete_expired".equals(status);
    }

    private static void applyStatus(SubscriptionState s, String status, Long endedAt) {
        s.status = status;
        s.endedAt = endedAt;
        if (terminal(status)) {
            s.canceledAt = endedAt != null ? endedAt : Long.valueOf(now());
            s.cancelAt = null;
            s.cancelAtPeriodEnd = false;
        }
    }

    private static String itemId(String subscriptionId) {
        return "si_" + (subscriptionId.startsWith("sub_") ? subscriptionId.substring(4) : subscriptionId);
    }

    private static JsonObject metadata(String plz) {
        JsonObject metadata = new JsonObject();
        if (plz != null) {
            metadata.addProperty("plz", plz);
        }
        return metadata;
    }

    private static JsonObject obj(Object... keyValues) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < keyValues.length; i += 2) {
            o.add((String) keyValues[i], json(keyValues[i + 1]));
        }
        return o;
    }

    private static JsonElement json(Object value) {
        if (value == null) {
            return JsonNull.INSTANCE;
        }
        if (value instanceof JsonElement element) {
            return element;
        }
        return GSON.toJsonTree(value);
    }

    private static JsonObject priceObject() {
        return obj(
                "id", PRICE_ID,
                "object", "price",
                "active", true,
                "billing_scheme", "per_unit",
                "created", 1767225600L,
                "currency", CURRENCY,
                "custom_unit_amount", null,
                "livemode", false,
                "lookup_key", "geolead_plz_monthly",
                "metadata", new JsonObject(),
                "nickname", "PLZ-Gebiet monatlich",
                "product", PRODUCT_ID,
                "recurring", obj("interval", "month", "interval_count", 1, "meter", null,
                        "trial_period_days", null, "usage_type", "licensed"),
                "tax_behavior", "exclusive",
                "tiers_mode", null,
                "transform_quantity", null,
                "type", "recurring",
                "unit_amount", UNIT_AMOUNT,
                "unit_amount_decimal", String.valueOf(UNIT_AMOUNT));
    }

    private static long periodStart(SubscriptionState s) {
        return Math.max(s.startDate, plusMonths(s.currentPeriodEnd, -1));
    }

    private static JsonObject subscriptionObject(SubscriptionState s) {
        long periodStart = periodStart(s);
        JsonObject item = obj(
                "id", itemId(s.id),
                "object", "subscription_item",
                "billing_thresholds", null,
                "created", s.created,
                "current_period_end", s.currentPeriodEnd,
                "current_period_start", periodStart,
                "discounts", new JsonArray(),
                "metadata", metadata(s.plz),
                "price", priceObject(),
                "quantity", 1,
                "subscription", s.id,
                "tax_rates", new JsonArray());
        JsonArray itemData = new JsonArray();
        itemData.add(item);
        JsonObject items = obj(
                "object", "list",
                "data", itemData,
                "has_more", false,
                "total_count", 1,
                "url", "/v1/subscription_items?subscription=" + s.id);
        boolean trialing = "trialing".equals(s.status);
        return obj(
                "id", s.id,
                "object", "subscription",
                "application", null,
                "application_fee_percent", null,
                "automatic_tax", obj("disabled_reason", null, "enabled", false, "liability", null),
                "billing_cycle_anchor", s.startDate,
                "billing_cycle_anchor_config", null,
                "billing_mode", obj("flexible", null, "type", "classic", "updated_at", null),
                "billing_thresholds", null,
                "cancel_at", s.cancelAt,
                "cancel_at_period_end", s.cancelAtPeriodEnd,
                "canceled_at", s.canceledAt,
                "cancellation_details", obj("comment", null, "feedback", null,
                        "reason", terminal(s.status) ? "cancellation_requested" : null),
                "collection_method", "charge_automatically",
                "created", s.created,
                "currency", CURRENCY,
                "customer", s.customer,
                "days_until_due", null,
                "default_payment_method", null,
                "default_source", null,
                "default_tax_rates", new JsonArray(),
                "description", null,
                "discounts", new JsonArray(),
                "ended_at", s.endedAt,
                "invoice_settings", obj("account_tax_ids", null, "issuer", obj("type", "self")),
                "items", items,
                "latest_invoice", null,
                "livemode", false,
                "metadata", metadata(s.plz),
                "next_pending_invoice_item_invoice", null,
                "on_behalf_of", null,
                "pause_collection", null,
                "payment_settings", obj("payment_method_options", null, "payment_method_types", null,
                        "save_default_payment_method", "off"),
                "pending_invoice_item_interval", null,
                "pending_setup_intent", null,
                "pending_update", null,
                "schedule", null,
                "start_date", s.startDate,
                "status", s.status,
                "test_clock", null,
                "transfer_data", null,
                "trial_end", trialing ? s.currentPeriodEnd : null,
                "trial_settings", obj("end_behavior", obj("missing_payment_method", "create_invoice")),
                "trial_start", trialing ? s.startDate : null);
    }

    private static JsonObject customerObject(CustomerState c) {
        return obj(
                "id", c.id,
                "object", "customer",
                "address", null,
                "balance", 0,
                "created", c.created,
                "currency", CURRENCY,
                "default_source", null,
                "delinquent", false,
                "description", null,
                "email", c.email,
                "invoice_prefix", invoicePrefix(c.id),
                "invoice_settings", obj("custom_fields", null, "default_payment_method", null, "footer", null,
                        "rendering_options", null),
                "livemode", false,
                "metadata", new JsonObject(),
                "name", c.name,
                "next_invoice_sequence", 1,
                "phone", null,
                "preferred_locales", new JsonArray(),
                "shipping", null,
                "tax_exempt", "none",
                "test_clock", null);
    }

    private static String invoicePrefix(String id) {
        return String.format("%08X", id.hashCode());
    }

    private JsonObject invoiceObject(String invoiceId, String customerId, String subscriptionId, String plz,
                                     String status, long paidAt) {
        CustomerState customer = customers.get(customerId);
        SubscriptionState subscription = subscriptions.get(subscriptionId);
        long lineEnd = subscription != null ? subscription.currentPeriodEnd : plusMonths(paidAt, 1);
        long lineStart = subscription != null ? periodStart(subscription) : paidAt;
        boolean creation = subscription != null && Math.abs(paidAt - subscription.startDate) < 86_400;
        boolean paid = "paid".equals(status);
        boolean draft = "draft".equals(status);
        String itemId = itemId(subscriptionId);

        JsonObject line = obj(
                "id", "il_" + invoiceId.replaceFirst("^in_", "") + "_1",
                "object", "line_item",
                "amount", UNIT_AMOUNT,
                "currency", CURRENCY,
                "description", "1 × PLZ-Gebiet (at €49.00 / month)",
                "discount_amounts", new JsonArray(),
                "discountable", true,
                "discounts", new JsonArray(),
                "invoice", invoiceId,
                "livemode", false,
                "metadata", metadata(plz),
                "parent", obj(
                        "invoice_item_details", null,
                        "subscription_item_details", obj(
                                "invoice_item", null,
                                "proration", false,
                                "proration_details", obj("credited_items", null),
                                "subscription", subscriptionId,
                                "subscription_item", itemId),
                        "type", "subscription_item_details"),
                "period", obj("end", lineEnd, "start", lineStart),
                "pretax_credit_amounts", new JsonArray(),
                "pricing", obj(
                        "price_details", obj("price", PRICE_ID, "product", PRODUCT_ID),
                        "type", "price_details",
                        "unit_amount_decimal", String.valueOf(UNIT_AMOUNT)),
                "quantity", 1,
                "taxes", new JsonArray());
        JsonArray lineData = new JsonArray();
        lineData.add(line);

        return obj(
                "id", invoiceId,
                "object", "invoice",
                "account_country", "DE",
                "account_name", "Geolead",
                "amount_due", UNIT_AMOUNT,
                "amount_overpaid", 0,
                "amount_paid", paid ? UNIT_AMOUNT : 0,
                "amount_remaining", paid ? 0 : UNIT_AMOUNT,
                "attempt_count", draft ? 0 : 1,
                "attempted", !draft,
                "auto_advance", !paid && !draft,
                "billing_reason", creation ? "subscription_create" : "subscription_cycle",
                "collection_method", "charge_automatically",
                "created", paidAt,
                "currency", CURRENCY,
                "customer", customerId,
                "customer_email", customer != null ? customer.email : null,
                "customer_name", customer != null ? customer.name : null,
                "default_payment_method", null,
                "description", null,
                "discounts", new JsonArray(),
                "due_date", null,
                "ending_balance", draft ? null : 0,
                "hosted_invoice_url", draft ? null : "https://invoice.stripe.com/i/acct_geolead/test_" + invoiceId,
                "invoice_pdf", draft ? null : "https://pay.stripe.com/invoice/acct_geolead/test_" + invoiceId + "/pdf",
                "last_finalization_error", null,
                "lines", obj("object", "list", "data", lineData, "has_more", false, "total_count", 1,
                        "url", "/v1/invoices/" + invoiceId + "/lines"),
                "livemode", false,
                "metadata", new JsonObject(),
                "next_payment_attempt", "open".equals(status) ? Long.valueOf(paidAt + 3 * 86_400) : null,
                "number", draft ? null : invoicePrefix(customerId) + "-0001",
                "parent", obj(
                        "quote_details", null,
                        "subscription_details", obj("metadata", metadata(plz), "subscription", subscriptionId),
                        "type", "subscription_details"),
                "period_end", paidAt,
                "period_start", paidAt,
                "status", status,
                "status_transitions", obj(
                        "finalized_at", draft ? null : Long.valueOf(paidAt),
                        "marked_uncollectible_at", "uncollectible".equals(status) ? Long.valueOf(paidAt) : null,
                        "paid_at", paid ? Long.valueOf(paidAt) : null,
                        "voided_at", "void".equals(status) ? Long.valueOf(paidAt) : null),
                "subtotal", UNIT_AMOUNT,
                "subtotal_excluding_tax", UNIT_AMOUNT,
                "test_clock", null,
                "total", UNIT_AMOUNT,
                "total_discount_amounts", new JsonArray(),
                "total_excluding_tax", UNIT_AMOUNT,
                "total_taxes", new JsonArray(),
                "webhooks_delivered_at", paidAt);
    }

    private static JsonObject checkoutSessionObject(String sessionId, String customerId, String subscriptionId,
                                                    String name, String email, String plz, String clientReferenceId) {
        long created = now();
        return obj(
                "id", sessionId,
                "object", "checkout.session",
                "amount_subtotal", UNIT_AMOUNT,
                "amount_total", UNIT_AMOUNT,
                "billing_address_collection", "required",
                "cancel_url", "https://geolead.de/abo/abgebrochen",
                "client_reference_id", clientReferenceId,
                "created", created,
                "currency", CURRENCY,
                "customer", customerId,
                "customer_creation", "always",
                "customer_details", obj("address", null, "business_name", null, "email", email,
                        "individual_name", null, "name", name, "phone", null, "tax_exempt", "none",
                        "tax_ids", new JsonArray()),
                "customer_email", email,
                "expires_at", created + 86_400,
                "invoice", null,
                "livemode", false,
                "locale", "de",
                "metadata", metadata(plz),
                "mode", "subscription",
                "payment_intent", null,
                "payment_method_types", jsonArray("card", "sepa_debit"),
                "payment_status", "paid",
                "status", "complete",
                "submit_type", null,
                "subscription", subscriptionId,
                "success_url", "https://geolead.de/abo/danke?session_id={CHECKOUT_SESSION_ID}",
                "ui_mode", "hosted",
                "url", null);
    }

    private static JsonArray jsonArray(String... values) {
        JsonArray array = new JsonArray();
        for (String v : values) {
            array.add(v);
        }
        return array;
    }

    // ------------------------------------------------------------------------------------- serving

    private record Reply(int status, JsonObject body) {
    }

    private static Reply error(int status, String type, String code, String message, String param) {
        JsonObject error = new JsonObject();
        if (code != null) {
            error.addProperty("code", code);
            error.addProperty("doc_url", "https://stripe.com/docs/error-codes/" + code.replace('_', '-'));
        }
        error.addProperty("message", message);
        if (param != null) {
            error.addProperty("param", param);
        }
        error.addProperty("request_log_url", "https://dashboard.stripe.com/test/logs");
        error.addProperty("type", type);
        JsonObject body = new JsonObject();
        body.add("error", error);
        return new Reply(status, body);
    }

    private static Reply missing(String resource, String id, String param, int status) {
        return error(status, "invalid_request_error", "resource_missing",
                "No such " + resource + ": '" + id + "'", param);
    }

    private static Reply unrecognized(String method, String path) {
        return error(404, "invalid_request_error", null,
                "Unrecognized request URL (" + method + ": " + path + "). Please see https://stripe.com/docs "
                        + "or we can help at https://support.stripe.com/.", null);
    }

    /** The error body Stripe would send with this status for a request to {@code path}. */
    private static Reply injected(int status, String path) {
        return switch (status) {
            case 400 -> error(400, "invalid_request_error", "parameter_invalid_empty",
                    "You passed an empty string for 'customer'. We assume empty values are an attempt to unset a "
                            + "parameter; however 'customer' cannot be unset.", "customer");
            case 401 -> error(401, "invalid_request_error", "api_key_expired", "Expired API Key provided: sk_test_*******lead", null);
            case 402 -> error(402, "card_error", "card_declined", "Your card was declined.", null);
            case 403 -> error(403, "invalid_request_error", "secret_key_required",
                    "The provided key does not have the required permissions for this endpoint.", null);
            case 404 -> {
                String[] parts = path.split("/");
                String id = parts.length > 3 ? parts[3] : "";
                String resource = parts.length > 2 && parts[2].endsWith("s")
                        ? parts[2].substring(0, parts[2].length() - 1) : "object";
                yield missing(resource, id, "id", 404);
            }
            case 409 -> error(409, "invalid_request_error", "lock_timeout",
                    "This object cannot be accessed right now because another API request or Stripe process is "
                            + "currently accessing it. If you see this error intermittently, retry the request.", null);
            case 429 -> error(429, "invalid_request_error", "rate_limit",
                    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.", null);
            default -> error(status, "api_error", null, "An unknown error occurred", null);
        };
    }

    private Reply answer(String method, String path, Map<String, String> query, Request request) {
        String authorization = request.getHeader("Authorization");
        if (authorization == null || !authorization.startsWith("Bearer ") || authorization.length() <= 7) {
            return error(401, "invalid_request_error", null,
                    "You did not provide an API key. You need to provide your API key in the Authorization header, "
                            + "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                            + "https://stripe.com/docs/api#authentication for details, or we can help at "
                            + "https://support.stripe.com/.", null);
        }
        String key = authorization.substring(7).trim();
        if (!API_KEY.equals(key)) {
            String masked = key.length() > 12
                    ? key.substring(0, 8) + "*".repeat(key.length() - 12) + key.substring(key.length() - 4)
                    : "*".repeat(key.length());
            return error(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided: " + masked, null);
        }

        for (Iterator<FailureRule> it = failNextRules.iterator(); it.hasNext(); ) {
            FailureRule rule = it.next();
            if (path.startsWith(rule.pathPrefix)) {
                if (--rule.remaining <= 0) {
                    it.remove();
                }
                return injected(rule.status, path);
            }
        }

        String[] segments = path.split("/", -1);   // "", "v1", resource, id
        boolean get = "GET".equals(method);
        if (get && segments.length == 3 && "v1".equals(segments[1]) && "subscriptions".equals(segments[2])) {
            String customer = query.get("customer");
            if (customer != null && listFailures.containsKey(customer)) {
                return injected(listFailures.get(customer), path);
            }
            return listSubscriptions(query);
        }
        if (get && segments.length == 4 && "v1".equals(segments[1]) && !segments[3].isEmpty()) {
            String id = decode(segments[3]);
            if ("subscriptions".equals(segments[2])) {
                SubscriptionState s = subscriptions.get(id);
                return s == null ? missing("subscription", id, "id", 404) : new Reply(200, subscriptionObject(s));
            }
            if ("customers".equals(segments[2])) {
                CustomerState c = customers.get(id);
                return c == null ? missing("customer", id, "id", 404) : new Reply(200, customerObject(c));
            }
        }
        return unrecognized(method, path);
    }

    private Reply listSubscriptions(Map<String, String> query) {
        int limit = DEFAULT_LIMIT;
        String limitParam = query.get("limit");
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                return error(400, "invalid_request_error", "parameter_invalid_integer",
                        "Invalid integer: " + limitParam, "limit");
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                return error(400, "invalid_request_error", "parameter_invalid_integer",
                        "This value must be greater than or equal to 1 and less than or equal to " + MAX_LIMIT
                                + " (it currently is '" + limit + "').", "limit");
            }
        }
        String customer = query.get("customer");
        String status = query.get("status");
        String startingAfter = query.get("starting_after");
        String endingBefore = query.get("ending_before");

        List<SubscriptionState> ordered = new ArrayList<>(subscriptions.values());
        ordered.sort(Comparator.comparingLong((SubscriptionState s) -> s.created)
                .thenComparingLong(s -> s.seq).reversed());

        int from = 0;
        int to = ordered.size();
        if (startingAfter != null) {
            int index = indexOf(ordered, startingAfter);
            if (index < 0) {
                return missing("subscription", startingAfter, "starting_after", 400);
            }
            from = index + 1;
        } else if (endingBefore != null) {
            int index = indexOf(ordered, endingBefore);
            if (index < 0) {
                return missing("subscription", endingBefore, "ending_before", 400);
            }
            to = index;
        }
        List<SubscriptionState> candidates = new ArrayList<>();
        for (SubscriptionState s : ordered.subList(from, to)) {
            if ((customer == null || customer.equals(s.customer)) && statusMatches(status, s.status)) {
                candidates.add(s);
            }
        }
        boolean hasMore = candidates.size() > limit;
        List<SubscriptionState> page = endingBefore != null && startingAfter == null
                ? candidates.subList(Math.max(0, candidates.size() - limit), candidates.size())
                : candidates.subList(0, Math.min(limit, candidates.size()));

        JsonArray data = new JsonArray();
        page.forEach(s -> data.add(subscriptionObject(s)));
        return new Reply(200, obj("object", "list", "data", data, "has_more", hasMore, "url", "/v1/subscriptions"));
    }

    private static int indexOf(List<SubscriptionState> ordered, String id) {
        for (int i = 0; i < ordered.size(); i++) {
            if (ordered.get(i).id.equals(id)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean statusMatches(String filter, String status) {
        if (filter == null) {
            return !"canceled".equals(status);
        }
        return switch (filter) {
            case "all" -> true;
            case "ended" -> terminal(status);
            default -> filter.equals(status);
        };
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static String requestId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder("req_");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 14; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    private ResponseDefinition respond(Request request) {
        String url = request.getUrl();
        int q = url.indexOf('?');
        String path = q < 0 ? url : url.substring(0, q);
        String rawQuery = q < 0 ? null : url.substring(q + 1);
        String method = request.getMethod().getName();
        String stripeVersion = request.getHeader("Stripe-Version");

        Reply reply;
        synchronized (lock) {
            try {
                reply = answer(method, path, parseQuery(rawQuery), request);
            } catch (RuntimeException e) {
                reply = error(500, "api_error", null, "StripeStub failed: " + e, null);
            }
            calls.add(new Call(method, path, rawQuery, reply.status(), stripeVersion,
                    request.getHeader("Idempotency-Key"), request.getHeader("User-Agent")));
        }
        return new ResponseDefinitionBuilder()
                .withStatus(reply.status())
                .withHeader("Content-Type", "application/json")
                .withHeader("Request-Id", requestId())
                .withHeader("Stripe-Version", stripeVersion != null ? stripeVersion : Stripe.API_VERSION)
                .withHeader("Cache-Control", "no-cache, no-store")
                .withBody(GSON.toJson(reply.body()))
                .build();
    }

    private final class Responder implements ResponseDefinitionTransformerV2 {
        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            return respond(serveEvent.getRequest());
        }

        @Override
        public boolean applyGlobally() {
            return false;
        }

        @Override
        public String getName() {
            return TRANSFORMER;
        }
    }

    private static final class CustomerState {
        final String id;
        final String name;
        final String email;
        final long created;

        CustomerState(String id, String name, String email, long created) {
            this.id = id;
            this.name = name;
            this.email = email;
            this.created = created;
        }
    }

    private static final class SubscriptionState {
        String id;
        long seq;
        String customer;
        String status;
        String plz;
        long startDate;
        long created;
        Long endedAt;
        Long cancelAt;
        Long canceledAt;
        boolean cancelAtPeriodEnd;
        long currentPeriodEnd;
    }

    private static final class FailureRule {
        final String pathPrefix;
        final int status;
        int remaining;

        FailureRule(String pathPrefix, int status, int remaining) {
            this.pathPrefix = pathPrefix;
            this.status = status;
            this.remaining = remaining;
        }
    }
}
