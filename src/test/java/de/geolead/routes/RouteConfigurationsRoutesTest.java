package de.geolead.routes;

import de.geolead.dialfire.DialfireAccessDeniedException;
import de.geolead.dialfire.DialfireUnavailableException;
import de.geolead.testing.LogCapture;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/route-configurations.camel.yaml: what geolead-errors does to a scheduled run that fails (a stand-in route
 * opts into it, src/test/resources/route-tests/geolead-errors-probe.camel.yaml), and that every route configuration
 * is used by a route. delivery-errors and webhook-errors are tested with their routes (LeadDeliveryRoutesTest,
 * StripeWebhookRoutesTest).
 */
@Tag("routes")
// one Camel context for the whole class (each test resets the mock it asserts on)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = "camel.main.routes-include-pattern=classpath:routes/route-configurations.camel.yaml,"
                + "classpath:route-tests/geolead-errors-probe.camel.yaml")
class RouteConfigurationsRoutesTest {

    static final Path CONFIGURATIONS = RouteFileCheck.ROUTES.resolve("route-configurations.camel.yaml");

    /** The step of the stand-in route: throws what the test gives it. */
    public static class FailingStep {
        volatile RuntimeException failure;

        public void run() {
            throw failure;
        }
    }

    @BindToRegistry("failingStep")
    FailingStep step = new FailingStep();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:after-the-failure")
    MockEndpoint after;

    @Test
    void dialfireAccessDeniedStopsTheRunWithOneErrorLine() throws Exception {
        assertHandled(new DialfireAccessDeniedException("Dialfire answered 403 for campaign transactions"),
                "ERROR de.geolead.errors geolead-errors-probe: run stopped, nothing imported - Dialfire answered 403 for campaign transactions");
    }

    @Test
    void dialfireUnavailableGivesTheRunUpWithOneWarning() throws Exception {
        assertHandled(new DialfireUnavailableException("Dialfire answered 503 five times", null),
                "WARN de.geolead.errors geolead-errors-probe: run given up, the next run resumes from the last committed page"
                        + " - Dialfire answered 503 five times");
    }

    @Test
    void anyOtherFailureEndsTheRunWithOneErrorLine() throws Exception {
        assertHandled(new IllegalStateException("database gone"),
                "ERROR de.geolead.errors geolead-errors-probe: run failed, the next run resumes from the last committed page"
                        + " - java.lang.IllegalStateException: database gone");
    }

    @Test
    void theProbeUsesGeoleadErrors() {
        assertThat(context.getRoute("geolead-errors-probe").getConfigurationId()).isEqualTo("geolead-errors");
    }

    /** The run ends at the failure, nothing reaches the caller (a quartz trigger), one line of the expected level. */
    private void assertHandled(RuntimeException failure, String expectedLine) throws Exception {
        step.failure = failure;
        after.reset();
        after.expectedMessageCount(0);
        Exchange run;
        try (LogCapture log = LogCapture.open()) {
            run = context.createProducerTemplate().send("direct:geolead-errors-probe", e -> e.getMessage().setBody("tick"));
            assertThat(log.linesContaining("de.geolead.errors")).containsExactly(expectedLine);
        }
        assertThat(run.getException()).as("exception handed back to the caller").isNull();
        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class)).isSameAs(failure);
        after.assertIsSatisfied();
    }

    @Test
    void everyRouteConfigurationIsUsedByARouteOfTheRoutesFolder() throws IOException {
        Set<String> defined = new TreeSet<>();
        Set<String> used = new TreeSet<>();
        for (Path file : RouteFileCheck.routeFiles()) {
            for (Object item : yamlList(file)) {
                Map<?, ?> entry = (Map<?, ?>) item;
                if (entry.get("routeConfiguration") instanceof Map<?, ?> configuration) {
                    defined.add(String.valueOf(configuration.get("id")));
                }
                if (entry.get("route") instanceof Map<?, ?> route && route.get("routeConfigurationId") != null) {
                    // a route may name several, comma-separated
                    for (String id : String.valueOf(route.get("routeConfigurationId")).split(",")) {
                        used.add(id.trim());
                    }
                }
            }
        }
        assertThat(defined).as("route configurations in %s", CONFIGURATIONS).contains("geolead-errors", "delivery-errors", "webhook-errors");
        assertThat(used).as("route configurations used by the routes of %s", RouteFileCheck.ROUTES).containsAll(defined);
    }

    private static List<?> yamlList(Path file) throws IOException {
        Object loaded = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
        return loaded instanceof List<?> list ? list : List.of();
    }
}
