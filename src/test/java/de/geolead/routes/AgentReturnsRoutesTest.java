package de.geolead.routes;

import de.geolead.returns.ReturnLinkPages;
import de.geolead.returns.ReturnView;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.BeanInject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/agent-returns.camel.yaml with its error configuration return-link-errors: platform-http replaced by direct,
 * metrics mocked, {@code returnLinkPages} a stand-in answering by the token: {@code form}, {@code filed},
 * {@code expired} (a refusal page), {@code broken} (a failure).
 */
@Tag("routes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = "camel.main.routes-include-pattern=classpath:routes/agent-returns.camel.yaml,classpath:routes/route-configurations.camel.yaml",
        advices = @AdviceRouteMapping(route = "return-link", advice = AgentReturnsRoutesTest.LinkAdvice.class),
        mockEndpointsAndSkip = "micrometer:.*")
class AgentReturnsRoutesTest {

    static final String LINK = "direct:return-link-request";

    public static class LinkAdvice extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith(LINK);
        }
    }

    public static class StandInPages {
        public ReturnLinkPages.Page answer(String method, String token, Object body) {
            return switch (token) {
                case "form" -> new ReturnLinkPages.Page(200, "<p>form " + method + "</p>", null);
                case "filed" -> new ReturnLinkPages.Page(200, "<p>danke</p>", new ReturnView(5, 42, 7, "Makler", 311, "wrong_data",
                        null, "link", "agent-7", "2026-11-28T10:00:00Z", "open", null, null, null, null, null, 0.2));
                case "expired" -> throw new ReturnLinkPages.LinkProblem(410, "Link abgelaufen", "Dieser Link ist abgelaufen.");
                default -> throw new IllegalStateException("Filing a return of lead 42 failed (SQLState 08006)");
            };
        }

        public ReturnLinkPages.Page problem(Throwable failure) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                if (cause instanceof ReturnLinkPages.LinkProblem problem) {
                    return new ReturnLinkPages.Page(problem.status(), "<p>" + problem.getMessage() + "</p>", null);
                }
            }
            return new ReturnLinkPages.Page(500, "<p>Fehler</p>", null);
        }
    }

    @BindToRegistry("returnLinkPages")
    StandInPages pages = new StandInPages();

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:micrometer:counter:geolead.returns")
    MockEndpoint filedCounter;

    @BeforeEach
    void reset() {
        MockEndpoint.resetMocks(context);
    }

    Exchange call(String method, String token) {
        ProducerTemplate producer = context.createProducerTemplate();
        return producer.request(LINK, exchange -> {
            exchange.getMessage().setHeaders(new java.util.HashMap<>(Map.of("CamelHttpMethod", method, "token", token,
                    "Cookie", "session=abc", "Content-Type", "application/x-www-form-urlencoded")));
            exchange.getMessage().setBody("reason=wrong_data");
        });
    }

    @Test
    void aFiledReturnIsCountedAndAnsweredAsAPageWithItsSafetyHeaders() {
        Exchange answer = call("POST", "filed");

        assertThat(answer.getException()).isNull();
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("<p>danke</p>");
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(200);
        assertThat(answer.getMessage().getHeaders()).containsEntry("Content-Type", "text/html; charset=utf-8")
                .containsEntry("X-Frame-Options", "DENY").containsEntry("Referrer-Policy", "no-referrer")
                .containsEntry("Cache-Control", "no-store").containsKey("Content-Security-Policy")
                .doesNotContainKeys("token", "Cookie");
        assertThat(filedCounter.getReceivedCounter()).isEqualTo(1);
    }

    @Test
    void theFormIsNotCounted() {
        Exchange answer = call("GET", "form");

        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("<p>form GET</p>");
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(200);
        assertThat(filedCounter.getReceivedCounter()).isZero();
    }

    @Test
    void aRefusalIsAPageWithItsStatus() {
        Exchange answer = call("POST", "expired");

        assertThat(answer.getException()).isNull();
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(410);
        assertThat(answer.getMessage().getBody(String.class)).contains("abgelaufen");
        assertThat(answer.getMessage().getHeaders()).containsEntry("X-Frame-Options", "DENY").doesNotContainKey("token");
        assertThat(filedCounter.getReceivedCounter()).isZero();
    }

    @Test
    void aFailureIsA500PageThatSaysNothingOfItsCause() {
        Exchange answer = call("POST", "broken");

        assertThat(answer.getException()).isNull();
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(500);
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("<p>Fehler</p>");
        assertThat(answer.getMessage().getHeaders()).containsEntry("Content-Type", "text/html; charset=utf-8").doesNotContainKey("token");
    }
}
