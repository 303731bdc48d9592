package de.geolead.routes;

import de.geolead.billing.StripeEventProcessor;
import de.geolead.billing.StripeEventSweep;
import de.geolead.billing.StripeEventType;
import de.geolead.billing.StripeWebhook;
import de.geolead.billing.WebhookRateLimit;
import io.vertx.core.net.SocketAddress;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/stripe-webhook.camel.yaml with its error configurations: platform-http, the queue (jms) and the sweep's
 * quartz start replaced by direct and mock endpoints, metrics mocked. {@code stripeWebhook} and
 * {@code stripeEventProcessor} are stand-ins that return real {@link StripeWebhook.Receipt}s and name the method the
 * route called; {@code webhookRateLimit} is the real one with a limit of 2 calls a minute.
 */
@Tag("routes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one Camel context for all tests of the class
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = {
        "camel.main.routes-include-pattern=classpath:routes/stripe-webhook.camel.yaml,classpath:routes/route-configurations.camel.yaml",
        "geolead.webhook.enabled=true",
        "geolead.billing.enabled=true"},
        advices = {
                @AdviceRouteMapping(route = "stripe-webhook", advice = StripeWebhookRoutesTest.WebhookAdvice.class),
                @AdviceRouteMapping(route = "stripe-events", advice = StripeWebhookRoutesTest.QueueAdvice.class),
                @AdviceRouteMapping(route = "stripe-event-sweep", advice = StripeWebhookRoutesTest.SweepAdvice.class)},
        mockEndpointsAndSkip = "(micrometer|jms):.*")
class StripeWebhookRoutesTest {

    static final String WEBHOOK = "direct:webhook";
    static final String QUEUE_IN = "direct:stripe-events-queue";

    public static class WebhookAdvice extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith(WEBHOOK);
        }
    }

    public static class QueueAdvice extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith(QUEUE_IN);
        }
    }

    public static class SweepAdvice extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:stripe-event-sweep");
        }
    }

    /**
     * Receives by the body: {@code new}, {@code duplicate-owed}, {@code duplicate}, {@code forged}, {@code broken}; the
     * route's questions about the receipt (queue, eventId, metricTags, answer) are the real bean's.
     */
    public static class StandInWebhook extends StripeWebhook {
        StandInWebhook() {
            super("", 0, Clock.systemUTC(), null);
        }

        @Override
        public StripeWebhook.Receipt receive(@org.apache.camel.Body String payload, @org.apache.camel.Header("Stripe-Signature") String signature) {
            return switch (payload) {
                case "new" -> new StripeWebhook.Receipt("evt_new", "invoice.paid", false, true);
                case "duplicate-owed" -> new StripeWebhook.Receipt("evt_owed", "invoice.paid", true, true);
                case "duplicate" -> new StripeWebhook.Receipt("evt_done", "invoice.paid", true, false);
                case "forged" -> throw new StripeWebhook.WebhookRejectedException("signature rejected: no signatures found");
                default -> throw new IllegalStateException("Billing database work failed (SQLState 08006)");
            };
        }
    }

    /** Stores event id -> type; each kind's method answers "<method> <event id>", {@code evt_fail} fails. */
    public static class StandInProcessor {
        final Map<String, String> types = new HashMap<>();

        public String type(String eventId) {
            return types.getOrDefault(eventId, "unknown");
        }

        private String did(String method, String eventId) throws StripeEventProcessor.EventFailedException {
            if (eventId.equals("evt_fail")) {
                throw new StripeEventProcessor.EventFailedException("Stripe event evt_fail failed: Stripe API: ApiConnectionException");
            }
            return method + " " + eventId;
        }

        public String subscriptionChanged(String id) throws Exception { return did("subscriptionChanged", id); }
        public String customerUpdated(String id) throws Exception { return did("customerUpdated", id); }
        public String checkoutCompleted(String id) throws Exception { return did("checkoutCompleted", id); }
        public String invoicePaid(String id) throws Exception { return did("invoicePaid", id); }
        public String invoicePaymentFailed(String id) throws Exception { return did("invoicePaymentFailed", id); }
        public String notUsed(String id) throws Exception { return did("notUsed", id); }
    }

    public static class StandInSweep {
        public StripeEventSweep.Summary run() {
            return new StripeEventSweep.Summary(1, 0, 0);
        }
    }

    @BindToRegistry("stripeWebhook")
    StandInWebhook webhook = new StandInWebhook();
    @BindToRegistry("stripeEventProcessor")
    StandInProcessor processor = new StandInProcessor();
    @BindToRegistry("stripeEventSweep")
    StandInSweep sweep = new StandInSweep();
    @BindToRegistry("webhookRateLimit")
    WebhookRateLimit rateLimit = new WebhookRateLimit(2, Clock.systemUTC());

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:jms:queue:geolead.stripe.events")
    MockEndpoint queue;

    private int client;

    @BeforeEach
    void reset() {
        MockEndpoint.resetMocks(context);
        processor.types.clear();
        client++;
    }

    /** A POST from its own client address (the rate limit counts per address), with headers a caller sends. */
    Exchange post(String body, String address) {
        return context.createProducerTemplate().request(WEBHOOK, exchange -> {
            exchange.getMessage().setBody(body.getBytes());
            exchange.getMessage().setHeader("CamelVertxPlatformHttpRemoteAddress", SocketAddress.inetSocketAddress(40_000, address));
            exchange.getMessage().setHeader("Stripe-Signature", "t=1,v1=abc");
            exchange.getMessage().setHeader("Authorization", "Bearer secret-of-the-caller");
            exchange.getMessage().setHeader("X-Forwarded-For", "198.51.100.9");
            exchange.getMessage().setHeader("Content-Type", "application/json");
        });
    }

    Exchange post(String body) {
        return post(body, "203.0.113." + client);
    }

    static int status(Exchange answer) {
        return answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
    }

    @Test
    void anAcceptedEventIsQueuedOnceWithNoneOfTheCallersHeaders() throws Exception {
        queue.expectedBodiesReceived("evt_new");
        Exchange answer = post("new");

        assertThat(status(answer)).isEqualTo(200);
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("ok");
        queue.assertIsSatisfied();
        Exchange queued = queue.getReceivedExchanges().get(0);
        assertThat(queued.getMessage().getHeaders()).as("headers sent to the queue").isEmpty();
        assertThat(queued.getPattern()).isEqualTo(ExchangePattern.InOnly);
    }

    @Test
    void aDuplicateIsAnsweredAndNotQueuedUnlessItsProcessingIsStillOwed() throws Exception {
        queue.expectedBodiesReceived("evt_owed");
        Exchange done = post("duplicate");
        Exchange owed = post("duplicate-owed");

        assertThat(status(done)).isEqualTo(200);
        assertThat(done.getMessage().getBody(String.class)).isEqualTo("duplicate");
        assertThat(status(owed)).isEqualTo(200);
        assertThat(owed.getMessage().getBody(String.class)).isEqualTo("duplicate");
        queue.assertIsSatisfied();
    }

    @Test
    void aRejectedCallIsAnswered400WithTheReasonAndNothingIsQueued() {
        Exchange answer = post("forged");

        assertThat(status(answer)).isEqualTo(400);
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("signature rejected: no signatures found");
        assertThat(answer.getMessage().getHeader("Content-Type")).isEqualTo("text/plain");
        assertThat(queue.getReceivedCounter()).isZero();
    }

    @Test
    void tooManyCallsFromOneAddressAreAnswered429WithRetryAfter() {
        String address = "192.0.2.77";
        assertThat(status(post("duplicate", address))).isEqualTo(200);
        assertThat(status(post("duplicate", address))).isEqualTo(200);
        Exchange third = post("new", address);

        assertThat(status(third)).isEqualTo(429);
        assertThat(third.getMessage().getHeader("Retry-After")).isEqualTo("60");
        assertThat(third.getMessage().getBody(String.class)).isEqualTo("too many requests");
        assertThat(queue.getReceivedCounter()).as("the refused event").isZero();
        assertThat(status(post("duplicate", "192.0.2.78"))).as("another address").isEqualTo(200);
    }

    @Test
    void anyOtherFailureIsAnswered500AndLeavesOutItsMessage() {
        Exchange answer = post("broken");

        assertThat(status(answer)).isEqualTo(500);
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("internal error");
        assertThat(queue.getReceivedCounter()).isZero();
    }

    @Test
    void eachEventTypeTakesItsOwnBranchAndAnyOtherIsNotUsed() {
        for (StripeEventType type : StripeEventType.values()) {
            String eventId = "evt_" + type.name().toLowerCase();
            processor.types.put(eventId, type.stripeName());
            assertThat(context.createProducerTemplate().requestBody("direct:stripe-event", eventId, String.class))
                    .as(type.stripeName()).isEqualTo(type.method() + " " + eventId);
        }
        processor.types.put("evt_other", "payment_intent.created");
        assertThat(context.createProducerTemplate().requestBody("direct:stripe-event", "evt_other", String.class))
                .isEqualTo(StripeEventType.NOT_USED + " evt_other");
        assertThat(context.createProducerTemplate().requestBody("direct:stripe-event", "evt_unknown", String.class))
                .as("an event id not stored").isEqualTo(StripeEventType.NOT_USED + " evt_unknown");
    }

    @Test
    void theRouteFilesHeaderListsEveryEventTypeWithItsMethod() throws Exception {
        String header = Files.readString(Path.of("routes/stripe-webhook.camel.yaml")).split("\n- route:", 2)[0];
        for (StripeEventType type : StripeEventType.values()) {
            assertThat(header).contains(type.stripeName()).contains("-> " + type.method());
        }
        assertThat(header).contains("-> " + StripeEventType.NOT_USED);
    }

    @Test
    void aQueuedEventIsProcessedByItsTypeAndAFailureReachesTheQueueConsumer() {
        processor.types.put("evt_sub", "customer.subscription.updated");
        processor.types.put("evt_fail", "invoice.paid");
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("stripe-events").whenCompleted(1).create();

        context.createProducerTemplate().sendBody(QUEUE_IN, "evt_sub");
        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        Exchange failed = context.createProducerTemplate().send(QUEUE_IN, e -> e.getMessage().setBody("evt_fail"));

        // thrown to the JMS consumer, which rolls back: the broker redelivers
        assertThat(failed.getException()).isInstanceOf(StripeEventProcessor.EventFailedException.class);
        assertThat(context.getRoute("stripe-events").getConfigurationId()).isEqualTo("stripe-event-errors");
        assertThat(context.getRoute("stripe-event").getConfigurationId()).isEqualTo("stripe-event-errors");
        assertThat(context.getRoute("stripe-webhook").getConfigurationId()).isEqualTo("webhook-errors");
    }

    @Test
    void theSweepRunsOnItsSchedule() {
        assertThat(context.createProducerTemplate().requestBody("direct:stripe-event-sweep", null, StripeEventSweep.Summary.class))
                .isEqualTo(sweep.run());
        assertThat(context.getRoute("stripe-event-sweep-run").getConfigurationId()).isEqualTo("geolead-errors");
    }

    @Test
    void theImportantStepsHaveIds() {
        for (String id : List.of("webhook-rate-limit", "webhook-receive", "webhook-queue-if-owed", "queue-stripe-event",
                "process-stripe-event", "stripe-event-type", "stripe-event-by-type", "stripe-event-ignored",
                "stripe-event-sweep-process")) {
            assertThat(context.getProcessor(id)).as(id).isNotNull();
        }
    }
}
