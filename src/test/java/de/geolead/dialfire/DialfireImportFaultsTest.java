package de.geolead.dialfire;

import static org.assertj.core.api.Assertions.assertThat;

import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 items 1, 2, 4 and 12 (import side) end to end: simulator and hostile PDF hosts → the real routes →
 * PostgreSQL and Artemis. One bad contact parks itself and the page goes on; only Dialfire's API stops a run.
 */
@Tag("faults")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DialfireImportFaultsTest {

    static final String CAMPAIGN = "DXX5XQHGZ3R4W6R3";
    static final String TOKEN = "campaign-token-faults";
    static final String TASK = "anrufen";
    static final String NEW_LEADS = "geolead.leads.new";
    static final Duration TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    static Path dataDir;
    static DialfireSimulator dialfire;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final AtomicInteger sequence = new AtomicInteger();

    FakeServer failing;
    FakeServer stalling;
    ConnectionRecorder recorder;
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean hostsBehave;
    byte[] hostedPdf;

    @BeforeAll
    static void start() {
        dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        Map<String, String> props = RunningApp.importingFrom(dialfire, CAMPAIGN, TOKEN);
        props.put("geolead.import.page.size", "50");
        props.put("geolead.import.http.timeout", "PT1S");
        props.put("geolead.import.http.attempts", "2");
        // no overlap: a contact is seen again only when a test says so (the retry step does the rest)
        props.put("geolead.import.overlap", "PT0S");
        // the fake PDF hosts are "localhost" (listed exactly: loopback allowed) and *.invalid (no DNS)
        props.put("dialfire.pdf.hosts", "localhost,invalid");
        props.put("geolead.pdf.retry.for", "PT1H");
        app = RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        dialfire.close();
    }

    @BeforeEach
    void cleanSlate() throws IOException {
        db.reset();
        dialfire.reset();
        app.drainQueue(NEW_LEADS);
        hostedPdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "10115", "ort", "Berlin"));
        failing = new FakeServer();
        failing.handler = exchange -> {
            if (hostsBehave) {
                FakeServer.send(exchange, 200, hostedPdf);
            } else {
                FakeServer.send(exchange, 503, "Service Unavailable".getBytes());
            }
        };
        stalling = new FakeServer();
        stalling.handler = exchange -> {
            if (hostsBehave) {
                FakeServer.send(exchange, 200, hostedPdf);
                return;
            }
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            body.write("%PDF-1.7\n".getBytes());
            body.flush();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        recorder = new ConnectionRecorder();
    }

    @AfterEach
    void closeHosts() throws IOException {
        release.countDown();
        failing.close();
        stalling.close();
        recorder.close();
    }

    /** The PDF hosts answer normally from now on. */
    void hostsBehave() {
        hostsBehave = true;
        release.countDown();
    }

    static String localhost(FakeServer server, String path) {
        return server.url(path).replace("127.0.0.1", "localhost");
    }

    /** A ready contact with a lead sheet in the campaign's resources; returns its $id. */
    static String goodContact(String plz) {
        int n = sequence.incrementAndGet();
        String path = "leads/good-" + n + ".pdf";
        dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz, "ort", "Berlin", "nachname", "Gutmann" + n)), "application/pdf");
        return readyContact(plz, path);
    }

    /** A ready contact with these values (homeowner data that must never be logged) and this PDF reference. */
    static String readyContact(String plz, String pdfUrl) {
        return readyContact(plz, pdfUrl, Map.of());
    }

    static String readyContact(String plz, String pdfUrl, Map<String, String> extra) {
        int n = sequence.incrementAndGet();
        Map<String, String> fields = new HashMap<>();
        fields.put("vorname", "Hiltrud");
        fields.put("nachname", "Geheimnisvoll" + n);
        fields.put("strasse", "Verborgener Weg " + n);
        fields.put("telefon", "+49 170 5550" + n);
        fields.put("email", "hiltrud" + n + "@private.example");
        fields.put("plz", plz);
        fields.put("ort", "Berlin");
        fields.put("pdf_url", pdfUrl);
        fields.putAll(extra);
        String id = dialfire.addContact(TASK, fields);
        dialfire.succeed(id, TASK);
        return id;
    }

    static Map<String, Object> lead(String dialfireId) {
        return db.row("SELECT l.*, p.size_bytes FROM leads l LEFT JOIN lead_pdfs p ON p.lead_id = l.id WHERE dialfire_id = ?", dialfireId);
    }

    static String status(String dialfireId) {
        return (String) lead(dialfireId).get("status");
    }

    static String reason(String dialfireId) {
        return (String) lead(dialfireId).get("status_reason");
    }

    static Instant watermark() {
        return ((Timestamp) db.row("SELECT watermark FROM import_watermarks WHERE source = 'dialfire'").get("watermark")).toInstant();
    }

    static long leadId(String dialfireId) {
        return (Long) lead(dialfireId).get("id");
    }

    @Test
    void poisonContactsAmongGoodOnesAreParkedAndThePageGoesOn() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        List<String> good = new ArrayList<>();
        good.add(goodContact("10115"));
        good.add(goodContact("10117"));
        String malformed = readyContact("20095", "http:///lead.pdf");
        String nul = readyContact("20095", "leads/irrelevant.pdf", Map.of("nachname", "Null\u0000Byte"));
        String serverError = readyContact("20095", localhost(failing, "/lead-503.pdf"));
        String refused = readyContact("20095", "http://localhost:" + closedPort + "/lead.pdf");
        String unknownHost = readyContact("20095", "https://pdf.nowhere.invalid/lead.pdf");
        String stalled = readyContact("20095", localhost(stalling, "/lead-stall.pdf"));
        String internal = readyContact("20095", "http://127.0.0.1:" + recorder.port() + "/lead.pdf");
        String metadata = readyContact("20095", "http://169.254.169.254/latest/meta-data/iam/");
        String tooLong = readyContact("20095", "leads/" + "x".repeat(400) + ".pdf");
        good.add(goodContact("10119"));
        good.add(goodContact("10178"));
        List<String> transientOnes = List.of(serverError, refused, unknownHost, stalled);

        ImportRun run;
        Duration took;
        List<String> logLines;
        // a value too long for a column: the unexpected failure of one contact
        db.execute("ALTER TABLE leads ALTER COLUMN pdf_url TYPE VARCHAR(300)");
        try (LogCapture log = LogCapture.open()) {
            long start = System.nanoTime();
            run = app.runImportExpectingSuccess();
            took = Duration.ofNanos(System.nanoTime() - start);
            logLines = log.lines();
        } finally {
            db.execute("ALTER TABLE leads ALTER COLUMN pdf_url TYPE TEXT");
        }

        assertThat(took).as("the stalled PDF host costs one timeout, not forever").isLessThan(Duration.ofSeconds(15));
        for (String id : good) {
            assertThat(status(id)).as(id).isEqualTo("pending");
        }
        assertThat(app.drainQueue(NEW_LEADS)).containsExactlyInAnyOrderElementsOf(good.stream().map(id -> Long.toString(leadId(id))).toList());
        assertThat(watermark()).as("the run finished: the watermark moved to the last fired time the feed showed")
                .isEqualTo(Instant.parse((String) dialfire.contact(good.get(good.size() - 1)).get("$entry_date")));

        assertThat(lead(malformed)).containsEntry("status", "pdf_missing").containsEntry("pdf_failure", "permanent")
                .containsEntry("status_reason", "PDF reference is not a valid URL or path (field 'pdf_url')");
        assertThat(lead(nul)).containsEntry("status", "invalid")
                .containsEntry("status_reason", "field 'nachname' contains a NUL character");
        assertThat(lead(nul).get("contact").toString()).as("a sanitised copy is kept").contains("Null\uFFFDByte");
        for (String id : transientOnes) {
            assertThat(lead(id)).as(id).containsEntry("status", "pdf_missing").containsEntry("pdf_failure", "transient")
                    .containsEntry("status_reason", "PDF could not be fetched (temporary) (field 'pdf_url')");
            assertThat(lead(id).get("pdf_retry_until")).isNotNull();
        }
        for (String id : List.of(internal, metadata)) {
            assertThat(lead(id)).as(id).containsEntry("status", "pdf_missing").containsEntry("pdf_failure", "permanent")
                    .containsEntry("status_reason", "PDF source not allowed (field 'pdf_url')");
        }
        assertThat(recorder.accepted).as("the internal port was never connected to").hasValue(0);
        assertThat(lead(tooLong)).containsEntry("status", "invalid")
                .containsEntry("status_reason", "could not be stored as it is (unexpected error)");
        assertThat(run.invalid()).isEqualTo(2);
        assertThat(run.pdfMissing()).isEqualTo(7);

        // item 12: neither homeowner data nor PDF URLs, hosts or ports in the log or in any reason
        List<String> secrets = new ArrayList<>(List.of("Hiltrud", "Geheimnisvoll", "Verborgener", "+49 170", "private.example",
                "Null", "localhost", "nowhere.invalid", "169.254", "127.0.0.1:", "lead-503", "lead-stall", "xxxxxxxxxx",
                String.valueOf(recorder.port()), String.valueOf(closedPort)));
        List<String> reasons = db.rows("SELECT status_reason FROM leads WHERE status_reason IS NOT NULL").stream()
                .map(r -> (String) r.get("status_reason")).toList();
        for (String secret : secrets) {
            assertThat(logLines).as("log lines with " + secret).noneMatch(line -> line.contains(secret));
            assertThat(reasons).as("reasons with " + secret).noneMatch(line -> line.contains(secret));
        }
        assertThat(reasons).noneMatch(r -> r.matches(".*\\b(HTTP|[45]\\d\\d)\\b.*"));

        // the next run goes on with new contacts, and fetches the transient ones again: the hosts behave now
        String later = goodContact("10179");
        hostsBehave();
        app.runImportExpectingSuccess();

        assertThat(status(later)).isEqualTo("pending");
        assertThat(lead(serverError)).containsEntry("status", "pending").containsEntry("plz", "20095")
                .containsEntry("pdf_failure", null).containsEntry("pdf_retry_until", null).containsEntry("status_reason", null);
        assertThat(lead(stalled)).containsEntry("status", "pending").containsEntry("size_bytes", hostedPdf.length);
        assertThat(app.drainQueue(NEW_LEADS)).containsExactlyInAnyOrder(
                Long.toString(leadId(later)), Long.toString(leadId(serverError)), Long.toString(leadId(stalled)));
        assertThat(status(refused)).as("still refused: stays parked for another try").isEqualTo("pdf_missing");
        assertThat(status(internal)).isEqualTo("pdf_missing");
        assertThat(recorder.accepted).hasValue(0);
    }

    @Test
    void aTransientlyParkedLeadIsRetriedOnlyWithinTheRetryPeriod() {
        String expired = readyContact("80331", localhost(failing, "/expired.pdf"));
        String due = readyContact("80333", localhost(failing, "/due.pdf"));
        app.runImportExpectingSuccess();
        assertThat(lead(expired)).containsEntry("status", "pdf_missing").containsEntry("pdf_failure", "transient");
        int requestsAfterFirstRun = failing.requests.size();

        // still failing: parked as before, the retry period keeps running from the first failure
        Object retryUntil = lead(due).get("pdf_retry_until");
        app.runImportExpectingSuccess();
        assertThat(failing.requests.size()).as("both fetched again, twice each (attempts)").isEqualTo(requestsAfterFirstRun + 4);
        assertThat(lead(due)).containsEntry("status", "pdf_missing").containsEntry("pdf_retry_until", retryUntil);
        assertThat(app.drainQueue(NEW_LEADS)).isEmpty();

        db.update("UPDATE leads SET pdf_retry_until = now() - interval '1 second' WHERE dialfire_id = ?", expired);
        hostsBehave();
        app.runImportExpectingSuccess();

        assertThat(status(due)).isEqualTo("pending");
        assertThat(lead(expired)).as("after GEOLEAD_PDF_RETRY_FOR it stays parked").containsEntry("status", "pdf_missing");
        assertThat(failing.requests).noneMatch(r -> r.path().equals("/expired.pdf") && r.nanoTime() > failing.requests.get(requestsAfterFirstRun + 3).nanoTime());
        assertThat(app.drainQueue(NEW_LEADS)).containsExactly(Long.toString(leadId(due)));
    }

    /* "A PDF uploaded after the success": seen again in the feed (overlap, re-scan), its PDF is fetched again. */
    @Test
    void aPdfUploadedAfterTheSuccessIsFetchedWhenTheContactIsSeenAgain() {
        String id = readyContact("50667", "leads/uploaded-later.pdf");
        app.runImportExpectingSuccess();
        assertThat(lead(id)).containsEntry("status", "pdf_missing").containsEntry("pdf_failure", "permanent")
                .containsEntry("status_reason", "PDF not found (field 'pdf_url')");
        String version = (String) lead(id).get("dialfire_version");

        dialfire.putResource("leads/uploaded-later.pdf", hostedPdf, "application/pdf");
        // the same transaction comes by again, e.g. in a re-scan: same $version
        db.update("UPDATE import_watermarks SET watermark = watermark - interval '1 hour'");
        app.runImportExpectingSuccess();

        assertThat(lead(id)).containsEntry("status", "pending").containsEntry("dialfire_version", version)
                .containsEntry("size_bytes", hostedPdf.length);
        assertThat(app.drainQueue(NEW_LEADS)).containsExactly(Long.toString(leadId(id)));
    }

    @Test
    void aStalledDialfireApiCallIsRetriedThenTheRunGivesUpWithoutMovingTheWatermark() {
        String first = goodContact("10115");
        app.runImportExpectingSuccess();
        Instant before = watermark();
        app.drainQueue(NEW_LEADS);
        String second = goodContact("10117");
        dialfire.stallNext("contacts/transactions", Duration.ofSeconds(5), 2);

        long start = System.nanoTime();
        Exchange failed = app.runImport();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(failed.getProperty(Exchange.EXCEPTION_CAUGHT)).isInstanceOf(DialfireUnavailableException.class);
        assertThat(took).as("two attempts of one second, not forever").isLessThan(Duration.ofSeconds(10));
        assertThat(watermark()).isEqualTo(before);
        assertThat(db.count("SELECT count(*) FROM leads WHERE dialfire_id = ?", second)).isZero();

        dialfire.stallNext("flat_view", Duration.ofSeconds(5), 2);
        assertThat(app.runImport().getProperty(Exchange.EXCEPTION_CAUGHT)).isInstanceOf(DialfireUnavailableException.class);
        assertThat(watermark()).isEqualTo(before);

        app.runImportExpectingSuccess();
        assertThat(status(first)).isEqualTo("pending");
        assertThat(status(second)).isEqualTo("pending");
    }
}
