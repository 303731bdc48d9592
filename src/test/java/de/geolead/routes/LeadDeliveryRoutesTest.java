package de.geolead.routes;

import de.geolead.delivery.Delivery;
import de.geolead.delivery.FailedAttempt;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/lead-delivery.camel.yaml (lead-delivery, enqueue-delivery) with the delivery-errors configuration: which
 * branch a delivery takes, what goes back on geolead.deliveries with which {@code _AMQ_SCHED_DELIVERY}, and that the
 * schedule header Artemis hands back never travels on. The queue, SMTP and metrics are mocks; deliveryService is a
 * stand-in returning real {@link Delivery} and {@link FailedAttempt} records.
 */
@Tag("routes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one context for the class: the tests reset the mocks
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = {
                "camel.main.routes-include-pattern=classpath:routes/lead-delivery.camel.yaml,classpath:routes/route-configurations.camel.yaml",
                "geolead.delivery.enabled=true",
                "geolead.smtp.endpoint=mock:smtp"},
        advices = {
                @AdviceRouteMapping(route = "lead-delivery", advice = LeadDeliveryRoutesTest.FromDirect.class),
                @AdviceRouteMapping(route = "enqueue-delivery", advice = LeadDeliveryRoutesTest.QueueMock.class)},
        mockEndpointsAndSkip = "(micrometer:.*|direct:mail-given-up)")
class LeadDeliveryRoutesTest {

    static final long ID = 42;
    static final String SCHEDULE = "_AMQ_SCHED_DELIVERY";
    /** What Artemis hands back with a scheduled message: the time it was scheduled for. */
    static final long INCOMING_SCHEDULE = 1_700_000_000_000L;
    static final Instant LATER = Instant.parse("2026-11-30T06:00:00Z");

    public static class FromDirect extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:deliveries");
        }
    }

    public static class QueueMock extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveById("to-deliveries-queue").replace().to("mock:deliveries");
        }
    }

    /** Stand-in for DeliveryService: answers what the test says and records what the route asked. */
    public static class FakeDeliveryService {
        Delivery next;
        FailedAttempt afterFailure;
        final List<String> calls = new ArrayList<>();

        public Delivery prepare(long distributionId) {
            calls.add("prepare " + distributionId);
            return next;
        }

        public boolean markSent(long distributionId, int attempt, String messageId) {
            calls.add("markSent " + distributionId + " " + attempt + " " + messageId);
            return true;
        }

        public FailedAttempt afterFailedAttempt(long distributionId, int attempt, Throwable error) {
            calls.add("afterFailedAttempt " + distributionId + " " + attempt + " " + error.getMessage());
            return afterFailure;
        }
    }

    @BindToRegistry("deliveryService")
    FakeDeliveryService service = new FakeDeliveryService();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:smtp")
    MockEndpoint smtp;
    @EndpointInject("mock:deliveries")
    MockEndpoint deliveries;
    @EndpointInject("mock:direct:mail-given-up")
    MockEndpoint givenUp;
    /** Every geolead_distributions_delivered_total counter (mocks drop the query, so one mock for all results). */
    @EndpointInject("mock:micrometer:counter:geolead.distributions.delivered")
    MockEndpoint delivered;

    static Delivery delivery(String action, String reason, Instant rescheduleAt) {
        return new Delivery(action, ID, 7, 3, "only", reason, rescheduleAt, null, null);
    }

    static Delivery send() {
        return new Delivery(Delivery.SEND, ID, 7, 3, "only", null, null,
                new MimeMessage(Session.getInstance(new Properties())), "<lead-7.42@geolead.test>", 2);
    }

    /** Sends the message as the JMS consumer hands it over: the id as text, Artemis's schedule header still on it. */
    Exchange deliver() {
        return context.createProducerTemplate().request("direct:deliveries",
                e -> {
                    e.getIn().setBody(Long.toString(ID));
                    e.getIn().setHeader(SCHEDULE, INCOMING_SCHEDULE);
                });
    }

    static void assertNoScheduleHeader(MockEndpoint mock) {
        mock.getReceivedExchanges().forEach(e -> assertThat(e.getIn().getHeaders()).doesNotContainKey(SCHEDULE));
    }

    @BeforeEach
    void reset() {
        MockEndpoint.resetMocks(context);
        smtp.whenAnyExchangeReceived(e -> { });
        service.calls.clear();
        service.next = null;
        service.afterFailure = null;
    }

    @Test
    void aDueMailIsSentOverSmtpAndRecordedForItsClaim() throws Exception {
        service.next = send();
        smtp.expectedMessageCount(1);
        deliveries.expectedMessageCount(0);
        givenUp.expectedMessageCount(0);

        Exchange done = deliver();

        assertThat(done.getException()).isNull();
        MockEndpoint.assertIsSatisfied(smtp, deliveries, givenUp);
        assertThat(smtp.getReceivedExchanges().get(0).getIn().getBody()).isInstanceOf(MimeMessage.class);
        assertNoScheduleHeader(smtp);
        assertThat(service.calls).containsExactly("prepare 42", "markSent 42 2 <lead-7.42@geolead.test>");
        assertThat(context.getRoute("lead-delivery").getConfigurationId()).isEqualTo("delivery-errors");
    }

    @Test
    void outsideTheWindowTheMailIsEnqueuedAgainForTheNextOpeningAndTheIncomingScheduleIsGone() throws Exception {
        service.next = delivery(Delivery.RESCHEDULE, null, LATER);
        deliveries.expectedMessageCount(1);
        deliveries.expectedBodiesReceived("42");
        deliveries.expectedHeaderReceived(SCHEDULE, LATER.toEpochMilli());
        smtp.expectedMessageCount(0);
        givenUp.expectedMessageCount(0);
        delivered.expectedMessageCount(1);

        Exchange done = deliver();

        MockEndpoint.assertIsSatisfied(deliveries, smtp, givenUp, delivered);
        assertThat(deliveries.getReceivedExchanges().get(0).getIn().getHeader(SCHEDULE)).isInstanceOf(Long.class);
        assertThat(deliveries.getReceivedExchanges().get(0).getIn().getHeaders()).as("our own header stays off the queue")
                .doesNotContainKey("deliverAt");
        // the sub-route clears the header again: nothing after it (here: the metric, then the end) carries it
        assertNoScheduleHeader(delivered);
        assertThat(done.getMessage().getHeaders()).doesNotContainKey(SCHEDULE);
    }

    @Test
    void aSkippedMailIsFollowedUpAndNotSent() throws Exception {
        service.next = delivery(Delivery.SKIPPED, "customer is cancelled at send time", null);
        givenUp.expectedMessageCount(1);
        givenUp.expectedHeaderReceived("distributionId", ID);
        smtp.expectedMessageCount(0);
        deliveries.expectedMessageCount(0);

        deliver();

        MockEndpoint.assertIsSatisfied(givenUp, smtp, deliveries);
        assertNoScheduleHeader(givenUp);
    }

    @Test
    void aDuplicateIsLeftAlone() throws Exception {
        service.next = delivery(Delivery.DUPLICATE, "already sent", null);
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("lead-delivery").whenCompleted(1).create();
        smtp.expectedMessageCount(0);
        deliveries.expectedMessageCount(0);
        givenUp.expectedMessageCount(0);
        delivered.expectedMessageCount(1);

        deliver();

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        MockEndpoint.assertIsSatisfied(smtp, deliveries, givenUp, delivered);
        assertThat(service.calls).containsExactly("prepare 42");
    }

    @Test
    void aTransientSmtpFailureSchedulesTheNextAttempt() throws Exception {
        Instant nextAttempt = Instant.parse("2026-11-28T17:00:20Z");
        service.next = send();
        service.afterFailure = new FailedAttempt(FailedAttempt.RETRY, ID, 2, nextAttempt, "421 try again later");
        smtp.whenAnyExchangeReceived(e -> {
            throw new MessagingException("421 try again later");
        });
        deliveries.expectedMessageCount(1);
        deliveries.expectedBodiesReceived("42");
        deliveries.expectedHeaderReceived(SCHEDULE, nextAttempt.toEpochMilli());
        givenUp.expectedMessageCount(0);

        Exchange done = deliver();

        assertThat(done.getException()).as("handled by delivery-errors, so the JMS transaction commits").isNull();
        MockEndpoint.assertIsSatisfied(deliveries, givenUp);
        assertThat(service.calls).containsExactly("prepare 42", "afterFailedAttempt 42 2 421 try again later");
        assertThat(done.getMessage().getHeaders()).doesNotContainKey(SCHEDULE);
    }

    @Test
    void aMailThatFailedForGoodIsFollowedUpAndNotEnqueuedAgain() throws Exception {
        service.next = send();
        service.afterFailure = new FailedAttempt(FailedAttempt.FAILED, ID, 2, null, "550 no such user");
        smtp.whenAnyExchangeReceived(e -> {
            throw new MessagingException("550 no such user");
        });
        givenUp.expectedMessageCount(1);
        givenUp.expectedHeaderReceived("distributionId", ID);
        deliveries.expectedMessageCount(0);

        Exchange done = deliver();

        assertThat(done.getException()).isNull();
        MockEndpoint.assertIsSatisfied(givenUp, deliveries);
        assertNoScheduleHeader(givenUp);
    }

    @Test
    void anAttemptThatLostItsClaimChangesNothing() throws Exception {
        service.next = send();
        service.afterFailure = new FailedAttempt(FailedAttempt.LOST, ID, 2, null, "connection reset");
        smtp.whenAnyExchangeReceived(e -> {
            throw new MessagingException("connection reset");
        });
        givenUp.expectedMessageCount(0);
        deliveries.expectedMessageCount(0);

        Exchange done = deliver();

        assertThat(done.getException()).isNull();
        MockEndpoint.assertIsSatisfied(givenUp, deliveries);
    }

    @Test
    void aDeliveryWithoutATimeIsEnqueuedAtOnce() throws Exception {
        deliveries.expectedMessageCount(1);
        deliveries.expectedBodiesReceived("42");

        context.createProducerTemplate().sendBodyAndHeader("direct:enqueue-delivery", ID, SCHEDULE, INCOMING_SCHEDULE);

        deliveries.assertIsSatisfied();
        assertNoScheduleHeader(deliveries);
    }

    @Test
    void theActionsTheRoutesCompareAgainstAreTheOnesTheJavaRecordsNameAndTheHeaderCommentsList() throws Exception {
        String delivery = Files.readString(Path.of("routes/lead-delivery.camel.yaml"));
        String errors = Files.readString(Path.of("routes/route-configurations.camel.yaml"));
        assertThat(listedActions(delivery)).containsExactlyInAnyOrderElementsOf(Delivery.ACTIONS);
        assertThat(listedActions(errors.substring(errors.indexOf("# delivery-errors:"))))
                .containsExactlyInAnyOrderElementsOf(FailedAttempt.ACTIONS);
        assertThat(Delivery.ACTIONS).containsAll(comparedActions(delivery));
        assertThat(comparedActions(delivery)).hasSize(3); // send, reschedule, skipped; duplicate is the otherwise
        assertThat(comparedActions(errors)).containsExactlyInAnyOrder(FailedAttempt.RETRY, FailedAttempt.FAILED);
    }

    /** The actions a header comment lists, one a line: {@code #   name  - what the route does}, up to the first route. */
    static Set<String> listedActions(String yaml) {
        String header = yaml.substring(0, yaml.indexOf("\n- "));
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^#\\s{3}([a-z-]+)\\s+- ").matcher(header);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Every {@code ${body.action()} == '…'} of the file. */
    static Set<String> comparedActions(String yaml) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\$\\{body\\.action\\(\\)} == '([^']+)'").matcher(yaml);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
