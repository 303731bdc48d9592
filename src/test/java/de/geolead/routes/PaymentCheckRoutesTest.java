package de.geolead.routes;

import de.geolead.billing.BillingStore;
import de.geolead.billing.PaymentCheck;
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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/payment-check.camel.yaml: the quartz start replaced by a direct endpoint, the metric mocked, and
 * {@code paymentCheck} a stand-in over three agents of which the second fails. The stand-in is a real
 * {@link PaymentCheck} whose Stripe and database steps are replaced; its counting ({@link PaymentCheck.Run},
 * {@link PaymentCheck#failed}) is the real one.
 */
@Tag("routes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one Camel context for all tests of the class
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = {
        "camel.main.routes-include-pattern=classpath:routes/payment-check.camel.yaml,classpath:routes/route-configurations.camel.yaml",
        "geolead.billing.enabled=true"},
        advices = @AdviceRouteMapping(route = "payment-check", advice = PaymentCheckRoutesTest.Advice.class),
        mockEndpointsAndSkip = "micrometer:*")
class PaymentCheckRoutesTest {

    public static class Advice extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:payment-check");
        }
    }

    /** Agents 1, 2 and 3 linked to Stripe; one checkout linked at the start; agent 2's check throws, agent 3 changes. */
    public static class StandInCheck extends PaymentCheck {
        final List<Long> checked = new CopyOnWriteArrayList<>();
        final List<PaymentCheck.Summary> finished = new CopyOnWriteArrayList<>();

        StandInCheck() {
            super(null, null, null, Duration.ZERO, Clock.systemUTC());
        }

        @Override
        public Run start() {
            return new Run(1, 0);
        }

        @Override
        public List<BillingStore.StripeAgent> customers() {
            return List.of(new BillingStore.StripeAgent(1, List.of("cus_1")),
                    new BillingStore.StripeAgent(2, List.of("cus_2a", "cus_2b")),
                    new BillingStore.StripeAgent(3, List.of("cus_3")));
        }

        @Override
        public boolean check(Run run, BillingStore.StripeAgent agent) {
            checked.add(agent.customerId());
            if (agent.customerId() == 2) {
                // a message that quotes an e-mail must not reach the log
                throw new IllegalStateException("duplicate key: makler@example.test");
            }
            run.checked(agent.customerId() == 3);
            return agent.customerId() == 3;
        }

        @Override
        public Summary finish(Run run) {
            Summary summary = run.summary();
            finished.add(summary);
            return summary;
        }
    }

    @BindToRegistry("paymentCheck")
    StandInCheck check = new StandInCheck();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:micrometer:counter:geolead.payment.check.failures")
    MockEndpoint failures;

    @BeforeEach
    void reset() {
        check.checked.clear();
        check.finished.clear();
    }

    @Test
    void theScheduleStartsTheRunUnderTheSharedErrorHandling() throws Exception {
        failures.reset();
        failures.expectedMessageCount(1);
        context.createProducerTemplate().sendBody("direct:payment-check", null);
        failures.assertIsSatisfied();
        assertThat(context.getRoute("payment-check-run").getConfigurationId()).isEqualTo("geolead-errors");
    }

    @Test
    void oneCustomersFailureIsLoggedAndCountedAndTheOthersGoOn() throws Exception {
        failures.reset();
        failures.expectedMessageCount(1);
        PaymentCheck.Summary summary;
        try (LogCapture log = LogCapture.open()) {
            summary = context.createProducerTemplate().requestBody("direct:payment-check-run", null, PaymentCheck.Summary.class);
            assertThat(log.linesContaining("Payment check of customer 2 (cus_2a, cus_2b) failed, the others go on"))
                    .singleElement().asString().startsWith("WARN ").contains("IllegalStateException")
                    .doesNotContain("makler@example.test");
            assertThat(log.linesContaining("Payment check: 2 customer(s) checked, 1 changed, 1 failed, 1 checkout(s) without event linked"))
                    .hasSize(1);
        }
        assertThat(check.checked).as("every agent checked, in order").containsExactly(1L, 2L, 3L);
        assertThat(summary).isEqualTo(new PaymentCheck.Summary(2, 1, 1, 1));
        assertThat(check.finished).containsExactly(summary);
        failures.assertIsSatisfied();
        // geolead_payment_check_failures is increased by the run's failures
        assertThat(context.hasEndpoint("micrometer://counter:geolead.payment.check.failures?increment=1")).isNotNull();
    }

    @Test
    void theImportantStepsHaveIds() {
        for (String id : List.of("payment-check-link-checkouts", "payment-check-list-customers", "payment-check-each-customer",
                "payment-check-customer", "payment-check-customer-failed", "payment-check-finish", "payment-check-failures-counted")) {
            assertThat(context.getProcessor(id)).as(id).isNotNull();
        }
    }
}
