package de.geolead.routes;

import de.geolead.distribution.DistributionStore;
import de.geolead.distribution.DistributionStore.Scheduled;
import de.geolead.distribution.MonthlyCap;
import de.geolead.distribution.Replanning;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/lead-distribution.camel.yaml (lead-distribution, mail-given-up, distribution-sweep-run): one scheduled message
 * per planned mail, the followers a given-up head start releases, a lead planned again, and the sweep's re-enqueued
 * mails (at once, without a schedule). Deliveries are enqueued by direct:enqueue-delivery, so routes/lead-delivery.camel.yaml
 * is loaded too (its consumer stays off); the queues, SQL, Quartz and metrics are mocks or replaced, and leadDistribution,
 * replanning and distributionSweep are stand-ins returning real result records.
 */
@Tag("routes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one context for the class: the tests reset the mocks
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = {
                "camel.main.routes-include-pattern=classpath:routes/lead-distribution.camel.yaml,classpath:routes/lead-delivery.camel.yaml,"
                        + "classpath:routes/route-configurations.camel.yaml",
                "geolead.delivery.enabled=false"},
        advices = {
                @AdviceRouteMapping(route = "lead-distribution", advice = LeadDistributionRoutesTest.Distribution.class),
                @AdviceRouteMapping(route = "mail-given-up", advice = LeadDistributionRoutesTest.GivenUp.class),
                @AdviceRouteMapping(route = "distribution-sweep", advice = LeadDistributionRoutesTest.SweepSchedule.class),
                @AdviceRouteMapping(route = "distribution-sweep-run", advice = LeadDistributionRoutesTest.SweepRun.class),
                @AdviceRouteMapping(route = "lead-delivery", advice = LeadDistributionRoutesTest.DeliveryOff.class),
                @AdviceRouteMapping(route = "enqueue-delivery", advice = LeadDistributionRoutesTest.QueueMock.class)},
        mockEndpointsAndSkip = "micrometer:*")
class LeadDistributionRoutesTest {

    static final String SCHEDULE = "_AMQ_SCHED_DELIVERY";
    static final Instant NOW = Instant.parse("2026-11-30T09:00:00Z");
    static final Instant AFTER_HEAD_START = Instant.parse("2026-12-03T09:00:00Z");
    /** The header {@code monthStart} the eligible agents' SQL got (the monthly caps' month). */
    static volatile Object monthStartSeen;

    public static class Distribution extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:new-leads");
            weaveById("read-lead-plz").replace().setHeader("plz", constant("80331"));
            weaveById("find-eligible-agents").replace().process(e -> {
                monthStartSeen = e.getIn().getHeader("monthStart");
                e.getIn().setHeader("eligibleAgents", List.of(Map.of("customer_id", 3L), Map.of("customer_id", 4L)));
            });
        }
    }

    public static class GivenUp extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveById("replan-lead").replace().to("mock:new-leads");
        }
    }

    public static class SweepSchedule extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:sweep-schedule");
        }
    }

    public static class SweepRun extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveById("sweep-to-new-leads-queue").replace().to("mock:new-leads");
        }
    }

    public static class DeliveryOff extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:deliveries-not-consumed-here");
        }
    }

    public static class QueueMock extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveById("to-deliveries-queue").replace().to("mock:deliveries");
        }
    }

    public static class FakeDistribution {
        final List<String> calls = new ArrayList<>();
        DistributionStore.Outcome next;

        public DistributionStore.Outcome plan(long leadId, String plz, List<Map<String, Object>> eligibleRows) {
            calls.add("plan " + leadId + " " + plz + " " + eligibleRows.size());
            return next;
        }
    }

    public static class FakeReplanning {
        Replanning.Outcome next;

        public Replanning.Outcome mailGivenUp(long distributionId) {
            return next;
        }
    }

    public static class FakeSweep {
        public List<Long> expireUnassigned() { return List.of(1L); }
        public List<Long> leadsToPlan() { return List.of(11L, 12L); }
        public List<Long> lostDeliveries() { return List.of(21L, 22L, 23L); }
    }

    @BindToRegistry("leadDistribution")
    FakeDistribution distribution = new FakeDistribution();
    /** The month the caps count: a real one (no database needed for the month's start). */
    @BindToRegistry("monthlyCap")
    MonthlyCap monthlyCap = new MonthlyCap(ZoneId.of("Europe/Berlin"), Clock.systemUTC());
    @BindToRegistry("replanning")
    FakeReplanning replanning = new FakeReplanning();
    @BindToRegistry("distributionSweep")
    FakeSweep sweep = new FakeSweep();
    /** The delivery route's bean (its consumer is off here: never called). */
    @BindToRegistry("deliveryService")
    LeadDeliveryRoutesTest.FakeDeliveryService deliveryService = new LeadDeliveryRoutesTest.FakeDeliveryService();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:deliveries")
    MockEndpoint deliveries;
    @EndpointInject("mock:new-leads")
    MockEndpoint newLeads;

    @BeforeEach
    void reset() {
        MockEndpoint.resetMocks(context);
        distribution.calls.clear();
    }

    @Test
    void eachPlannedMailIsEnqueuedOnceForItsTime() throws Exception {
        distribution.next = new DistributionStore.Outcome(7, "distributed", true, List.of(
                new Scheduled(70, 3, NOW, "head_start"),
                new Scheduled(71, 4, AFTER_HEAD_START, "follower")), 0);
        deliveries.expectedMessageCount(2);
        deliveries.expectedBodiesReceived("70", "71");
        deliveries.expectedHeaderValuesReceivedInAnyOrder(SCHEDULE, NOW.toEpochMilli(), AFTER_HEAD_START.toEpochMilli());

        context.createProducerTemplate().sendBody("direct:new-leads", "7");

        deliveries.assertIsSatisfied();
        assertThat(deliveries.getReceivedExchanges().get(0).getIn().getHeader(SCHEDULE)).isInstanceOf(Long.class);
        assertThat(deliveries.getReceivedExchanges().get(0).getIn().getHeader(SCHEDULE)).isEqualTo(NOW.toEpochMilli());
        assertThat(distribution.calls).containsExactly("plan 7 80331 2");
        assertThat(monthStartSeen).as("the monthly caps' month for sql/eligible-agents.sql").isEqualTo(monthlyCap.monthStart());
    }

    @Test
    void aLeadNobodyCoversEnqueuesNothing() throws Exception {
        distribution.next = new DistributionStore.Outcome(8, "unassigned", true, List.of(), 0);
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("lead-distribution").whenCompleted(1).create();
        deliveries.expectedMessageCount(0);

        context.createProducerTemplate().sendBody("direct:new-leads", "8");

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        deliveries.assertIsSatisfied();
    }

    @Test
    void aGivenUpHeadStartReleasesItsFollowersAndALeadWithoutMailIsPlannedAgain() throws Exception {
        replanning.next = new Replanning.Outcome(70, 7, List.of(new Scheduled(71, 4, NOW, "only")), true);
        deliveries.expectedMessageCount(1);
        deliveries.expectedBodiesReceived("71");
        deliveries.expectedHeaderReceived(SCHEDULE, NOW.toEpochMilli());
        newLeads.expectedMessageCount(1);
        newLeads.expectedBodiesReceived("7");

        // as delivery-errors calls it: Artemis's schedule of the failed mail's own message must not travel on
        context.createProducerTemplate().sendBodyAndHeaders("direct:mail-given-up", "70",
                Map.of("distributionId", 70L, SCHEDULE, 1_700_000_000_000L));

        MockEndpoint.assertIsSatisfied(deliveries, newLeads);
        assertThat(newLeads.getReceivedExchanges().get(0).getIn().getHeaders()).doesNotContainKey(SCHEDULE);
    }

    @Test
    void aGivenUpMailThatChangesNothingEnqueuesNothing() throws Exception {
        replanning.next = new Replanning.Outcome(72, 7, List.of(), false);
        deliveries.expectedMessageCount(0);
        newLeads.expectedMessageCount(0);

        context.createProducerTemplate().sendBodyAndHeader("direct:mail-given-up", "72", "distributionId", 72L);

        MockEndpoint.assertIsSatisfied(deliveries, newLeads);
    }

    @Test
    void theSweepPlansWaitingLeadsAgainAndEnqueuesLostMailsAtOnce() throws Exception {
        newLeads.expectedBodiesReceived("11", "12");
        deliveries.expectedBodiesReceived("21", "22", "23");

        context.createProducerTemplate().sendBody("direct:sweep-schedule", null);

        MockEndpoint.assertIsSatisfied(newLeads, deliveries);
        deliveries.getReceivedExchanges().forEach(e -> assertThat(e.getIn().getHeaders()).doesNotContainKey(SCHEDULE));
        assertThat(context.getRoute("distribution-sweep-run").getConfigurationId()).isEqualTo("geolead-errors");
        assertThat(context.getRoute("lead-distribution").getConfigurationId()).isNull();
    }
}
