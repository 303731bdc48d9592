package de.geolead.dialfire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import de.geolead.lead.LeadSheetDownload;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Dialfire calls of routes/dialfire-import.camel.yaml (through {@link DialfireCalls}, the API the hand-written client had)
 * against the Dialfire simulator, plus a small foreign HTTP server where needed.
 */
@Timeout(30)
class DialfireCallsTest {

    private static final String CAMPAIGN = "DXX5XQHGZ3R4W6R3";
    private static final String TOKEN = "campaign-token-Zq81xV";
    private static final int ATTEMPTS = 3;
    private static final Duration BACKOFF = Duration.ofMillis(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String FEED = "/api/campaigns/" + CAMPAIGN + "/contacts/transactions/";
    private static final String FLAT_VIEW = "POST /api/campaigns/" + CAMPAIGN + "/contacts/flat_view";
    private static final String RESOURCES = "/api/campaigns/" + CAMPAIGN + "/resources/";

    private static DialfireSimulator sim;
    private static byte[] pdf;

    private DialfireCalls client;
    private Instant testStart;

    @BeforeAll
    static void startSimulator() {
        sim = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331", "ort", "München", "nachname", "Müller"));
    }

    @AfterAll
    static void stopSimulator() {
        sim.close();
    }

    @AfterEach
    void closeCalls() {
        DialfireCalls.closeAll();
    }

    @BeforeEach
    void resetSimulator() {
        sim.reset();
        client = client(sim.baseUrl());
        testStart = Instant.now().minusSeconds(1);
    }

    private static DialfireCalls client(String baseUrl) {
        return new DialfireCalls(baseUrl, CAMPAIGN, TOKEN, ATTEMPTS, BACKOFF, TIMEOUT);
    }

    /** A client whose DIALFIRE_PDF_HOSTS lists these hosts (the test servers run on 127.0.0.1). */
    private static DialfireCalls client(String baseUrl, String... pdfHosts) {
        return new DialfireCalls(baseUrl, CAMPAIGN, TOKEN, ATTEMPTS, BACKOFF, TIMEOUT, List.of(pdfHosts));
    }

    private static List<String> requests(String fragment) {
        return sim.requestLog().stream().filter(line -> line.contains(fragment)).toList();
    }

    private List<String> succeeded(int count, String task) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = sim.addContact("anrufen", Map.of("plz", String.valueOf(80331 + i)));
            sim.succeed(id, task);
            ids.add(id);
        }
        return ids;
    }

    private TransactionPage feed(String cursor, List<String> tasks, int limit) {
        return client.transactions(testStart, Instant.now().plusSeconds(5), cursor, tasks, limit);
    }

    // ================================================================== transactions feed

    @Nested
    class Transactions {

        @Test
        void pagesThroughTheFeedWithASmallLimitAndTheCursor() {
            List<String> ids = succeeded(5, "termin_vereinbart");

            List<String> seen = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            String cursor = "";
            TransactionPage page;
            do {
                page = feed(cursor, List.of(), 2);
                sizes.add(page.pointers().size());
                seen.addAll(page.contactIds());
                cursor = page.cursor();
            } while (!page.lastPage());

            assertThat(sizes).containsExactly(2, 2, 1);
            assertThat(seen).containsExactlyElementsOf(ids);
            List<String> log = requests("contacts/transactions");
            assertThat(log).hasSize(3).allSatisfy(line -> assertThat(line).startsWith("GET " + FEED + "?").contains("limit=2"));
            assertThat(log.get(0)).doesNotContain("cursor=");
            assertThat(log.get(1)).contains("cursor=");
            assertThat(log.get(2)).contains("cursor=");
        }

        @Test
        void theWindowIsPassedInDialfireTimeFormat() {
            List<String> ids = new ArrayList<>();
            List<Instant> fired = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ids.add(sim.addContact("anrufen", Map.of()));
                fired.add(sim.succeed(ids.get(i), "termin_vereinbart"));
                sleepAMillisecond();
            }

            TransactionPage page = client.transactions(fired.get(1), fired.get(2), "", List.of(), 100);

            // from and to are inclusive; the pointers carry the fired times
            assertThat(page.contactIds()).containsExactly(ids.get(1), ids.get(2));
            assertThat(page.maxFired()).contains(fired.get(2));
            assertThat(page.lastPage()).isTrue();
            String from = DialfireApi.TIME.format(fired.get(1));
            assertThat(from).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}");
            assertThat(requests("contacts/transactions")).singleElement().asString()
                    .contains("from=" + from.replace(":", "%3A"))
                    .contains("to=" + DialfireApi.TIME.format(fired.get(2)).replace(":", "%3A"));
        }

        private void sleepAMillisecond() {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Test
        void taskPrefixesArePassedThrough() {
            List<String> termin = succeeded(2, "termin_vereinbart");
            succeeded(2, "rueckruf");
            List<String> besichtigung = succeeded(1, "besichtigung");

            TransactionPage onlyTermin = feed("", List.of("termin"), 100);
            TransactionPage two = feed("", List.of("termin", "besicht"), 100);
            TransactionPage all = feed("", List.of(), 100);

            assertThat(onlyTermin.contactIds()).containsExactlyElementsOf(termin);
            List<String> expected = new ArrayList<>(termin);
            expected.addAll(besichtigung);
            assertThat(two.contactIds()).containsExactlyElementsOf(expected);
            assertThat(all.contactIds()).hasSize(5);
            List<String> log = requests("contacts/transactions");
            assertThat(log.get(0)).contains("tasks=termin");
            assertThat(log.get(1)).contains("tasks=termin%2Cbesicht");
            assertThat(log.get(2)).doesNotContain("tasks=");
        }

        @Test
        void anEmptyFeedIsALastPage() {
            TransactionPage page = feed(null, List.of(), 10);

            assertThat(page.pointers()).isEmpty();
            assertThat(page.lastPage()).isTrue();
        }

        @Test
        void theTokenIsSentAsBearerHeaderNotInTheUrl() {
            feed("", List.of(), 10);

            assertThat(sim.requestLog()).singleElement().asString().doesNotContain(TOKEN).doesNotContain("access_token");
        }

        @Test
        void aTrailingSlashOnTheBaseUrlDoesNotDoubleTheSlash() {
            client = client(sim.baseUrl() + "//");

            feed("", List.of(), 10);

            assertThat(sim.requestLog()).singleElement().asString().startsWith("GET " + FEED + "?");
        }

        @Test
        void aClientErrorOtherThan403IsNotRetried() {
            sim.failNext("contacts/transactions", 404, 5);

            assertThatThrownBy(() -> feed("", List.of(), 10))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("HTTP 404");
            assertThat(requests("contacts/transactions")).hasSize(1);
        }
    }

    // ================================================================== contacts flat_view

    @Nested
    class Contacts {

        @ParameterizedTest(name = "{0} ids -> {1} requests")
        @CsvSource({"1, 1", "30, 1", "31, 2", "65, 3"})
        void contactsAreFetchedThirtyAtATime(int count, int expectedRequests) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ids.add(sim.addContact("anrufen", Map.of("plz", String.valueOf(10115 + i))));
            }

            List<DialfireContact> contacts = client.contacts(ids);

            assertThat(contacts).extracting(DialfireContact::id).containsExactlyElementsOf(ids);
            assertThat(contacts.get(count - 1).field("plz")).isEqualTo(String.valueOf(10115 + count - 1));
            assertThat(requests("flat_view")).hasSize(expectedRequests).allSatisfy(line -> assertThat(line).isEqualTo(FLAT_VIEW));
        }

        @Test
        void noIdsNoRequest() {
            assertThat(client.contacts(List.of())).isEmpty();
            assertThat(sim.requestLog()).isEmpty();
        }

        @Test
        void unknownIdsAreSimplyAbsent() {
            String known = sim.addContact("anrufen", Map.of("plz", "80331"));

            List<DialfireContact> contacts = client.contacts(List.of("UNKNOWN000000000", known));

            assertThat(contacts).extracting(DialfireContact::id).containsExactly(known);
        }

        @Test
        void aFailedBatchIsRetried() {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 65; i++) {
                ids.add(sim.addContact("anrufen", Map.of()));
            }
            sim.failNext("flat_view", 500, 1);

            assertThat(client.contacts(ids)).hasSize(65);
            assertThat(requests("flat_view")).hasSize(4);
        }
    }

    // ================================================================== retries

    @Nested
    class Retries {

        @ParameterizedTest
        @ValueSource(ints = {429, 500, 502, 503})
        void transientAnswersAreRetriedThenSucceed(int status) {
            List<String> ids = succeeded(1, "termin_vereinbart");
            sim.failNext("contacts/transactions", status, ATTEMPTS - 1);

            TransactionPage page = feed("", List.of(), 10);

            assertThat(page.contactIds()).isEqualTo(ids);
            assertThat(requests("contacts/transactions")).hasSize(ATTEMPTS);
        }

        @Test
        void onlyTheFailingPageIsRetried() {
            succeeded(3, "termin_vereinbart");
            // "cursor=" matches only follow-up pages
            sim.failNext("cursor=", 503, 1);

            TransactionPage first = feed("", List.of(), 2);
            TransactionPage second = feed(first.cursor(), List.of(), 2);

            assertThat(second.pointers()).hasSize(1);
            assertThat(requests("contacts/transactions")).hasSize(3);
        }

        @Test
        void exhaustedRetriesNameTheAttemptsAndTheLastStatus() {
            sim.failNext("contacts/transactions", 500, 1);
            sim.failNext("contacts/transactions", 503, ATTEMPTS - 1);

            assertThatThrownBy(() -> feed("", List.of(), 10))
                    .isInstanceOf(DialfireUnavailableException.class)
                    .hasMessageContaining(ATTEMPTS + " attempts")
                    .hasMessageContaining("HTTP 503")
                    .hasMessageNotContaining(TOKEN);
            assertThat(requests("contacts/transactions")).hasSize(ATTEMPTS);
        }

        @Test
        void aForbiddenAnswerFailsAtOnce() {
            sim.failNext("contacts/transactions", 403, 5);

            assertThatThrownBy(() -> feed("", List.of(), 10))
                    .isInstanceOf(DialfireAccessDeniedException.class)
                    .hasMessageContaining("403")
                    .hasMessageContaining("DIALFIRE_CAMPAIGN_TOKEN")
                    .hasMessageContaining(CAMPAIGN)
                    .hasMessageNotContaining(TOKEN);
            assertThat(sim.requestLog()).hasSize(1);
        }

        @Test
        void aWrongTokenIsAccessDeniedAndNeverShown() {
            String wrongToken = "wrong-token-7f3a9c";
            client = new DialfireCalls(sim.baseUrl(), CAMPAIGN, wrongToken, ATTEMPTS, BACKOFF, TIMEOUT);

            assertThatThrownBy(() -> client.contacts(List.of("6EU52ECUGEJPHEJV")))
                    .isInstanceOf(DialfireAccessDeniedException.class)
                    .hasMessageContaining("403")
                    .hasMessageNotContaining(wrongToken);
            assertThat(sim.requestLog()).hasSize(1);
        }

        @Test
        void aClosedPortIsUnavailableAfterTheAttempts() throws IOException {
            int closedPort;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closedPort = socket.getLocalPort();
            }
            client = client("http://127.0.0.1:" + closedPort);

            assertThatThrownBy(() -> feed("", List.of(), 10))
                    .isInstanceOf(DialfireUnavailableException.class)
                    .hasMessageContaining(ATTEMPTS + " attempts")
                    .hasMessageContaining("ConnectException")
                    .hasCauseInstanceOf(ConnectException.class);
        }

        @Test
        void droppedConnectionsAreRetriedAsOften() throws Exception {
            AtomicInteger accepted = new AtomicInteger();
            try (ServerSocket dropper = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Thread acceptor = new Thread(() -> {
                    while (!dropper.isClosed()) {
                        try (Socket connection = dropper.accept()) {
                            accepted.incrementAndGet();
                        } catch (IOException closed) {
                            return;
                        }
                    }
                }, "dropper");
                acceptor.setDaemon(true);
                acceptor.start();
                client = client("http://127.0.0.1:" + dropper.getLocalPort());

                // a POST, which the JDK's HttpClient does not silently re-send on its own (it does for a GET)
                assertThatThrownBy(() -> client.contacts(List.of("6EU52ECUGEJPHEJV")))
                        .isInstanceOf(DialfireUnavailableException.class)
                        .hasMessageContaining(ATTEMPTS + " attempts")
                        .hasCauseInstanceOf(IOException.class);
            }
            assertThat(accepted).hasValue(ATTEMPTS);
        }

        @Test
        void aTimeoutIsRetried() {
            List<String> ids = succeeded(1, "termin_vereinbart");
            client = new DialfireCalls(sim.baseUrl(), CAMPAIGN, TOKEN, ATTEMPTS, BACKOFF, Duration.ofMillis(300));
            sim.delayNext("contacts/transactions", Duration.ofMillis(1500), 1);

            assertThat(feed("", List.of(), 10).contactIds()).isEqualTo(ids);
            assertThat(requests("contacts/transactions")).hasSize(2);
        }

        @Test
        void aSingleAttemptIsNotRetried() {
            client = new DialfireCalls(sim.baseUrl(), CAMPAIGN, TOKEN, 0, BACKOFF, TIMEOUT);
            sim.failNext("contacts/transactions", 503, 1);

            assertThatThrownBy(() -> feed("", List.of(), 10))
                    .isInstanceOf(DialfireUnavailableException.class)
                    .hasMessageContaining("1 attempts");
            assertThat(sim.requestLog()).hasSize(1);
        }
    }

    // ================================================================== backoff

    @Nested
    class Backoff {

        private final DialfireCalls hundredMillis =
                new DialfireCalls("http://127.0.0.1:1", CAMPAIGN, TOKEN, 5, Duration.ofMillis(100), TIMEOUT);

        @Test
        void theDelayDoublesWithEachAttempt() {
            assertThat(hundredMillis.delay(1, Optional.empty())).isEqualTo(Duration.ofMillis(100));
            assertThat(hundredMillis.delay(2, Optional.empty())).isEqualTo(Duration.ofMillis(200));
            assertThat(hundredMillis.delay(3, Optional.empty())).isEqualTo(Duration.ofMillis(400));
            assertThat(hundredMillis.delay(4, Optional.empty())).isEqualTo(Duration.ofMillis(800));
        }

        @Test
        void theDelayIsCappedAtOneMinute() {
            assertThat(hundredMillis.delay(10, Optional.empty())).isEqualTo(Duration.ofMillis(51_200));
            assertThat(hundredMillis.delay(11, Optional.empty())).isEqualTo(Duration.ofMinutes(1));
            assertThat(hundredMillis.delay(40, Optional.empty())).isEqualTo(Duration.ofMinutes(1));
            assertThat(hundredMillis.delay(Integer.MAX_VALUE, Optional.empty())).isEqualTo(Duration.ofMinutes(1));
        }

        @Test
        void aLongerRetryAfterIsHonoured() {
            assertThat(hundredMillis.delay(1, Optional.of("2"))).isEqualTo(Duration.ofSeconds(2));
            assertThat(hundredMillis.delay(3, Optional.of(" 7 "))).isEqualTo(Duration.ofSeconds(7));
        }

        @Test
        void aShorterRetryAfterDoesNotShortenTheBackoff() {
            assertThat(hundredMillis.delay(1, Optional.of("0"))).isEqualTo(Duration.ofMillis(100));
            assertThat(hundredMillis.delay(4, Optional.of("0"))).isEqualTo(Duration.ofMillis(800));
            assertThat(hundredMillis.delay(2, Optional.of("-30"))).isEqualTo(Duration.ofMillis(200));
        }

        @Test
        void retryAfterIsCappedAtOneMinute() {
            assertThat(hundredMillis.delay(1, Optional.of("61"))).isEqualTo(Duration.ofMinutes(1));
            assertThat(hundredMillis.delay(1, Optional.of("86400"))).isEqualTo(Duration.ofMinutes(1));
        }

        @ParameterizedTest
        @ValueSource(strings = {"Wed, 21 Oct 2015 07:28:00 GMT", "", "soon", "1.5", "99999999999999999999999"})
        void anUnreadableRetryAfterFallsBackToTheBackoff(String retryAfter) {
            assertThat(hundredMillis.delay(2, Optional.of(retryAfter))).isEqualTo(Duration.ofMillis(200));
        }

        @Test
        void retryAfterIsHonouredOnTheWire() throws Exception {
            try (FakeServer dialfire = new FakeServer()) {
                AtomicInteger calls = new AtomicInteger();
                dialfire.handler = exchange -> {
                    if (calls.incrementAndGet() == 1) {
                        exchange.getResponseHeaders().set("Retry-After", "1");
                        exchange.sendResponseHeaders(429, -1);
                    } else {
                        FakeServer.send(exchange, 200, "{\"count\":0,\"results\":[],\"cursor\":\"\"}".getBytes(StandardCharsets.UTF_8));
                    }
                };
                client = client(dialfire.url(""));

                assertThat(feed("", List.of(), 10).lastPage()).isTrue();

                assertThat(dialfire.requests).hasSize(2);
                long gapMillis = Duration.ofNanos(dialfire.requests.get(1).nanoTime() - dialfire.requests.get(0).nanoTime()).toMillis();
                assertThat(gapMillis).isGreaterThanOrEqualTo(900);
            }
        }
    }

    // ================================================================== lead sheets

    @Nested
    class LeadSheets {

        private FakeServer foreign;

        @BeforeEach
        void startForeignHost() throws IOException {
            foreign = new FakeServer();
            // the foreign test host is another port on 127.0.0.1: listed explicitly, loopback is allowed
            client = client(sim.baseUrl(), "127.0.0.1");
        }

        @AfterEach
        void stopForeignHost() {
            foreign.close();
        }

        @Test
        void aResourcePathIsFetchedFromTheCampaignResources() {
            sim.putResource("leads/6EU52ECUGEJPHEJV.pdf", pdf, null);

            LeadSheetDownload download = client.leadSheet("leads/6EU52ECUGEJPHEJV.pdf", 1_000_000);

            assertThat(download.isPresent()).isTrue();
            assertThat(download.bytes()).isEqualTo(pdf);
            assertThat(download.missingReason()).isNull();
            assertThat(download.sourceUrl()).isEqualTo(sim.baseUrl() + RESOURCES + "leads/6EU52ECUGEJPHEJV.pdf");
            assertThat(sim.requestLog()).containsExactly("GET " + RESOURCES + "leads/6EU52ECUGEJPHEJV.pdf");
        }

        @Test
        void aLeadingSlashAndSurroundingBlanksAreIgnored() {
            sim.putResource("leads/a.pdf", pdf, null);

            assertThat(client.leadSheet("  /leads/a.pdf \n", 1_000_000).bytes()).isEqualTo(pdf);
        }

        @Test
        void anApiPathIsTakenRelativeToTheBaseUrl() {
            sim.putResource("leads/a.pdf", pdf, null);

            assertThat(client.leadSheet(RESOURCES + "leads/a.pdf", 1_000_000).bytes()).isEqualTo(pdf);
        }

        @Test
        void anAbsoluteUrlOnTheDialfireHostIsFetchedWithTheToken() {
            // not under resources/public: the simulator answers 403 without the campaign token
            sim.putResource("leads/a.pdf", pdf, null);
            String url = sim.baseUrl() + RESOURCES + "leads/a.pdf";

            LeadSheetDownload download = client.leadSheet(url, 1_000_000);

            assertThat(download.bytes()).isEqualTo(pdf);
            assertThat(download.sourceUrl()).isEqualTo(url);
        }

        @Test
        void theTokenGoesToTheDialfireHostAsBearerHeader() {
            foreign.handler = exchange -> FakeServer.send(exchange, 200, pdf);
            client = client(foreign.url("/"));

            LeadSheetDownload download = client.leadSheet(foreign.url("/sheets/a.pdf"), 1_000_000);

            assertThat(download.bytes()).isEqualTo(pdf);
            assertThat(foreign.requests).singleElement()
                    .satisfies(request -> assertThat(request.header("authorization")).isEqualTo("Bearer " + TOKEN));
        }

        @Test
        void anAbsoluteUrlOnAForeignHostIsFetchedWithoutTheToken() {
            foreign.handler = exchange -> FakeServer.send(exchange, 200, pdf);
            String url = foreign.url("/exports/Lead-6EU52ECUGEJPHEJV.pdf?sig=abc");

            LeadSheetDownload download = client.leadSheet(url, 1_000_000);

            assertThat(download.isPresent()).isTrue();
            assertThat(download.bytes()).isEqualTo(pdf);
            assertThat(download.sourceUrl()).isEqualTo(url);
            assertThat(foreign.requests).singleElement().satisfies(request -> {
                assertThat(request.path()).isEqualTo("/exports/Lead-6EU52ECUGEJPHEJV.pdf?sig=abc");
                assertThat(request.headers()).doesNotContainKey("authorization");
                assertThat(request.headers().toString()).doesNotContain(TOKEN);
            });
            assertThat(sim.requestLog()).isEmpty();
        }

        /* The JDK's own redirect handling would copy the Authorization header to the foreign host. */
        @Test
        void theTokenDoesNotFollowARedirectToAForeignHost() throws IOException {
            try (FakeServer dialfire = new FakeServer()) {
                dialfire.handler = exchange -> {
                    exchange.getResponseHeaders().set("Location", foreign.url("/signed/lead-a.pdf?sig=xyz"));
                    exchange.sendResponseHeaders(302, -1);
                };
                foreign.handler = exchange -> FakeServer.send(exchange, 200, pdf);
                client = client(dialfire.url(""), "127.0.0.1");

                client.leadSheet("leads/a.pdf", 1_000_000);

                assertThat(dialfire.requests).singleElement()
                        .satisfies(request -> assertThat(request.header("authorization")).isEqualTo("Bearer " + TOKEN));
                assertThat(foreign.requests).allSatisfy(request -> {
                    assertThat(request.headers()).doesNotContainKey("authorization");
                    assertThat(request.headers().toString()).doesNotContain(TOKEN);
                });
            }
        }

        /* Same host, but http:// while the base URL is https://: the token must not travel in clear text. */
        @Test
        void theTokenIsNotSentInClearTextToAnHttpsDialfireHost() {
            foreign.handler = exchange -> FakeServer.send(exchange, 200, pdf);
            client = client(foreign.url("").replace("http://", "https://"));

            client.leadSheet(foreign.url("/leads/a.pdf"), 1_000_000);

            assertThat(foreign.requests).singleElement()
                    .satisfies(request -> assertThat(request.headers()).doesNotContainKey("authorization"));
        }

        @Test
        void aForbiddenForeignHostIsAMissingSheetNotAnAccessProblem() {
            foreign.handler = exchange -> FakeServer.send(exchange, 403, "denied".getBytes(StandardCharsets.UTF_8));

            LeadSheetDownload download = client.leadSheet(foreign.url("/a.pdf"), 1_000_000);

            assertThat(download.isPresent()).isFalse();
            // issue 9: the reason stays generic (no status code)
            assertThat(download.missingReason()).isEqualTo("PDF refused");
            assertThat(download.temporary()).isFalse();
            assertThat(foreign.requests).hasSize(1);
        }

        /* Issue 9: only the feed and flat_view may stop a run; one refused resource parks its lead. */
        @Test
        void aForbiddenDialfireResourceIsARefusedSheetNotARunStopper() {
            sim.failNext("resources/", 403, 1);

            LeadSheetDownload download = client.leadSheet("leads/a.pdf", 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.missingReason()).isEqualTo("PDF refused");
            assertThat(download.temporary()).isFalse();
        }

        @Test
        void aMissingResourceIsMissingWith404() {
            LeadSheetDownload download = client.leadSheet("leads/none.pdf", 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.bytes()).isNull();
            assertThat(download.missingReason()).isEqualTo("PDF not found");
            assertThat(download.sourceUrl()).isEqualTo(sim.baseUrl() + RESOURCES + "leads/none.pdf");
            assertThat(sim.requestLog()).hasSize(1);
        }

        @Test
        void aGoneForeignSheetIsMissingWith410() {
            foreign.handler = exchange -> FakeServer.send(exchange, 410, "gone".getBytes(StandardCharsets.UTF_8));

            assertThat(client.leadSheet(foreign.url("/a.pdf"), 1_000_000).missingReason()).isEqualTo("PDF not found");
        }

        @Test
        void aServerErrorIsRetriedForLeadSheetsToo() {
            sim.putResource("leads/a.pdf", pdf, null);
            sim.failNext("resources/leads/a.pdf", 503, ATTEMPTS - 1);

            assertThat(client.leadSheet("leads/a.pdf", 1_000_000).bytes()).isEqualTo(pdf);
            assertThat(sim.requestLog()).hasSize(ATTEMPTS);
        }

        /* Issue 9: a PDF host that keeps failing is a temporary problem of this lead, not of the run. */
        @Test
        void aForeignHostThatKeepsFailingIsATemporarilyMissingSheet() {
            foreign.handler = exchange -> FakeServer.send(exchange, 500, "oops".getBytes(StandardCharsets.UTF_8));

            LeadSheetDownload download = client.leadSheet(foreign.url("/a.pdf"), 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.temporary()).isTrue();
            assertThat(download.missingReason()).isEqualTo("PDF could not be fetched (temporary)");
            assertThat(download.detail()).contains(ATTEMPTS + " attempts").contains("HTTP 500");
            assertThat(foreign.requests).hasSize(ATTEMPTS);
        }

        @Test
        void somethingElseThanAPdfIsMissing() {
            sim.putResource("leads/a.pdf", "<html><body>Login</body></html>".getBytes(StandardCharsets.UTF_8), "application/pdf");

            LeadSheetDownload download = client.leadSheet("leads/a.pdf", 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.missingReason()).contains("not a PDF");
        }

        @Test
        void anEmptyBodyIsNotAPdf() {
            foreign.handler = exchange -> FakeServer.send(exchange, 200, new byte[0]);

            assertThat(client.leadSheet(foreign.url("/a.pdf"), 1_000_000).missingReason()).contains("not a PDF");
        }

        @Test
        void aSheetLargerThanMaxBytesWithContentLengthIsMissing() {
            sim.putResource("leads/a.pdf", pdf, null);
            int max = pdf.length - 1;

            LeadSheetDownload download = client.leadSheet("leads/a.pdf", max);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.missingReason()).isEqualTo("PDF too large");
        }

        @Test
        void aSheetOfExactlyMaxBytesIsFine() {
            sim.putResource("leads/a.pdf", pdf, null);

            assertThat(client.leadSheet("leads/a.pdf", pdf.length).bytes()).isEqualTo(pdf);
        }

        @Test
        void aChunkedSheetLargerThanMaxBytesIsMissing() {
            foreign.handler = exchange -> FakeServer.sendChunked(exchange, pdf);
            int max = pdf.length - 1;

            LeadSheetDownload download = client.leadSheet(foreign.url("/a.pdf"), max);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.missingReason()).isEqualTo("PDF too large");
            assertThat(foreign.requests).singleElement()
                    .satisfies(request -> assertThat(request.responseChunked()).isTrue());
        }

        @Test
        void aChunkedSheetOfExactlyMaxBytesIsFine() {
            foreign.handler = exchange -> FakeServer.sendChunked(exchange, pdf);

            assertThat(client.leadSheet(foreign.url("/a.pdf"), pdf.length).bytes()).isEqualTo(pdf);
        }

        @Test
        void aHugeChunkedDownloadStopsAtTheLimit() {
            byte[] huge = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331"), 3_000_000);
            foreign.handler = exchange -> FakeServer.sendChunked(exchange, huge);

            LeadSheetDownload download = client.leadSheet(foreign.url("/a.pdf"), 100_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.missingReason()).isEqualTo("PDF too large");
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"   ", "\t\n"})
        void aBlankReferenceIsMissingWithoutARequest(String reference) {
            LeadSheetDownload download = client.leadSheet(reference, 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.sourceUrl()).isNull();
            assertThat(download.missingReason()).contains("no PDF reference");
            assertThat(sim.requestLog()).isEmpty();
        }

        @Test
        void anInvalidUrlIsMissing() {
            LeadSheetDownload download = client.leadSheet("https://files.example/lead sheet.pdf", 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(download.missingReason()).contains("not a valid URL");
        }

        @Test
        void aPathWithSpacesAndUmlautsIsEncoded() {
            String path = "Lead Sheets/Müller Straße 5.pdf";
            sim.putResource(path, pdf, null);

            LeadSheetDownload download = client.leadSheet(path, 1_000_000);

            assertThat(download.bytes()).isEqualTo(pdf);
            String encoded = RESOURCES + "Lead%20Sheets/M%C3%BCller%20Stra%C3%9Fe%205.pdf";
            assertThat(sim.requestLog()).containsExactly("GET " + encoded);
            assertThat(download.sourceUrl()).isEqualTo(sim.baseUrl() + encoded);
        }

        @Test
        void queryAndFragmentCharactersInAPathStayInThePath() {
            String path = "leads/Exposé #1 (a+b)?.pdf";
            sim.putResource(path, pdf, null);

            LeadSheetDownload download = client.leadSheet(path, 1_000_000);

            assertThat(download.bytes()).isEqualTo(pdf);
            assertThat(sim.requestLog()).singleElement().asString()
                    .isEqualTo("GET " + RESOURCES + "leads/Expos%C3%A9%20%231%20%28a%2Bb%29%3F.pdf");
        }
    }
}
