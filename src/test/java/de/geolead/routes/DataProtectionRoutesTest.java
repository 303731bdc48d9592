package de.geolead.routes;

import de.geolead.privacy.Retention;
import de.geolead.testing.LogCapture;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/data-protection.camel.yaml: the quartz start replaced by a direct endpoint, the metric mocked, and
 * {@code retention} a stand-in whose due leads come in two batches (1, 2, 3 and 4) and whose lead 2 fails. The
 * counting ({@link Retention.Run}, {@link Retention#failed}) is the real one.
 */
@Tag("routes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one Camel context for all tests of the class
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = "camel.main.routes-include-pattern=classpath:routes/data-protection.camel.yaml,classpath:routes/route-configurations.camel.yaml",
        advices = @AdviceRouteMapping(route = "data-retention", advice = DataProtectionRoutesTest.Advice.class),
        mockEndpointsAndSkip = "micrometer:*")
class DataProtectionRoutesTest {

    public static class Advice extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:data-retention");
        }
    }

    /** Batches [1, 2, 3] and [4], then none; erasing lead 2 throws, lead 3 is no longer due. */
    public static class StandInRetention extends Retention {
        final List<Long> tried = new CopyOnWriteArrayList<>();
        final List<Summary> finished = new CopyOnWriteArrayList<>();
        final List<List<Long>> batches = new ArrayList<>();
        private int batch;

        StandInRetention() {
            super(null, null, Duration.ofDays(180), Clock.systemUTC());
        }

        void reset() {
            tried.clear();
            finished.clear();
            batch = 0;
            batches.clear();
            batches.add(List.of(1L, 2L, 3L));
            batches.add(List.of(4L));
            batches.add(List.of());
        }

        @Override
        public List<Long> nextBatch(Run run) {
            List<Long> ids = batches.get(batch++);
            // the run goes on while a batch may have more behind it (the real one: a full batch)
            run.batchRead(ids, batch < batches.size());
            return ids;
        }

        @Override
        public boolean erase(Run run, long leadId) {
            tried.add(leadId);
            if (leadId == 2) {
                // a message that quotes a homeowner must not reach the log
                throw new IllegalStateException("duplicate key: Erika Mustermann");
            }
            run.counted(leadId != 3);
            return leadId != 3;
        }

        @Override
        public Summary finish(Run run) {
            Summary summary = run.summary();
            finished.add(summary);
            return summary;
        }
    }

    @BindToRegistry("retention")
    StandInRetention retention = new StandInRetention();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:micrometer:counter:geolead.retention.failures")
    MockEndpoint failures;

    @BeforeEach
    void reset() {
        retention.reset();
        failures.reset();
    }

    @Test
    void theScheduleStartsTheRunUnderTheSharedErrorHandling() throws Exception {
        failures.expectedMessageCount(1);
        context.createProducerTemplate().sendBody("direct:data-retention", null);
        failures.assertIsSatisfied();
        assertThat(context.getRoute("data-retention-run").getConfigurationId()).isEqualTo("geolead-errors");
        assertThat(context.getRoute("data-retention").getEndpoint().getEndpointUri()).startsWith("direct:");
    }

    @Test
    void everyBatchIsWorkedThroughAndOneLeadsFailureIsLoggedAndCountedWhileTheOthersGoOn() throws Exception {
        failures.expectedMessageCount(1);
        Retention.Summary summary;
        try (LogCapture log = LogCapture.open()) {
            summary = context.createProducerTemplate().requestBody("direct:data-retention-run", null, Retention.Summary.class);
            assertThat(log.linesContaining("Data retention: erasing lead 2 failed, the others go on"))
                    .singleElement().asString().startsWith("WARN ").contains("IllegalStateException")
                    .doesNotContain("Mustermann");
            assertThat(log.linesContaining("Data retention: 2 lead(s) erased, 1 failed, 1 no longer due")).hasSize(1);
        }
        assertThat(retention.tried).as("every lead of every batch, in order").containsExactly(1L, 2L, 3L, 4L);
        assertThat(summary.erased()).isEqualTo(2);
        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.notDue()).isEqualTo(1);
        assertThat(retention.finished).containsExactly(summary);
        failures.assertIsSatisfied();
        // geolead_retention_failures is increased by the run's failures
        assertThat(context.hasEndpoint("micrometer://counter:geolead.retention.failures?increment=1")).isNotNull();
    }

    @Test
    void theImportantStepsHaveIds() {
        for (String id : List.of("data-retention-start", "data-retention-batches", "data-retention-next-batch", "data-retention-each-lead",
                "data-retention-erase", "data-retention-lead-failed", "data-retention-finish", "data-retention-summary",
                "data-retention-failures-counted")) {
            assertThat(context.getProcessor(id)).as(id).isNotNull();
        }
    }
}
