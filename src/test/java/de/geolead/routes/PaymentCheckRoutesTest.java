package de.geolead.routes;

import de.geolead.billing.PaymentCheck;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.BeanInject;
import org.apache.camel.EndpointInject;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("routes")
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

    public static class FakeCheck {
        public PaymentCheck.Summary run() { return new PaymentCheck.Summary(3, 1, 2, 0); }
    }

    @BindToRegistry("paymentCheck")
    FakeCheck check = new FakeCheck();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:micrometer:counter:geolead.payment.check.failures")
    MockEndpoint failures;

    @Test
    void runs() throws Exception {
        failures.expectedMessageCount(1);
        context.createProducerTemplate().sendBody("direct:payment-check", null);
        failures.assertIsSatisfied();
        assertThat(context.getRoute("payment-check-run").getConfigurationId()).isEqualTo("geolead-errors");
    }
}
