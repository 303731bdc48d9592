package de.geolead.routes;

import de.geolead.dialfire.DialfireAccessDeniedException;
import de.geolead.dialfire.DialfireApi;
import de.geolead.dialfire.DialfireImport;
import de.geolead.dialfire.DialfireUnavailableException;
import de.geolead.dialfire.ImportRun;
import de.geolead.dialfire.ImportWatermarks;
import de.geolead.dialfire.LeadSheets;
import de.geolead.lead.LeadIntake;
import de.geolead.lead.LeadOutcome;
import de.geolead.lead.LeadSheetDownload;
import de.geolead.lead.LeadStatus;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decisions of routes/dialfire-import.camel.yaml, with Dialfire (the three camel-http calls), the database
 * (watermarks, leads) and the broker replaced: pages are fetched until the last, the watermark moves after each page,
 * only ready contacts become leads, only complete leads are published, a 403 stops the run, a 429 is redelivered
 * (Retry-After honoured) and a redelivery that runs out gives the run up.
 */
@Tag("routes")
@CamelMainTest(propertyPlaceholderLocations = {"classpath:route-tests.properties", "classpath:application.properties"},
        properties = {
                "camel.main.routes-include-pattern=classpath:routes/dialfire-import.camel.yaml,classpath:routes/route-configurations.camel.yaml",
                "geolead.import.enabled=true",
                "dialfire.base.url=https://dialfire.test",
                "dialfire.campaign.id=CAMPAIGN1",
                "dialfire.campaign.token=token-route-test",
                "geolead.import.http.attempts=3"},
        advices = {
                @AdviceRouteMapping(route = "dialfire-import", advice = DialfireImportRoutesTest.NoSchedule.class),
                @AdviceRouteMapping(route = "dialfire-fetch-transactions", advice = DialfireImportRoutesTest.FakeFeed.class),
                @AdviceRouteMapping(route = "dialfire-fetch-contacts", advice = DialfireImportRoutesTest.FakeFlatView.class),
                @AdviceRouteMapping(route = "dialfire-lead-sheet", advice = DialfireImportRoutesTest.FakePdfHost.class)},
        mockEndpointsAndSkip = "(jms|micrometer):.*")
class DialfireImportRoutesTest {

    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

    /** One canned HTTP answer. */
    record Answer(int status, String body, String retryAfter, String location) {
        Answer(int status, String body, String retryAfter) {
            this(status, body, retryAfter, null);
        }

        static Answer ok(String body) {
            return new Answer(200, body, null);
        }

        static Answer redirect(String location) {
            return new Answer(302, "", null, location);
        }
    }

    /** What each fake Dialfire call answers next (the last one repeats), and what it was asked. */
    static final class FakeCall implements Processor {
        final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        final List<Map<String, Object>> requests = Collections.synchronizedList(new ArrayList<>());
        volatile Answer last = Answer.ok("");

        void reset() {
            answers.clear();
            requests.clear();
            last = Answer.ok("");
        }

        @Override
        public void process(Exchange exchange) throws Exception {
            requests.add(Map.copyOf(withoutNulls(exchange)));
            Answer answer = answers.poll();
            if (answer == null) {
                answer = last;
            } else {
                last = answer;
            }
            if (answer.status() == NO_ANSWER) {
                throw new java.net.SocketTimeoutException("Read timed out");
            }
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, answer.status());
            if (answer.location() != null) {
                exchange.getMessage().setHeader("Location", answer.location());
            }
            if (answer.retryAfter() != null) {
                exchange.getMessage().setHeader("Retry-After", answer.retryAfter());
            }
            exchange.getMessage().setBody(answer.body().getBytes(StandardCharsets.UTF_8));
        }

        private static Map<String, Object> withoutNulls(Exchange exchange) {
            Map<String, Object> copy = new java.util.HashMap<>();
            exchange.getMessage().getHeaders().forEach((k, v) -> {
                if (v != null) {
                    copy.put(k, v);
                }
            });
            copy.put("body", String.valueOf(exchange.getMessage().getBody(String.class)));
            return copy;
        }
    }

    /** A fake answer that is none: the call times out. */
    static final int NO_ANSWER = -1;

    static final FakeCall FEED = new FakeCall();
    static final FakeCall FLAT_VIEW = new FakeCall();
    static final FakeCall PDF_HOST = new FakeCall();

    public static class NoSchedule extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            replaceFromWith("direct:dialfire-import-schedule");
        }
    }

    /** The endpoint URIs of the replaced http calls, by node id, as the route file has them. */
    static final Map<String, String> HTTP_URIS = new java.util.concurrent.ConcurrentHashMap<>();

    static void rememberUri(org.apache.camel.model.RouteDefinition route, String id) {
        for (org.apache.camel.model.ToDefinition to : org.apache.camel.model.ProcessorDefinitionHelper.filterTypeInOutputs(
                route.getOutputs(), org.apache.camel.model.ToDefinition.class)) {
            if (id.equals(to.getId())) {
                HTTP_URIS.put(id, to.getEndpointUri());
            }
        }
    }

    public static class FakeFeed extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            rememberUri(getOriginalRoute(), "fetch-transactions");
            weaveById("fetch-transactions").replace().process(FEED);
        }
    }

    public static class FakeFlatView extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            rememberUri(getOriginalRoute(), "fetch-contacts");
            weaveById("fetch-contacts").replace().process(FLAT_VIEW);
        }
    }

    public static class FakePdfHost extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            rememberUri(getOriginalRoute(), "fetch-lead-sheet");
            weaveById("fetch-lead-sheet").replace().process(PDF_HOST);
        }
    }

    /** Watermarks in memory: what the route moved, in order. */
    static final class Watermarks extends ImportWatermarks {
        final List<String> moves = Collections.synchronizedList(new ArrayList<>());

        Watermarks() {
            super(null);
        }

        @Override
        public Optional<Instant> read(String source) {
            return Optional.empty();
        }

        @Override
        public void advance(String source, Instant to, boolean success) {
            moves.add((success ? "run " : "page ") + to);
        }

        @Override
        public Optional<Instant> lastRescan(String source) {
            return Optional.of(NOW);
        }

        @Override
        public void rescanDone(String source, Instant at, String summary) {
        }
    }

    /** Leads in memory: a lead is pending with its sheet, parked pdf_missing without. */
    static final class Intake extends LeadIntake {
        final List<String> stored = Collections.synchronizedList(new ArrayList<>());
        final List<String> reasons = Collections.synchronizedList(new ArrayList<>());
        /** Per contact id: the transaction time the route handed to plan (the consent time). */
        final Map<String, String> transactionTimes = new java.util.concurrent.ConcurrentHashMap<>();

        Intake() {
            super(null, "plz", "pdf_url", Duration.ofHours(1), Clock.fixed(NOW, ZoneOffset.UTC));
        }

        @Override
        public Plan plan(Map<String, Object> fields, Instant transactionAt) {
            transactionTimes.put(String.valueOf(fields.get("$id")), String.valueOf(transactionAt));
            return new Plan(fields, FETCH_PDF, String.valueOf(fields.get("pdf_url")), null, Optional.empty(), false);
        }

        @Override
        public LeadOutcome store(Plan plan, LeadSheetDownload sheet) {
            String id = plan.dialfireId();
            stored.add(id);
            if (!sheet.isPresent()) {
                reasons.add(sheet.missingReason());
            }
            long leadId = Long.parseLong(id.replaceAll("\\D", ""));
            return sheet.isPresent()
                    ? new LeadOutcome(leadId, id, LeadOutcome.CREATED, LeadStatus.PENDING, "10115", null)
                    : new LeadOutcome(leadId, id, LeadOutcome.CREATED, LeadStatus.PDF_MISSING, null, sheet.missingReason());
        }

        @Override
        public List<Map<String, Object>> dueForPdfRetry(Instant runStart) {
            return List.of();
        }
    }

    final Watermarks watermarks = new Watermarks();
    final Intake intake = new Intake();

    @BindToRegistry("dialfireImport")
    DialfireImport dialfireImport = new DialfireImport(watermarks, List.of(), Duration.ofDays(7), Duration.ZERO,
            Duration.ofDays(2), Duration.ofDays(1), 2, Clock.fixed(NOW, ZoneOffset.UTC));
    @BindToRegistry("dialfireApi")
    DialfireApi dialfireApi = new DialfireApi("CAMPAIGN1", 3, Duration.ofMillis(1));
    @BindToRegistry("leadSheets")
    LeadSheets leadSheets = new LeadSheets("https://dialfire.test", "CAMPAIGN1", List.of("dialfire.test", "files.example.test"), 2, Duration.ofMillis(1), 1_000_000);
    @BindToRegistry("leadIntake")
    LeadIntake leadIntake = intake;
    @BindToRegistry("importWorkers")
    ExecutorService importWorkers = Executors.newFixedThreadPool(2);

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:jms:queue:geolead.leads.new")
    MockEndpoint published;

    @BeforeEach
    void resetFakes() {
        FEED.reset();
        FLAT_VIEW.reset();
        PDF_HOST.reset();
        intake.stored.clear();
        intake.reasons.clear();
        intake.transactionTimes.clear();
        watermarks.moves.clear();
    }

    static String page(String cursor, String... contactIds) {
        StringBuilder results = new StringBuilder();
        for (int i = 0; i < contactIds.length; i++) {
            results.append(i == 0 ? "" : ",").append("\"2026-11-28T11:0").append(i).append(":00.000Z0001|md5|").append(contactIds[i]).append("|0,0\"");
        }
        return "{\"count\":" + contactIds.length + ",\"results\":[" + results + "],\"cursor\":\"" + cursor + "\"}";
    }

    static String contact(String id, String status, String pdf) {
        return "{\"$id\":\"" + id + "\",\"$version\":\"v1\",\"$status\":\"" + status + "\",\"$task\":\"anrufen\",\"pdf_url\":\"" + pdf + "\"}";
    }

    Exchange runImport() {
        return context.createProducerTemplate().send("direct:dialfire-import-run", exchange -> { });
    }

    @Test
    void pagesAreFetchedUntilTheLastAndOnlyCompleteReadyLeadsArePublished() throws Exception {
        FEED.answers.add(Answer.ok(page("cursor-2", "C1", "C2")));
        FEED.answers.add(Answer.ok(page("", "C3")));
        FLAT_VIEW.answers.add(Answer.ok("[" + contact("C1", "success", "leads/1.pdf") + "," + contact("C2", "open", "leads/2.pdf") + "]"));
        FLAT_VIEW.answers.add(Answer.ok("[" + contact("C3", "success", "leads/missing.pdf") + "]"));
        PDF_HOST.answers.add(new Answer(200, "%PDF-1.7 sheet", null));
        PDF_HOST.answers.add(new Answer(404, "not found", null));
        published.expectedBodiesReceived("1");

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT)).isNull();
        assertThat(FEED.requests).hasSize(2);
        assertThat((String) FEED.requests.get(0).get(Exchange.HTTP_QUERY)).contains("limit=2").doesNotContain("cursor=");
        assertThat((String) FEED.requests.get(1).get(Exchange.HTTP_QUERY)).contains("cursor=cursor-2");
        // the method is the endpoint's: no CamelHttpMethod header to convert on every call
        assertThat(FEED.requests).allSatisfy(r -> assertThat(r).containsEntry("Authorization", "Bearer token-route-test")
                .doesNotContainKey(Exchange.HTTP_METHOD));
        assertThat(HTTP_URIS.get("fetch-transactions")).contains("httpMethod=GET");
        assertThat(FLAT_VIEW.requests).extracting(r -> r.get("body")).containsExactly("[\"C1\",\"C2\"]", "[\"C3\"]");
        assertThat(FLAT_VIEW.requests).allSatisfy(r -> assertThat(r).doesNotContainKey(Exchange.HTTP_METHOD));
        assertThat(HTTP_URIS.get("fetch-contacts")).contains("httpMethod=POST");
        // C2 is not ready: never stored; C3's sheet is missing: stored, parked, not published
        assertThat(intake.stored).containsExactlyInAnyOrder("C1", "C3");
        // each contact's consent time is the fired time of its transaction on the feed page
        assertThat(intake.transactionTimes).containsOnly(Map.entry("C1", "2026-11-28T11:00:00Z"), Map.entry("C3", "2026-11-28T11:00:00Z"));
        published.assertIsSatisfied();
        assertThat(watermarks.moves).containsExactly(
                "page 2026-11-28T11:01:00Z", "page 2026-11-28T11:00:00Z", "run 2026-11-28T11:01:00Z");
        ImportRun result = run.getMessage().getBody(ImportRun.class);
        assertThat(result.pages()).isEqualTo(2);
        assertThat(result.created()).isEqualTo(2);
        assertThat(result.pdfMissing()).isEqualTo(1);
    }

    @Test
    void aLeadSheetRedirectIsJudgedPerHopAndTheTokenStaysWithTheDialfireApi() {
        FEED.answers.add(Answer.ok(page("", "C1")));
        FLAT_VIEW.answers.add(Answer.ok("[" + contact("C1", "success", "leads/1.pdf") + "]"));
        PDF_HOST.answers.add(Answer.redirect("https://files.example.test/signed/1.pdf?sig=abc"));
        PDF_HOST.answers.add(new Answer(200, "%PDF-1.7 sheet", null, null));
        published.expectedBodiesReceived("1");

        assertThat(runImport().getProperty(Exchange.EXCEPTION_CAUGHT)).isNull();

        assertThat(PDF_HOST.requests).hasSize(2);
        assertThat(PDF_HOST.requests.get(0)).containsEntry("Authorization", "Bearer token-route-test")
                .containsEntry(Exchange.HTTP_URI, "https://dialfire.test/api/campaigns/CAMPAIGN1/resources/leads/1.pdf");
        assertThat(PDF_HOST.requests.get(1)).doesNotContainKey("Authorization")
                .containsEntry(Exchange.HTTP_URI, "https://files.example.test/signed/1.pdf?sig=abc");
        assertThat(PDF_HOST.requests).allSatisfy(r -> assertThat(r).doesNotContainKey(Exchange.HTTP_METHOD));
        assertThat(HTTP_URIS.get("fetch-lead-sheet")).contains("httpMethod=GET");
        assertThat(intake.stored).containsExactly("C1");
    }

    @Test
    void aLeadSheetRedirectToASourceNotAllowedIsNeverAskedAndTheLeadIsParked() throws Exception {
        FEED.answers.add(Answer.ok(page("", "C1")));
        FLAT_VIEW.answers.add(Answer.ok("[" + contact("C1", "success", "leads/1.pdf") + "]"));
        PDF_HOST.answers.add(Answer.redirect("http://169.254.169.254/latest/meta-data/"));
        published.expectedMessageCount(0);

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT)).isNull();
        assertThat(PDF_HOST.requests).as("the redirect target was never asked").hasSize(1);
        assertThat(intake.stored).containsExactly("C1");
        assertThat(intake.reasons).containsExactly(LeadSheetDownload.NOT_ALLOWED);
        assertThat(run.getMessage().getBody(ImportRun.class).pdfMissing()).isEqualTo(1);
        published.assertIsSatisfied();
    }

    @Test
    void a403StopsTheRunAtOnce() {
        FEED.answers.add(new Answer(403, "forbidden", null));

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT)).isInstanceOf(DialfireAccessDeniedException.class);
        assertThat(FEED.requests).as("no retry").hasSize(1);
        assertThat(FLAT_VIEW.requests).isEmpty();
        assertThat(watermarks.moves).isEmpty();
    }

    @Test
    void a429WithRetryAfterIsRedeliveredAfterTheTimeDialfireAskedFor() {
        FEED.answers.add(new Answer(429, "slow down", "1"));
        FEED.answers.add(new Answer(503, "busy", null));
        FEED.answers.add(Answer.ok(page("")));
        long start = System.nanoTime();

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT)).as("a call that succeeded at last leaves no failure").isNull();
        assertThat(FEED.requests).extracting(r -> r.get(Exchange.REDELIVERY_COUNTER)).containsExactly(null, 1, 2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("Retry-After: 1, not the 1 ms backoff")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(watermarks.moves).containsExactly("run " + NOW.minus(Duration.ofDays(7)));
    }

    @Test
    void aRedeliveryThatRunsOutGivesTheRunUpAndKeepsTheWatermark() {
        FEED.answers.add(Answer.ok(page("cursor-2", "C1")));
        FLAT_VIEW.answers.add(Answer.ok("[" + contact("C1", "success", "leads/1.pdf") + "]"));
        PDF_HOST.answers.add(new Answer(200, "%PDF-1.7 sheet", null));
        FEED.answers.add(new Answer(503, "busy", "0"));

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class)).isInstanceOf(DialfireUnavailableException.class)
                .hasMessageContaining("3 attempts");
        assertThat(FEED.requests).as("the first page, then the second page three times").hasSize(4);
        assertThat(watermarks.moves).as("the first page only").containsExactly("page 2026-11-28T11:00:00Z");
    }

    @Test
    void aFlatViewThatKeepsFailingIsRedeliveredAsOftenAsTheFeedAndGivesTheRunUp() {
        FEED.answers.add(Answer.ok(page("", "C1")));
        FLAT_VIEW.answers.add(new Answer(503, "busy", "0"));

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class)).isInstanceOf(DialfireUnavailableException.class)
                .hasMessageContaining("contacts flat_view").hasMessageContaining("3 attempts");
        assertThat(FEED.requests).hasSize(1);
        assertThat(FLAT_VIEW.requests).extracting(r -> r.get(Exchange.REDELIVERY_COUNTER)).containsExactly(null, 1, 2);
        assertThat(watermarks.moves).isEmpty();
    }

    @Test
    void aCallThatGetsNoAnswerIsRedeliveredThenTheRunIsGivenUp() {
        FEED.answers.add(new Answer(NO_ANSWER, "", null));
        FEED.answers.add(Answer.ok(page("cursor-2", "C1")));
        FLAT_VIEW.answers.add(new Answer(NO_ANSWER, "", null));

        Exchange run = runImport();

        assertThat(run.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class)).isInstanceOf(DialfireUnavailableException.class)
                .hasMessageContaining("contacts flat_view").hasMessageContaining("3 attempts").hasMessageContaining("SocketTimeoutException");
        assertThat(FEED.requests).extracting(r -> r.get(Exchange.REDELIVERY_COUNTER)).containsExactly(null, 1);
        assertThat(FLAT_VIEW.requests).hasSize(3);
        assertThat(watermarks.moves).isEmpty();
    }

    @Test
    void onlyTheRunRouteHandlesErrorsTheRoutesItCallsHandBackTheirFailures() {
        assertThat(context.getRoute("dialfire-import-run").getConfigurationId()).isEqualTo("geolead-errors");
        assertThat(context.getRoute("dialfire-lead").getConfigurationId()).isNull();
        assertThat(context.getRoute("dialfire-store-lead").getConfigurationId()).isNull();
        assertThat(context.getRoute("dialfire-fetch-transactions").getConfigurationId()).isEqualTo("dialfire-calls");
        assertThat(context.getRoute("dialfire-fetch-contacts").getConfigurationId()).isEqualTo("dialfire-calls");
    }
}
