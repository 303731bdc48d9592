package de.geolead.sandbox;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.stripe.Stripe;
import com.stripe.net.Webhook;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A tiny, stateful, thread-safe stand-in for the parts of the Stripe API Geolead reads, for the local sandbox.
 * It binds 127.0.0.1 and answers JSON in the shape of API version {@link Stripe#API_VERSION} (2026-07-29.dahlia):
 * billing periods on the subscription items, invoices linked through {@code parent.subscription_details}.
 *
 * <p>Served (anything else answers 404 "Unrecognized request URL" as Stripe does):
 * <ul>
 *   <li>{@code GET /v1/customers/{id}}</li>
 *   <li>{@code GET /v1/subscriptions/{id}}</li>
 *   <li>{@code GET /v1/subscriptions?customer=&status=&limit=&starting_after=&ending_before=}: newest first;
 *       without {@code status} canceled subscriptions are left out, {@code all} lists every status,
 *       {@code ended} canceled and incomplete_expired, any other value that status only; {@code limit} 1–100,
 *       default 10.</li>
 *   <li>{@code GET /v1/checkout/sessions/{id}}</li>
 *   <li>{@code GET /v1/checkout/sessions?status=&customer=&subscription=&created[gt|gte|lt|lte]=&limit=&starting_after=&ending_before=}:
 *       the sessions stored with {@link #putCheckoutSession}, newest first, paged like subscriptions.</li>
 *   <li>{@code POST /v1/customers/{id}/balance_transactions} (form: {@code amount}, {@code currency}, optional
 *       {@code description}, {@code metadata[...]}): a customer balance transaction of type {@code adjustment}; the
 *       customer's {@code balance} moves by the amount. An {@code Idempotency-Key} seen before with the same request
 *       answers the first answer again (header {@code Idempotent-Replayed: true}), with another request 400
 *       {@code idempotency_error}, as Stripe does.</li>
 *   <li>{@code GET /v1/customers/{id}/balance_transactions?limit=&starting_after=&ending_before=}: newest first.</li>
 * </ul>
 * Every request needs {@code Authorization: Bearer <apiKey>}, otherwise 401 with a Stripe error body. Unknown
 * ids answer 404 {@code resource_missing}. Order of checks per request: authentication, then {@link #failNext},
 * then {@link #failListFor}, then the model.
 *
 * <p>For tests: {@link #failNext} and {@link #failListFor} inject Stripe-like errors, {@link #requestCount} counts
 * the requests received, {@link #reset} forgets everything.
 *
 * <p>{@link #event} and {@link #signatureHeader} build signed webhook deliveries; {@link #subscriptionJson},
 * {@link #customerJson}, {@link #invoiceJson} and {@link #checkoutSessionJson} their {@code data.object}.
 *
 * <pre>
 * try (SandboxStripe stripe = SandboxStripe.start(0, "sk_test_sandbox")) {
 *     stripe.putCustomer("cus_1", "Maklerbüro Nord", "nord@example.org");
 *     stripe.putSubscription("sub_1", "cus_1", "active", "20095");
 *     // StripeClient.builder().setApiKey("sk_test_sandbox").setApiBase(stripe.apiBase()).build()
 * }
 * </pre>
 */
public final class SandboxStripe implements AutoCloseable {

    static {
        // The JDK HTTP server leaves Nagle's algorithm on unless told otherwise; with the client's delayed
        // ACKs every response then stalls ~40 ms. Read once, when the server classes initialise.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** The one recurring price every PLZ subscription is on. */
    public static final String PRICE_ID = "price_geolead_plz";
    public static final String PRODUCT_ID = "prod_geolead_plz";
    /** Monthly price per PLZ, in cents. */
    public static final long UNIT_AMOUNT = 4900;
    public static final String CURRENCY = "eur";

    private static final Logger LOG = LoggerFactory.getLogger(SandboxStripe.class);
    private static final Gson GSON = new GsonBuilder().serializeNulls().setPrettyPrinting().disableHtmlEscaping().create();
    private static final long DAY = 86_400;
    private static final long PERIOD = 30 * DAY;
    private static final int DEFAULT_LIMIT = 10;
    private static final int MAX_LIMIT = 100;
    private static final int THREADS = 4;

    private final byte[] expectedAuthorization;
    private final HttpServer server;
    private final ExecutorService executor;

    private final Object lock = new Object();
    private final Map<String, CustomerState> customers = new HashMap<>();         // guarded by lock
    private final Map<String, SubscriptionState> subscriptions = new HashMap<>(); // guarded by lock
    private final Map<String, CheckoutSessionState> checkoutSessions = new HashMap<>(); // guarded by lock
    private final List<FailureRule> failNextRules = new ArrayList<>();             // guarded by lock
    private final List<DelayRule> delayNextRules = new ArrayList<>();              // guarded by lock
    private final Map<String, Integer> listFailures = new HashMap<>();             // guarded by lock
    private final Map<String, Integer> requestsByPath = new HashMap<>();           // guarded by lock
    private final Map<String, List<JsonObject>> balanceTransactions = new HashMap<>(); // by customer, oldest first; guarded by lock
    private final Map<String, IdempotentReply> idempotentReplies = new HashMap<>();  // by Idempotency-Key; guarded by lock
    private long sequence;                                                         // guarded by lock

    private SandboxStripe(int port, String apiKey) throws IOException {
        this.expectedAuthorization = ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        AtomicInteger threadNumber = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread thread = new Thread(runnable, "sandbox-stripe-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts the stand-in on 127.0.0.1; port 0 picks a free port.
     *
     * @param apiKey the secret key clients must send as {@code Authorization: Bearer <apiKey>}
     */
    public static SandboxStripe start(int port, String apiKey) {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank");
        }
        try {
            SandboxStripe stripe = new SandboxStripe(port, apiKey);
            LOG.info("Sandbox Stripe API listening on {}", stripe.apiBase());
            return stripe;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the sandbox Stripe API on port " + port, e);
        }
    }

    /** {@code http://127.0.0.1:<port>}, for {@code StripeClient.builder().setApiBase(...)}. */
    public String apiBase() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The port the stand-in listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------ model

    /** Creates or replaces a customer; {@code created} stays as it was when replacing. */
    public void putCustomer(String id, String name, String email) {
        requireId(id);
        synchronized (lock) {
            CustomerState existing = customers.get(id);
            CustomerState customer = new CustomerState(id, name, email, existing != null ? existing.created : now());
            customer.balance = existing != null ? existing.balance : 0;
            customers.put(id, customer);
        }
    }

    /**
     * Creates or replaces a subscription with one item on {@link #PRICE_ID}: {@code start_date} (and {@code created})
     * 30 days ago, the item's current period from now to 30 days ahead, {@code metadata.plz} on subscription and
     * item (none when {@code plz} is null). A replaced subscription keeps its place in list order.
     *
     * @param status active, trialing, past_due, unpaid, incomplete, incomplete_expired, paused or canceled
     *               (any other string is served as is); canceled and incomplete_expired set {@code ended_at}
     *               and {@code canceled_at} to now
     */
    public void putSubscription(String id, String customerId, String status, String plz) {
        requireId(id);
        requireId(customerId);
        long now = now();
        synchronized (lock) {
            SubscriptionState existing = subscriptions.get(id);
            SubscriptionState s = new SubscriptionState(id, existing != null ? existing.seq : ++sequence, customerId, plz,
                    now - PERIOD, now, now + PERIOD);
            applyStatus(s, status, now);
            subscriptions.put(id, s);
        }
    }

    /**
     * Creates or replaces a subscription with one item on {@link #PRICE_ID}, with explicit dates (epoch seconds).
     *
     * @param status           any string, served as is (see {@link #putSubscription(String, String, String, String)})
     * @param plz              {@code metadata.plz} on subscription and item; null: empty metadata
     * @param startDate        {@code start_date}, also {@code created} (list order)
     * @param endedAt          {@code ended_at}, may be null; canceled and incomplete_expired also set
     *                         {@code canceled_at} (to this, or now if null)
     * @param currentPeriodEnd the item's period end; null: one month after {@code startDate}. The item's period
     *                         starts one month earlier, but not before {@code startDate}.
     */
    public void putSubscription(String id, String customerId, String status, String plz,
                                long startDate, Long endedAt, Long currentPeriodEnd) {
        requireId(id);
        requireId(customerId);
        long periodEnd = currentPeriodEnd != null ? currentPeriodEnd : plusMonths(startDate, 1);
        long periodStart = Math.max(startDate, plusMonths(periodEnd, -1));
        synchronized (lock) {
            SubscriptionState existing = subscriptions.get(id);
            SubscriptionState s = new SubscriptionState(id, existing != null ? existing.seq : ++sequence, customerId, plz,
                    startDate, periodStart, periodEnd);
            applyStatus(s, status, endedAt);
            subscriptions.put(id, s);
        }
    }

    /** GET of this subscription answers 404 resource_missing afterwards, and lists no longer contain it. */
    public void removeSubscription(String id) {
        synchronized (lock) {
            subscriptions.remove(id);
        }
    }

    /** Stores a completed Checkout Session in subscription mode, created now (see the five-argument form). */
    public void putCheckoutSession(String id, String customerId, String subscriptionId) {
        putCheckoutSession(id, customerId, subscriptionId, "complete", now());
    }

    /**
     * Creates or replaces a Checkout Session in subscription mode, listed by {@code GET /v1/checkout/sessions} and
     * served by {@code GET /v1/checkout/sessions/{id}}. Its {@code customer_details} and {@code metadata.plz} are read
     * from the stored customer and subscription whenever it is served. A replaced session keeps its place in list order.
     *
     * @param customerId     may be null (a session that created no customer)
     * @param subscriptionId may be null
     * @param status         complete, open or expired
     * @param created        epoch seconds
     */
    public void putCheckoutSession(String id, String customerId, String subscriptionId, String status, long created) {
        requireId(id);
        synchronized (lock) {
            CheckoutSessionState existing = checkoutSessions.get(id);
            checkoutSessions.put(id, new CheckoutSessionState(id, existing != null ? existing.seq : ++sequence, customerId,
                    subscriptionId, status, created));
        }
    }

    /**
     * Changes the status. Moving to canceled or incomplete_expired sets {@code ended_at} and {@code canceled_at}
     * to now (kept if it already was ended); any other status clears both.
     *
     * @throws IllegalArgumentException if the subscription is unknown
     */
    public void setSubscriptionStatus(String id, String status) {
        synchronized (lock) {
            applyStatus(subscription(id), status, now());
        }
    }

    /**
     * Sets status and {@code ended_at} exactly as given (null allowed); canceled and incomplete_expired set
     * {@code canceled_at} to {@code endedAt} (now if null), any other status clears it.
     *
     * @throws IllegalArgumentException if the subscription is unknown
     */
    public void setSubscriptionStatus(String id, String status, Long endedAt) {
        synchronized (lock) {
            applyStatus(subscription(id), status, endedAt);
        }
    }

    // -------------------------------------------------------------------------------------- failures

    /**
     * The next {@code times} requests whose path starts with {@code pathPrefix} (e.g. "/v1/subscriptions", which
     * also matches "/v1/subscriptions/sub_1") answer {@code httpStatus} with a Stripe-like JSON error. Calls add up
     * in order. stripe-java retries 409 and 5xx (when maxNetworkRetries &gt; 0), not 429 or other 4xx.
     */
    public void failNext(String pathPrefix, int httpStatus, int times) {
        if (times <= 0) {
            return;
        }
        synchronized (lock) {
            failNextRules.add(new FailureRule(pathPrefix, httpStatus, times));
        }
    }

    /**
     * The next {@code times} requests whose path starts with {@code pathPrefix} are answered only after {@code delay}
     * (a slow Stripe: the caller's run stays in progress meanwhile). Withdrawn by {@link #clearFailures()}.
     */
    public void delayNext(String pathPrefix, Duration delay, int times) {
        if (times <= 0) {
            return;
        }
        synchronized (lock) {
            // a latch nobody counts down: each request waits the whole delay
            delayNextRules.add(new DelayRule(pathPrefix, delay, times, new CountDownLatch(1)));
        }
    }

    /**
     * The next request whose path starts with {@code pathPrefix} is answered only once the returned latch is counted
     * down (or after {@code atMost}): a Stripe call held in flight for as long as a test needs it to overlap with
     * something else. Withdrawn (if not yet used) by {@link #clearFailures()}.
     */
    public CountDownLatch holdNext(String pathPrefix, Duration atMost) {
        CountDownLatch release = new CountDownLatch(1);
        synchronized (lock) {
            delayNextRules.add(new DelayRule(pathPrefix, atMost, 1, release));
        }
        return release;
    }

    /** Every {@code GET /v1/subscriptions?customer=<customerId>...} answers {@code httpStatus} until {@link #clearFailures()}. */
    public void failListFor(String customerId, int httpStatus) {
        synchronized (lock) {
            listFailures.put(customerId, httpStatus);
        }
    }

    /** Withdraws every {@link #failNext} and {@link #failListFor}. */
    public void clearFailures() {
        synchronized (lock) {
            failNextRules.clear();
            delayNextRules.clear();
            listFailures.clear();
        }
    }

    /** Forgets customers, subscriptions, checkout sessions, failures and the request counts. */
    public void reset() {
        synchronized (lock) {
            customers.clear();
            subscriptions.clear();
            checkoutSessions.clear();
            failNextRules.clear();
            delayNextRules.clear();
            listFailures.clear();
            requestsByPath.clear();
            balanceTransactions.clear();
            idempotentReplies.clear();
            sequence = 0;
        }
    }

    /**
     * Requests received so far (any method and outcome, including 401s and injected failures) whose path starts
     * with {@code pathPrefix}.
     */
    public int requestCount(String pathPrefix) {
        synchronized (lock) {
            int count = 0;
            for (Map.Entry<String, Integer> entry : requestsByPath.entrySet()) {
                if (entry.getKey().startsWith(pathPrefix)) {
                    count += entry.getValue();
                }
            }
            return count;
        }
    }

    /** The balance transactions created for this customer so far (every one, oldest first), as JSON objects. */
    public List<String> balanceTransactionsJson(String customerId) {
        synchronized (lock) {
            List<String> all = new ArrayList<>();
            balanceTransactions.getOrDefault(customerId, List.of()).forEach(t -> all.add(GSON.toJson(t)));
            return all;
        }
    }

    /** The customer's balance in cents (negative = credit), as {@code GET /v1/customers/{id}} shows it. */
    public long balance(String customerId) {
        synchronized (lock) {
            CustomerState customer = customers.get(customerId);
            if (customer == null) {
                throw new IllegalArgumentException("SandboxStripe has no customer " + customerId);
            }
            return customer.balance;
        }
    }

    // ------------------------------------------------------------------------------------ JSON objects

    /**
     * The subscription as {@code GET /v1/subscriptions/{id}} returns it now.
     *
     * @throws IllegalArgumentException if the subscription is unknown
     */
    public String subscriptionJson(String id) {
        synchronized (lock) {
            return GSON.toJson(subscriptionObject(subscription(id)));
        }
    }

    /**
     * The customer as {@code GET /v1/customers/{id}} returns it now.
     *
     * @throws IllegalArgumentException if the customer is unknown
     */
    public String customerJson(String id) {
        synchronized (lock) {
            CustomerState customer = customers.get(id);
            if (customer == null) {
                throw new IllegalArgumentException("SandboxStripe has no customer " + id);
            }
            return GSON.toJson(customerObject(customer));
        }
    }

    /**
     * An invoice of one month of the subscription, created now, in the dahlia shape: the subscription only under
     * {@code parent.subscription_details.subscription}, with its {@code metadata.plz} (from the stored subscription,
     * if known), and one line item with {@code parent.subscription_item_details}.
     *
     * @param status draft, open, paid, uncollectible or void; paid sets {@code status_transitions.paid_at} (now)
     *               and {@code amount_paid}
     */
    public String invoiceJson(String invoiceId, String customerId, String subscriptionId, String status) {
        synchronized (lock) {
            SubscriptionState subscription = subscriptions.get(subscriptionId);
            return GSON.toJson(invoiceObject(invoiceId, customerId, subscriptionId,
                    subscription != null ? subscription.plz : null, status, now()));
        }
    }

    /**
     * As {@link #invoiceJson(String, String, String, String)}, with the PLZ given and all times at {@code paidAt}
     * (epoch seconds): {@code created}, {@code finalized_at} (unless draft) and, when paid, {@code paid_at}.
     */
    public String invoiceJson(String invoiceId, String customerId, String subscriptionId, String plz,
                              String status, long paidAt) {
        synchronized (lock) {
            return GSON.toJson(invoiceObject(invoiceId, customerId, subscriptionId, plz, status, paidAt));
        }
    }

    /**
     * A completed Checkout Session in subscription mode, created now; {@code customer_details} carries the stored
     * customer's name and e-mail (null if unknown), {@code metadata.plz} the stored subscription's PLZ (if known).
     */
    public String checkoutSessionJson(String sessionId, String customerId, String subscriptionId) {
        synchronized (lock) {
            CustomerState customer = customers.get(customerId);
            SubscriptionState subscription = subscriptions.get(subscriptionId);
            return GSON.toJson(checkoutSessionObject(sessionId, customerId, subscriptionId,
                    customer != null ? customer.name : null, customer != null ? customer.email : null,
                    subscription != null ? subscription.plz : null, "complete", now()));
        }
    }

    /** A completed Checkout Session in subscription mode with the given customer details and {@code metadata.plz}. */
    public String checkoutSessionJson(String sessionId, String customerId, String subscriptionId, String name,
                                      String email, String plz) {
        return GSON.toJson(checkoutSessionObject(sessionId, customerId, subscriptionId, name, email, plz, "complete", now()));
    }

    // ----------------------------------------------------------------------------------------- webhooks

    /**
     * A webhook event at {@link Stripe#API_VERSION}, created now, with {@code data.object} = the given JSON
     * (as returned by the {@code ...Json} methods).
     */
    public static String event(String eventId, String type, String dataObjectJson) {
        return event(eventId, type, dataObjectJson, Stripe.API_VERSION);
    }

    /** A webhook event at the given API version (e.g. an older one), created now. */
    public static String event(String eventId, String type, String dataObjectJson, String apiVersion) {
        JsonObject data = new JsonObject();
        data.add("object", JsonParser.parseString(dataObjectJson));
        return GSON.toJson(obj(
                "id", eventId,
                "object", "event",
                "api_version", apiVersion,
                "created", now(),
                "data", data,
                "livemode", false,
                "pending_webhooks", 1,
                "request", obj("id", null, "idempotency_key", null),
                "type", type));
    }

    /** The {@code Stripe-Signature} header ({@code t=<now>,v1=<hex>}) for exactly this payload, by stripe-java's signer. */
    public static String signatureHeader(String payload, String secret) {
        return signatureHeader(payload, secret, now());
    }

    /** {@code t=<timestampSeconds>,v1=<hex HMAC-SHA256(secret, t + "." + payload)>}, e.g. for a stale signature. */
    public static String signatureHeader(String payload, String secret, long timestampSeconds) {
        try {
            return Webhook.Signature.generateSignatureHeader(payload, secret, timestampSeconds);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    // ========================================================================================= HTTP

    private record Reply(int status, JsonObject body, boolean replayed) {
        Reply(int status, JsonObject body) {
            this(status, body, false);
        }
    }

    /** The first answer to an Idempotency-Key and what it was asked (method, path and form body). */
    private record IdempotentReply(String request, Reply reply) {
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            String requestBody;
            try (InputStream body = exchange.getRequestBody()) {
                // form-encoded POST parameters; drained for GET too so the connection can be reused
                requestBody = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            }
            DelayRule held = null;
            synchronized (lock) {
                requestsByPath.merge(exchange.getRequestURI().getPath(), 1, Integer::sum);
                for (Iterator<DelayRule> it = delayNextRules.iterator(); it.hasNext(); ) {
                    DelayRule rule = it.next();
                    if (exchange.getRequestURI().getPath().startsWith(rule.pathPrefix)) {
                        held = rule;
                        if (--rule.remaining <= 0) {
                            it.remove();
                        }
                        break;
                    }
                }
            }
            if (held != null) {
                try {
                    // held until the test releases it, at most the rule's delay (the slow Stripe it asked for)
                    held.release.await(held.delay.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            Reply reply;
            try {
                reply = answer(exchange, requestBody);
            } catch (RuntimeException e) {
                LOG.warn("Sandbox Stripe failed on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                reply = error(500, "api_error", null, "SandboxStripe failed: " + e, null);
            }
            send(exchange, reply);
        } catch (IOException e) {
            LOG.debug("Sandbox Stripe could not answer {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(),
                    e.toString());
        }
    }

    private Reply answer(HttpExchange exchange, String requestBody) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || authorization.isBlank()) {
            return error(401, "invalid_request_error", null, "You did not provide an API key. You need to provide your "
                    + "API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                    null);
        }
        if (!MessageDigest.isEqual(expectedAuthorization, authorization.trim().getBytes(StandardCharsets.UTF_8))) {
            return error(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided: "
                    + masked(authorization), null);
        }
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        List<String> segments = segments(path);
        synchronized (lock) {
            for (Iterator<FailureRule> it = failNextRules.iterator(); it.hasNext(); ) {
                FailureRule rule = it.next();
                if (path.startsWith(rule.pathPrefix)) {
                    if (--rule.remaining <= 0) {
                        it.remove();
                    }
                    return injected(rule.status, path);
                }
            }
            if (segments.size() == 4 && segments.get(0).equals("v1") && segments.get(1).equals("customers")
                    && segments.get(3).equals("balance_transactions")) {
                if ("POST".equals(method)) {
                    return idempotent(exchange.getRequestHeaders().getFirst("Idempotency-Key"), method + " " + path + " " + requestBody,
                            () -> createBalanceTransaction(segments.get(2), queryParams(requestBody)));
                }
                if ("GET".equals(method)) {
                    if (!customers.containsKey(segments.get(2))) {
                        return missing("customer", segments.get(2), "customer", 404);
                    }
                    List<JsonObject> newestFirst = new ArrayList<>(balanceTransactions.getOrDefault(segments.get(2), List.of()));
                    java.util.Collections.reverse(newestFirst);
                    return page(queryParams(exchange.getRequestURI().getRawQuery()), "customer_balance_transaction",
                            path, newestFirst, t -> t.get("id").getAsString(), t -> true, t -> t);
                }
            }
            if ("GET".equals(method) && segments.size() >= 2 && segments.get(0).equals("v1")) {
                String resource = segments.get(1);
                if (segments.size() == 3 && resource.equals("customers")) {
                    CustomerState customer = customers.get(segments.get(2));
                    return customer == null ? missing("customer", segments.get(2), "id", 404)
                            : new Reply(200, customerObject(customer));
                }
                if (segments.size() == 3 && resource.equals("subscriptions")) {
                    SubscriptionState subscription = subscriptions.get(segments.get(2));
                    return subscription == null ? missing("subscription", segments.get(2), "id", 404)
                            : new Reply(200, subscriptionObject(subscription));
                }
                if (segments.size() == 2 && resource.equals("subscriptions")) {
                    Map<String, String> query = queryParams(exchange.getRequestURI().getRawQuery());
                    Integer failure = query.get("customer") != null ? listFailures.get(query.get("customer")) : null;
                    return failure != null ? injected(failure, path) : listSubscriptions(query);
                }
                if (segments.size() >= 3 && resource.equals("checkout") && segments.get(2).equals("sessions")) {
                    if (segments.size() == 3) {
                        return listCheckoutSessions(queryParams(exchange.getRequestURI().getRawQuery()));
                    }
                    if (segments.size() == 4) {
                        CheckoutSessionState session = checkoutSessions.get(segments.get(3));
                        return session == null ? missing("checkout.session", segments.get(3), "session", 404)
                                : new Reply(200, checkoutSessionObject(session));
                    }
                }
            }
        }
        return error(404, "invalid_request_error", null, "Unrecognized request URL (" + method + ": " + path
                + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", null);
    }

    /**
     * Stripe's idempotency: the first answer (2xx or 4xx) to a key is stored with the request; the same request again
     * gets it again, another request with that key 400 {@code idempotency_error}. No key: always a new answer.
     */
    private Reply idempotent(String key, String request, java.util.function.Supplier<Reply> create) {
        if (key == null || key.isBlank()) {
            return create.get();
        }
        IdempotentReply earlier = idempotentReplies.get(key);
        if (earlier != null) {
            if (!earlier.request().equals(request)) {
                return error(400, "idempotency_error", null, "Keys for idempotent requests can only be used with the same "
                        + "parameters they were first used with. Try using a key other than '" + key + "' if you meant to "
                        + "execute a different request.", null);
            }
            return new Reply(earlier.reply().status(), earlier.reply().body(), true);
        }
        Reply reply = create.get();
        if (reply.status() < 500) {
            idempotentReplies.put(key, new IdempotentReply(request, reply));
        }
        return reply;
    }

    /** {@code POST /v1/customers/{id}/balance_transactions}: an adjustment of the customer's balance. */
    private Reply createBalanceTransaction(String customerId, Map<String, String> form) {
        CustomerState customer = customers.get(customerId);
        if (customer == null) {
            return missing("customer", customerId, "customer", 404);
        }
        String amount = form.get("amount");
        String currency = form.get("currency");
        if (amount == null || amount.isEmpty()) {
            return error(400, "invalid_request_error", "parameter_missing", "Missing required param: amount.", "amount");
        }
        if (currency == null || currency.isEmpty()) {
            return error(400, "invalid_request_error", "parameter_missing", "Missing required param: currency.", "currency");
        }
        long cents;
        try {
            cents = Long.parseLong(amount);
        } catch (NumberFormatException e) {
            return error(400, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: " + amount, "amount");
        }
        JsonObject metadata = new JsonObject();
        form.forEach((name, value) -> {
            if (name.startsWith("metadata[") && name.endsWith("]")) {
                metadata.addProperty(name.substring("metadata[".length(), name.length() - 1), value);
            }
        });
        customer.balance += cents;
        JsonObject transaction = obj(
                "id", "cbtxn_" + String.format("%014d", ++sequence),
                "object", "customer_balance_transaction",
                "amount", cents,
                "checkout_session", null,
                "created", now(),
                "credit_note", null,
                "currency", currency.toLowerCase(java.util.Locale.ROOT),
                "customer", customerId,
                "description", form.get("description"),
                "ending_balance", customer.balance,
                "invoice", null,
                "livemode", false,
                "metadata", metadata,
                "type", "adjustment");
        balanceTransactions.computeIfAbsent(customerId, id -> new ArrayList<>()).add(transaction);
        return new Reply(200, transaction);
    }

    /** Newest {@code created} first, ties newest insertion first; paging by {@code starting_after}/{@code ending_before}. */
    private Reply listSubscriptions(Map<String, String> query) {
        String customer = query.get("customer");
        String status = query.get("status");
        List<SubscriptionState> ordered = new ArrayList<>(subscriptions.values());
        ordered.sort(Comparator.comparingLong((SubscriptionState s) -> s.created).thenComparingLong(s -> s.seq).reversed());
        return page(query, "subscription", "/v1/subscriptions", ordered, s -> s.id,
                s -> (customer == null || customer.equals(s.customer)) && statusMatches(status, s.status),
                SandboxStripe::subscriptionObject);
    }

    /**
     * Completed, open or expired Checkout Sessions, newest {@code created} first (ties newest insertion first);
     * filters {@code status}, {@code customer}, {@code subscription}, {@code created[gt|gte|lt|lte]}; paging as
     * for subscriptions.
     */
    private Reply listCheckoutSessions(Map<String, String> query) {
        String status = query.get("status");
        String customer = query.get("customer");
        String subscription = query.get("subscription");
        Long createdGt;
        Long createdGte;
        Long createdLt;
        Long createdLte;
        try {
            createdGt = longParam(query, "created[gt]");
            createdGte = longParam(query, "created[gte]");
            createdLt = longParam(query, "created[lt]");
            createdLte = longParam(query, "created[lte]");
        } catch (NumberFormatException e) {
            return error(400, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: " + e.getMessage(), "created");
        }
        List<CheckoutSessionState> ordered = new ArrayList<>(checkoutSessions.values());
        ordered.sort(Comparator.comparingLong((CheckoutSessionState s) -> s.created).thenComparingLong(s -> s.seq).reversed());
        return page(query, "checkout.session", "/v1/checkout/sessions", ordered, s -> s.id,
                s -> (status == null || status.equals(s.status))
                        && (customer == null || customer.equals(s.customer))
                        && (subscription == null || subscription.equals(s.subscription))
                        && (createdGt == null || s.created > createdGt)
                        && (createdGte == null || s.created >= createdGte)
                        && (createdLt == null || s.created < createdLt)
                        && (createdLte == null || s.created <= createdLte),
                this::checkoutSessionObject);
    }

    private static Long longParam(Map<String, String> query, String name) {
        String value = query.get(name);
        try {
            return value == null ? null : Long.valueOf(value);
        } catch (NumberFormatException e) {
            throw new NumberFormatException(value);
        }
    }

    /**
     * One page of a Stripe list: {@code limit} 1–100 (default 10), {@code starting_after} / {@code ending_before}
     * (an unknown id answers 400 resource_missing), {@code has_more}.
     */
    private static <T> Reply page(Map<String, String> query, String kind, String url, List<T> ordered, Function<T, String> id,
                                  Predicate<T> filter, Function<T, JsonObject> render) {
        int limit = DEFAULT_LIMIT;
        String limitParam = query.get("limit");
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                return error(400, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: " + limitParam,
                        "limit");
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                return error(400, "invalid_request_error", "parameter_invalid_integer",
                        "This value must be greater than or equal to 1 and less than or equal to " + MAX_LIMIT
                                + " (it currently is '" + limit + "').", "limit");
            }
        }
        String startingAfter = query.get("starting_after");
        String endingBefore = query.get("ending_before");
        int from = 0;
        int to = ordered.size();
        if (startingAfter != null) {
            int index = indexOf(ordered, id, startingAfter);
            if (index < 0) {
                return missing(kind, startingAfter, "starting_after", 400);
            }
            from = index + 1;
        } else if (endingBefore != null) {
            int index = indexOf(ordered, id, endingBefore);
            if (index < 0) {
                return missing(kind, endingBefore, "ending_before", 400);
            }
            to = index;
        }
        List<T> matching = new ArrayList<>();
        for (T item : ordered.subList(from, to)) {
            if (filter.test(item)) {
                matching.add(item);
            }
        }
        // ending_before pages backwards: the page is the last `limit` before the cursor
        List<T> page = startingAfter == null && endingBefore != null
                ? matching.subList(Math.max(0, matching.size() - limit), matching.size())
                : matching.subList(0, Math.min(limit, matching.size()));
        JsonArray data = new JsonArray();
        page.forEach(item -> data.add(render.apply(item)));
        return new Reply(200, obj("object", "list", "data", data, "has_more", matching.size() > limit, "url", url));
    }

    private static <T> int indexOf(List<T> ordered, Function<T, String> id, String wanted) {
        for (int i = 0; i < ordered.size(); i++) {
            if (id.apply(ordered.get(i)).equals(wanted)) {
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
            case "ended" -> ended(status);
            default -> filter.equals(status);
        };
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        byte[] body = GSON.toJson(reply.body()).getBytes(StandardCharsets.UTF_8);
        String version = exchange.getRequestHeaders().getFirst("Stripe-Version");
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Request-Id", requestId());
        exchange.getResponseHeaders().set("Stripe-Version", version != null ? version : Stripe.API_VERSION);
        exchange.getResponseHeaders().set("Cache-Control", "no-cache, no-store");
        if (reply.replayed()) {
            exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
        }
        exchange.sendResponseHeaders(reply.status(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The error body Stripe would send with this status for a request to {@code path} (for {@link #failNext}). */
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
                List<String> segments = segments(path);
                String id = segments.size() > 2 ? segments.get(2) : "";
                String resource = segments.size() > 1 && segments.get(1).endsWith("s")
                        ? segments.get(1).substring(0, segments.get(1).length() - 1) : "object";
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

    private static Reply missing(String kind, String id, String param, int status) {
        return error(status, "invalid_request_error", "resource_missing", "No such " + kind + ": '" + id + "'", param);
    }

    /** A Stripe error body: {@code {"error":{"code","doc_url","message","param","request_log_url","type"}}} (nulls left out). */
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
        error.addProperty("type", type);
        return new Reply(status, obj("error", error));
    }

    /** The key as Stripe echoes a wrong one: all but the last four characters masked. */
    private static String masked(String authorization) {
        String key = authorization.trim();
        if (key.regionMatches(true, 0, "Bearer ", 0, 7)) {
            key = key.substring(7).trim();
        }
        int visible = Math.min(4, key.length() / 2);
        int prefix = key.startsWith("sk_test_") || key.startsWith("sk_live_") ? 8 : 0;
        if (key.length() - visible <= prefix) {
            prefix = 0;
        }
        return key.substring(0, prefix) + "*".repeat(key.length() - visible - prefix) + key.substring(key.length() - visible);
    }

    private static List<String> segments(String path) {
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (!segment.isEmpty()) {
                segments.add(segment);
            }
        }
        return segments;
    }

    /** Query parameters, URL-decoded; the first value wins when a name repeats. */
    private static Map<String, String> queryParams(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
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

    // ================================================================================== JSON building

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static long plusMonths(long epochSeconds, int months) {
        return Instant.ofEpochSecond(epochSeconds).atZone(ZoneOffset.UTC).plusMonths(months).toEpochSecond();
    }

    private static void requireId(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("id must not be blank");
        }
    }

    private SubscriptionState subscription(String id) {
        SubscriptionState s = subscriptions.get(id);
        if (s == null) {
            throw new IllegalArgumentException("SandboxStripe has no subscription " + id);
        }
        return s;
    }

    private static boolean ended(String status) {
        return "canceled".equals(status) || "incomplete_expired".equals(status);
    }

    private static void applyStatus(SubscriptionState s, String status, long now) {
        if (status == null || status.isBlank()) {
            throw new IllegalArgumentException("status must not be blank");
        }
        if (ended(status)) {
            if (s.endedAt == null) {
                s.endedAt = now;
                s.canceledAt = now;
            }
        } else {
            s.endedAt = null;
            s.canceledAt = null;
        }
        s.status = status;
    }

    /** Explicit {@code ended_at}; {@code canceled_at} follows it for an ended status (now if null), else null. */
    private static void applyStatus(SubscriptionState s, String status, Long endedAt) {
        if (status == null || status.isBlank()) {
            throw new IllegalArgumentException("status must not be blank");
        }
        s.status = status;
        s.endedAt = endedAt;
        s.canceledAt = ended(status) ? (endedAt != null ? endedAt : Long.valueOf(now())) : null;
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

    private static JsonArray array(JsonElement... elements) {
        JsonArray array = new JsonArray();
        for (JsonElement element : elements) {
            array.add(element);
        }
        return array;
    }

    /** A JSON object from key/value pairs; values are JSON elements, strings, numbers, booleans or null. */
    private static JsonObject obj(Object... keyValues) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object value = keyValues[i + 1];
            JsonElement element;
            if (value == null) {
                element = JsonNull.INSTANCE;
            } else if (value instanceof JsonElement json) {
                element = json;
            } else if (value instanceof String text) {
                element = new JsonPrimitive(text);
            } else if (value instanceof Number number) {
                element = new JsonPrimitive(number);
            } else if (value instanceof Boolean bool) {
                element = new JsonPrimitive(bool);
            } else {
                throw new IllegalArgumentException("not a JSON value: " + value.getClass());
            }
            o.add((String) keyValues[i], element);
        }
        return o;
    }

    private static JsonObject priceObject() {
        return obj(
                "id", PRICE_ID,
                "object", "price",
                "active", true,
                "billing_scheme", "per_unit",
                "created", 1767225600L,
                "currency", CURRENCY,
                "livemode", false,
                "lookup_key", null,
                "metadata", new JsonObject(),
                "nickname", "PLZ-Gebiet monatlich",
                "product", PRODUCT_ID,
                "recurring", obj("interval", "month", "interval_count", 1, "meter", null,
                        "trial_period_days", null, "usage_type", "licensed"),
                "tax_behavior", "unspecified",
                "type", "recurring",
                "unit_amount", UNIT_AMOUNT,
                "unit_amount_decimal", String.valueOf(UNIT_AMOUNT));
    }

    private static JsonObject subscriptionObject(SubscriptionState s) {
        boolean trialing = "trialing".equals(s.status);
        JsonObject item = obj(
                "id", itemId(s.id),
                "object", "subscription_item",
                "created", s.created,
                "current_period_end", s.currentPeriodEnd,
                "current_period_start", s.currentPeriodStart,
                "discounts", new JsonArray(),
                "metadata", metadata(s.plz),
                "price", priceObject(),
                "quantity", 1,
                "subscription", s.id,
                "tax_rates", new JsonArray());
        return obj(
                "id", s.id,
                "object", "subscription",
                "billing_cycle_anchor", s.startDate,
                "cancel_at", null,
                "cancel_at_period_end", false,
                "canceled_at", s.canceledAt,
                "collection_method", "charge_automatically",
                "created", s.created,
                "currency", CURRENCY,
                "customer", s.customer,
                "description", null,
                "discounts", new JsonArray(),
                "ended_at", s.endedAt,
                "items", obj(
                        "object", "list",
                        "data", array(item),
                        "has_more", false,
                        "total_count", 1,
                        "url", "/v1/subscription_items?subscription=" + s.id),
                "latest_invoice", null,
                "livemode", false,
                "metadata", metadata(s.plz),
                "start_date", s.startDate,
                "status", s.status,
                "test_clock", null,
                "trial_end", trialing ? s.currentPeriodEnd : null,
                "trial_start", trialing ? s.startDate : null);
    }

    private static JsonObject customerObject(CustomerState c) {
        return obj(
                "id", c.id,
                "object", "customer",
                "address", null,
                "balance", c.balance,
                "created", c.created,
                "currency", CURRENCY,
                "delinquent", false,
                "description", null,
                "email", c.email,
                "livemode", false,
                "metadata", new JsonObject(),
                "name", c.name,
                "phone", null,
                "preferred_locales", new JsonArray(),
                "tax_exempt", "none",
                "test_clock", null);
    }

    /** {@code now} is the invoice's time: created, finalized and (if paid) paid at. */
    private JsonObject invoiceObject(String invoiceId, String customerId, String subscriptionId, String plz,
                                     String status, long now) {
        CustomerState customer = customers.get(customerId);
        SubscriptionState subscription = subscriptions.get(subscriptionId);
        long periodStart = subscription != null ? subscription.currentPeriodStart : now;
        long periodEnd = subscription != null ? subscription.currentPeriodEnd : now + PERIOD;
        boolean paid = "paid".equals(status);
        boolean draft = "draft".equals(status);
        JsonObject line = obj(
                "id", "il_" + (invoiceId.startsWith("in_") ? invoiceId.substring(3) : invoiceId) + "_1",
                "object", "line_item",
                "amount", UNIT_AMOUNT,
                "currency", CURRENCY,
                "description", "1 × PLZ-Gebiet (at €49.00 / month)",
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
                                "subscription_item", itemId(subscriptionId)),
                        "type", "subscription_item_details"),
                "period", obj("end", periodEnd, "start", periodStart),
                "pricing", obj(
                        "price_details", obj("price", PRICE_ID, "product", PRODUCT_ID),
                        "type", "price_details",
                        "unit_amount_decimal", String.valueOf(UNIT_AMOUNT)),
                "quantity", 1);
        return obj(
                "id", invoiceId,
                "object", "invoice",
                "amount_due", UNIT_AMOUNT,
                "amount_paid", paid ? UNIT_AMOUNT : 0,
                "amount_remaining", paid ? 0 : UNIT_AMOUNT,
                "attempt_count", draft ? 0 : 1,
                "attempted", !draft,
                "billing_reason", "subscription_cycle",
                "collection_method", "charge_automatically",
                "created", now,
                "currency", CURRENCY,
                "customer", customerId,
                "customer_email", customer != null ? customer.email : null,
                "customer_name", customer != null ? customer.name : null,
                "lines", obj(
                        "object", "list",
                        "data", array(line),
                        "has_more", false,
                        "total_count", 1,
                        "url", "/v1/invoices/" + invoiceId + "/lines"),
                "livemode", false,
                "metadata", new JsonObject(),
                "parent", obj(
                        "quote_details", null,
                        "subscription_details", obj("metadata", metadata(plz), "subscription", subscriptionId),
                        "type", "subscription_details"),
                "period_end", now,
                "period_start", now,
                "status", status,
                "status_transitions", obj(
                        "finalized_at", draft ? null : now,
                        "marked_uncollectible_at", "uncollectible".equals(status) ? now : null,
                        "paid_at", paid ? now : null,
                        "voided_at", "void".equals(status) ? now : null),
                "subtotal", UNIT_AMOUNT,
                "total", UNIT_AMOUNT);
    }

    /** A stored session as served now: customer details and PLZ from the stored customer and subscription. */
    private JsonObject checkoutSessionObject(CheckoutSessionState session) {
        CustomerState customer = session.customer != null ? customers.get(session.customer) : null;
        SubscriptionState subscription = session.subscription != null ? subscriptions.get(session.subscription) : null;
        return checkoutSessionObject(session.id, session.customer, session.subscription,
                customer != null ? customer.name : null, customer != null ? customer.email : null,
                subscription != null ? subscription.plz : null, session.status, session.created);
    }

    private static JsonObject checkoutSessionObject(String sessionId, String customerId, String subscriptionId,
                                                    String name, String email, String plz, String status, long created) {
        boolean complete = "complete".equals(status);
        return obj(
                "id", sessionId,
                "object", "checkout.session",
                "amount_subtotal", UNIT_AMOUNT,
                "amount_total", UNIT_AMOUNT,
                "cancel_url", null,
                "client_reference_id", null,
                "created", created,
                "currency", CURRENCY,
                "customer", customerId,
                "customer_creation", "always",
                "customer_details", obj(
                        "address", null,
                        "email", email,
                        "name", name,
                        "phone", null,
                        "tax_exempt", "none",
                        "tax_ids", new JsonArray()),
                "customer_email", null,
                "expires_at", created + DAY,
                "invoice", null,
                "livemode", false,
                "metadata", metadata(plz),
                "mode", "subscription",
                "payment_intent", null,
                "payment_method_types", array(new JsonPrimitive("card")),
                "payment_status", complete ? "paid" : "unpaid",
                "status", status,
                "subscription", subscriptionId,
                "success_url", "http://127.0.0.1/checkout/success",
                "url", null);
    }

    private static final class CustomerState {
        final String id;
        final String name;
        final String email;
        final long created;
        long balance; // cents, negative = credit; only touched under lock

        CustomerState(String id, String name, String email, long created) {
            this.id = id;
            this.name = name;
            this.email = email;
            this.created = created;
        }
    }

    /** Only touched under {@link #lock}. */
    private static final class CheckoutSessionState {
        final String id;
        final long seq;
        final String customer;
        final String subscription;
        final String status;
        final long created;

        CheckoutSessionState(String id, long seq, String customer, String subscription, String status, long created) {
            this.id = id;
            this.seq = seq;
            this.customer = customer;
            this.subscription = subscription;
            this.status = status;
            this.created = created;
        }
    }

    /** A pending {@link #failNext}; only touched under {@link #lock}. */
    private static final class DelayRule {
        final String pathPrefix;
        final Duration delay;
        final CountDownLatch release;
        int remaining;

        DelayRule(String pathPrefix, Duration delay, int remaining, CountDownLatch release) {
            this.pathPrefix = pathPrefix;
            this.delay = delay;
            this.release = release;
            this.remaining = remaining;
        }
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

    /** Mutable; only touched under {@link #lock}. */
    private static final class SubscriptionState {
        final String id;
        final long seq;
        final String customer;
        final String plz;
        final long startDate;
        final long created;
        final long currentPeriodStart;
        final long currentPeriodEnd;
        String status;
        Long endedAt;
        Long canceledAt;

        SubscriptionState(String id, long seq, String customer, String plz, long startDate, long currentPeriodStart,
                          long currentPeriodEnd) {
            this.id = id;
            this.seq = seq;
            this.customer = customer;
            this.plz = plz;
            this.startDate = startDate;
            this.created = startDate;
            this.currentPeriodStart = currentPeriodStart;
            this.currentPeriodEnd = currentPeriodEnd;
        }
    }
}
