package de.geolead.dialfire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.geolead.lead.LeadSheetDownload;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9 items 2 and 4 at the Dialfire calls of the route (through {@link DialfireCalls}): the timeout bounds the whole call (a host that sends the headers
 * and then stalls), lead sheets come only from allowed sources (no connection to anything else), and a
 * lead sheet's failure is a result of that one lead, never an exception that stops the run.
 */
@Tag("faults")
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DialfireCallsFaultsTest {

    private static final String CAMPAIGN = "DXX5XQHGZ3R4W6R3";
    private static final String TOKEN = "campaign-token-Fa17";
    private static final int ATTEMPTS = 2;
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration STALL = Duration.ofSeconds(20);

    private static DialfireSimulator sim;
    private static byte[] pdf;

    private FakeServer foreign;
    private ConnectionRecorder recorder;
    /** Ends the stall of a stalling handler, so that the test server stops at once. */
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void startSimulator() {
        sim = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331"));
    }

    @AfterAll
    static void stopSimulator() {
        sim.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        sim.reset();
        foreign = new FakeServer();
        recorder = new ConnectionRecorder();
    }

    @AfterEach
    void tearDown() throws IOException {
        DialfireCalls.closeAll();
        release.countDown();
        foreign.close();
        recorder.close();
    }

    private static DialfireCalls client(String... pdfHosts) {
        return new DialfireCalls(sim.baseUrl(), CAMPAIGN, TOKEN, ATTEMPTS, Duration.ofMillis(5), TIMEOUT, List.of(pdfHosts));
    }

    /** The foreign test server by the name "localhost" (listed explicitly in these tests). */
    private String viaLocalhost(String path) {
        return foreign.url(path).replace("127.0.0.1", "localhost");
    }

    // ================================================================== item 2: whole-call timeout

    @Test
    void aPdfHostThatSendsHeadersAndThenStallsIsCutOffAfterTheTimeout() {
        foreign.handler = exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            body.write("%PDF-1.7\n".getBytes());
            body.flush();
            await(release, STALL);
        };
        long start = System.nanoTime();

        LeadSheetDownload download = client("localhost").leadSheet(viaLocalhost("/slow.pdf"), 1_000_000);

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(download.isPresent()).isFalse();
        assertThat(download.temporary()).isTrue();
        assertThat(download.missingReason()).isEqualTo(LeadSheetDownload.TEMPORARY);
        assertThat(took).as("one timeout, not retried on the spot").isLessThan(TIMEOUT.multipliedBy(3));
        assertThat(foreign.requests).hasSize(1);
    }

    /* A body that drips (a byte well within each read's timeout) is cut off by the whole-answer deadline. */
    @Test
    void aPdfHostThatDripsItsBodyIsCutOffAfterTheTimeoutToo() {
        foreign.handler = exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            body.write("%PDF-1.7\n".getBytes());
            for (int i = 0; i < 200 && release.getCount() > 0; i++) {
                body.write(' ');
                body.flush();
                await(release, TIMEOUT.dividedBy(5));
            }
        };
        long start = System.nanoTime();

        LeadSheetDownload download = client("localhost").leadSheet(viaLocalhost("/drip.pdf"), 1_000_000);

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(download.isPresent()).isFalse();
        assertThat(download.temporary()).isTrue();
        assertThat(took).as("the deadline, not the drip's end").isLessThan(TIMEOUT.multipliedBy(4));
        assertThat(foreign.requests).hasSize(1);
    }

    @Test
    void aStalledDialfireResourceIsCutOffToo() {
        sim.putResource("leads/a.pdf", pdf, null);
        sim.stallNext("resources/leads/a.pdf", STALL, 1);
        long start = System.nanoTime();

        LeadSheetDownload download = client().leadSheet("leads/a.pdf", 1_000_000);

        assertThat(download.temporary()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.multipliedBy(3));
        assertThat(client().leadSheet("leads/a.pdf", 1_000_000).bytes()).as("the host behaves again").isEqualTo(pdf);
    }

    @Test
    void aStalledFeedIsRetriedAndThenGivesUpWithinTheAttemptsTimesTheTimeout() {
        sim.stallNext("contacts/transactions", STALL, ATTEMPTS);
        long start = System.nanoTime();

        assertThatThrownBy(() -> client().transactions(Instant.now().minusSeconds(60), Instant.now(), "", List.of(), 10))
                .isInstanceOf(DialfireUnavailableException.class)
                .hasMessageContaining(ATTEMPTS + " attempts")
                .hasMessageContaining("SocketTimeoutException");

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isLessThan(TIMEOUT.multipliedBy(ATTEMPTS + 2));
        assertThat(sim.requestLog().stream().filter(r -> r.contains("contacts/transactions"))).hasSize(ATTEMPTS);
    }

    @Test
    void aStalledFeedIsRetriedAndTheNextAttemptSucceeds() {
        String id = sim.addContact("anrufen", Map.of());
        sim.succeed(id, "anrufen");
        sim.stallNext("contacts/transactions", STALL, 1);

        TransactionPage page = client().transactions(Instant.now().minusSeconds(60), Instant.now().plusSeconds(5), "", List.of(), 10);

        assertThat(page.contactIds()).containsExactly(id);
    }

    // ================================================================== item 4: SSRF

    @Test
    void aLoopbackPortThatIsNotTheDialfireApiIsNeverConnectedTo() {
        LeadSheetDownload download = client().leadSheet("http://127.0.0.1:" + recorder.port() + "/lead.pdf", 1_000_000);

        assertThat(download.missingReason()).isEqualTo(LeadSheetDownload.NOT_ALLOWED);
        assertThat(download.temporary()).isFalse();
        assertThat(recorder.accepted).as("no connection").hasValue(0);
    }

    @Test
    void cloudMetadataAndOtherSchemesAreRefused() {
        DialfireCalls client = client("localhost", "169.254.169.254.nip.io");

        assertThat(client.leadSheet("http://169.254.169.254/latest/meta-data/", 1_000_000).missingReason())
                .isEqualTo(LeadSheetDownload.NOT_ALLOWED);
        assertThat(client.leadSheet("http://[::ffff:127.0.0.1]:" + recorder.port() + "/a.pdf", 1_000_000).missingReason())
                .isEqualTo(LeadSheetDownload.NOT_ALLOWED);
        // anything but http(s):// is a path inside the campaign's resources
        assertThat(client.leadSheet("file:///etc/passwd", 1_000_000).missingReason()).isEqualTo(LeadSheetDownload.NOT_FOUND);
        assertThat(sim.requestLog()).singleElement().asString().startsWith("GET /api/campaigns/" + CAMPAIGN + "/resources/file");
        assertThat(recorder.accepted).hasValue(0);
    }

    @Test
    void anExplicitlyListedHostIsFetchedEvenOnLoopback() {
        foreign.handler = exchange -> FakeServer.send(exchange, 200, pdf);

        assertThat(client("localhost").leadSheet(viaLocalhost("/a.pdf"), 1_000_000).bytes()).isEqualTo(pdf);
        assertThat(client().leadSheet(viaLocalhost("/a.pdf"), 1_000_000).missingReason())
                .as("not listed").isEqualTo(LeadSheetDownload.NOT_ALLOWED);
        assertThat(foreign.requests).hasSize(1);
    }

    @Test
    void aRedirectFromAnAllowedHostToAForbiddenOneIsRefused() {
        foreign.handler = exchange -> {
            exchange.getResponseHeaders().set("Location", "http://127.0.0.1:" + recorder.port() + "/internal.pdf");
            exchange.sendResponseHeaders(302, -1);
        };

        LeadSheetDownload download = client("localhost").leadSheet(viaLocalhost("/a.pdf"), 1_000_000);

        assertThat(download.missingReason()).isEqualTo(LeadSheetDownload.NOT_ALLOWED);
        assertThat(foreign.requests).hasSize(1);
        assertThat(recorder.accepted).hasValue(0);
    }

    // ================================================================== item 1: failures of one sheet are results

    @Test
    void aMalformedUrlIsAnInvalidReference() {
        LeadSheetDownload download = client().leadSheet("http:///lead.pdf", 1_000_000);

        assertThat(download.missingReason()).isEqualTo(LeadSheetDownload.INVALID_REFERENCE);
        assertThat(download.temporary()).isFalse();
    }

    @Test
    void aRefusedConnectionAndAnUnknownHostAreTemporary() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        DialfireCalls client = client("localhost", "invalid");

        LeadSheetDownload refused = client.leadSheet("http://localhost:" + closed + "/a.pdf", 1_000_000);
        LeadSheetDownload unknown = client.leadSheet("https://pdf.nowhere.invalid/a.pdf", 1_000_000);

        assertThat(refused.temporary()).isTrue();
        assertThat(refused.missingReason()).isEqualTo(LeadSheetDownload.TEMPORARY);
        assertThat(unknown.temporary()).isTrue();
        assertThat(unknown.missingReason()).isEqualTo(LeadSheetDownload.TEMPORARY);
    }

    private static void await(CountDownLatch latch, Duration atMost) {
        try {
            latch.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
