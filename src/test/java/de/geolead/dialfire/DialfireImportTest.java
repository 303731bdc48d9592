package de.geolead.dialfire;

import de.geolead.lead.LeadSheetPdf;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The Dialfire import end to end: simulator → real routes → PostgreSQL and Artemis. */
class DialfireImportTest {

    static final String CAMPAIGN = "DXX5XQHGZ3R4W6R3";
    static final String TOKEN = "campaign-token-for-tests";
    static final String TASK = "anrufen";
    static final String NEW_LEADS = "geolead.leads.new";

    @TempDir
    static Path dataDir;
    static DialfireSimulator dialfire;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final AtomicInteger sequence = new AtomicInteger();

    @BeforeAll
    static void start() {
        dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        app = startApp();
    }

    static RunningApp startApp() {
        // this class checks the intake stage's output: the leads and their messages on geolead.leads.new
        Map<String, String> props = RunningApp.importingFrom(dialfire, CAMPAIGN, TOKEN);
        props.put("geolead.import.page.size", "10");
        return RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        dialfire.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        dialfire.reset();
        app.drainQueue(NEW_LEADS);
    }

    /** A contact with a lead sheet in the campaign's resources; returns its $id. */
    static String contactWithSheet(String plzField, String plzInPdf, String ort) {
        int n = sequence.incrementAndGet();
        String path = "leads/sheet-" + n + ".pdf";
        Map<String, String> sheet = new HashMap<>(Map.of("ort", ort, "vorname", "Erika", "nachname", "Muster" + n));
        if (plzInPdf != null) {
            sheet.put("plz", plzInPdf);
        }
        dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(sheet), "application/pdf");
        return dialfire.addContact(TASK, fields(plzField, ort, path, n));
    }

    static Map<String, String> fields(String plz, String ort, String pdfUrl, int n) {
        Map<String, String> fields = new HashMap<>();
        fields.put("vorname", "Erika");
        fields.put("nachname", "Muster" + n);
        fields.put("strasse", "Musterweg " + n);
        fields.put("plz", plz);
        fields.put("ort", ort);
        fields.put("pdf_url", pdfUrl);
        return fields;
    }

    static Map<String, Object> lead(String dialfireId) {
        return db.row("SELECT l.*, p.sha256, p.size_bytes, p.content FROM leads l LEFT JOIN lead_pdfs p ON p.lead_id = l.id WHERE dialfire_id = ?", dialfireId);
    }

    @Test
    void importsEveryReadyContactAcrossSeveralPagesExactlyOnce() {
        List<String> ready = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String id = contactWithSheet(String.format("%05d", 10115 + i), String.format("%05d", 10115 + i), "Berlin");
            dialfire.succeed(id, TASK);
            ready.add(id);
        }
        String stillOpen = contactWithSheet("80331", "80331", "München");
        String declined = contactWithSheet("80333", "80333", "München");
        dialfire.moveTo(declined, TASK, "declined");

        ImportRun run = app.runImportExpectingSuccess();

        assertThat(run.pages()).as("25+ transactions at 10 a page").isGreaterThanOrEqualTo(3);
        assertThat(db.count("SELECT count(*) FROM leads")).isEqualTo(25);
        assertThat(db.count("SELECT count(*) FROM leads WHERE dialfire_id IN (?, ?)", stillOpen, declined)).isZero();
        for (String id : ready) {
            Map<String, Object> lead = lead(id);
            assertThat(lead.get("status")).isEqualTo("pending");
            assertThat(lead.get("plz")).isEqualTo(dialfire.contact(id).get("plz"));
            byte[] pdf = (byte[]) lead.get("content");
            assertThat(LeadSheetPdf.looksLikePdf(pdf)).isTrue();
            assertThat(lead.get("sha256")).isEqualTo(LeadSheetPdf.sha256Hex(pdf));
            assertThat(lead.get("size_bytes")).isEqualTo(pdf.length);
            assertThat(lead.get("dialfire_version")).isEqualTo(dialfire.contact(id).get("$version"));
        }
        List<String> published = app.drainQueue(NEW_LEADS);
        assertThat(published).containsExactlyInAnyOrderElementsOf(
                db.rows("SELECT id FROM leads").stream().map(r -> r.get("id").toString()).toList());

        ImportRun again = app.runImportExpectingSuccess();

        assertThat(again.created()).isZero();
        assertThat(db.count("SELECT count(*) FROM leads")).isEqualTo(25);
        assertThat(app.drainQueue(NEW_LEADS)).as("nothing new to distribute").isEmpty();
        Instant watermark = ((Timestamp) db.row("SELECT watermark FROM import_watermarks WHERE source = 'dialfire'").get("watermark")).toInstant();
        assertThat(watermark).as("the last fired time seen in the feed")
                .isEqualTo(Instant.parse((String) dialfire.contact(declined).get("$entry_date")));
    }

    @Test
    void findsThePlzInsideThePdfWhenTheFieldIsEmptyOrInvalid() {
        String empty = contactWithSheet("", "01067", "Dresden");
        String invalid = contactWithSheet("8033", "04109", "Leipzig");
        dialfire.succeed(empty, TASK);
        dialfire.succeed(invalid, TASK);

        app.runImportExpectingSuccess();

        assertThat(lead(empty)).containsEntry("plz", "01067").containsEntry("status", "pending");
        assertThat(lead(invalid)).containsEntry("plz", "04109").containsEntry("status", "pending");
        assertThat(app.drainQueue(NEW_LEADS)).hasSize(2);
    }

    @Test
    void keepsALeadWithoutAnyPlzAsUnroutable() {
        String id = contactWithSheet("", null, "Irgendwo");
        dialfire.succeed(id, TASK);

        app.runImportExpectingSuccess();

        Map<String, Object> lead = lead(id);
        assertThat(lead.get("status")).isEqualTo("unroutable");
        assertThat(lead.get("plz")).isNull();
        assertThat((String) lead.get("status_reason")).contains("no valid PLZ").contains("'plz'");
        assertThat(lead.get("content")).as("the PDF is kept").isNotNull();
        assertThat(app.drainQueue(NEW_LEADS)).as("not distributable").isEmpty();
    }

    @Test
    void keepsLeadsWhoseSheetIsBrokenMissingOrAbsentAsPdfMissing() {
        int n = sequence.incrementAndGet();
        dialfire.putResource("leads/broken.pdf", "<html>Fehler</html>".getBytes(StandardCharsets.UTF_8), "application/pdf");
        String broken = dialfire.addContact(TASK, fields("80331", "München", "leads/broken.pdf", n));
        String notThere = dialfire.addContact(TASK, fields("80331", "München", "leads/does-not-exist.pdf", n + 1));
        String noReference = dialfire.addContact(TASK, fields("80331", "München", "", n + 2));
        for (String id : List.of(broken, notThere, noReference)) {
            dialfire.succeed(id, TASK);
        }

        app.runImportExpectingSuccess();

        assertThat(lead(broken)).containsEntry("status", "pdf_missing").containsEntry("plz", "80331");
        assertThat((String) lead(broken).get("status_reason")).contains("not a PDF");
        // issue 9: the reason stays generic (no status code)
        assertThat((String) lead(notThere).get("status_reason")).contains("PDF not found");
        assertThat((String) lead(noReference).get("status_reason")).contains("no PDF reference");
        assertThat(db.count("SELECT count(*) FROM lead_pdfs")).isZero();
        assertThat(app.drainQueue(NEW_LEADS)).isEmpty();
    }

    @Test
    void takesAbsolutePdfUrlsOnTheDialfireHost() {
        int n = sequence.incrementAndGet();
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "50667", "ort", "Köln"));
        dialfire.putResource("leads/absolute.pdf", pdf, "application/pdf");
        String id = dialfire.addContact(TASK, fields("50667", "Köln",
                dialfire.baseUrl() + "/api/campaigns/" + CAMPAIGN + "/resources/leads/absolute.pdf", n));
        dialfire.succeed(id, TASK);

        app.runImportExpectingSuccess();

        assertThat(lead(id)).containsEntry("status", "pending");
        assertThat((byte[]) lead(id).get("content")).isEqualTo(pdf);
    }

    @Test
    void aNewerVersionRefreshesTheContactOnlyWhileTheLeadIsNotDistributed() {
        String id = contactWithSheet("10115", "10115", "Berlin");
        dialfire.succeed(id, TASK);
        app.runImportExpectingSuccess();
        long leadId = (Long) lead(id).get("id");
        app.drainQueue(NEW_LEADS);

        dialfire.updateFields(id, Map.of("strasse", "Neue Straße 5", "plz", "10117"));
        app.runImportExpectingSuccess();

        Map<String, Object> refreshed = lead(id);
        assertThat(refreshed.get("id")).isEqualTo(leadId);
        assertThat(refreshed.get("plz")).isEqualTo("10117");
        assertThat(refreshed.get("contact").toString()).contains("Neue Straße 5");
        assertThat(refreshed.get("dialfire_version")).isEqualTo(dialfire.contact(id).get("$version"));
        assertThat(app.drainQueue(NEW_LEADS)).containsExactly(Long.toString(leadId));

        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", leadId);
        dialfire.updateFields(id, Map.of("strasse", "Dritte Straße 9", "plz", "10119"));
        app.runImportExpectingSuccess();

        Map<String, Object> kept = lead(id);
        assertThat(kept.get("plz")).as("a distributed lead keeps what its agents got").isEqualTo("10117");
        assertThat(kept.get("contact").toString()).contains("Neue Straße 5").doesNotContain("Dritte Straße 9");
        assertThat(db.count("SELECT count(*) FROM leads")).isEqualTo(1);
        assertThat(app.drainQueue(NEW_LEADS)).isEmpty();
    }

    @Test
    void retriesWhenDialfireAnswers429AndThenImports() {
        String id = contactWithSheet("20095", "20095", "Hamburg");
        dialfire.succeed(id, TASK);
        dialfire.failNext("/contacts/transactions", 429, 2);

        app.runImportExpectingSuccess();

        assertThat(lead(id)).containsEntry("status", "pending");
        assertThat(dialfire.requestLog().stream().filter(r -> r.contains("/contacts/transactions")).count()).isEqualTo(3);
    }

    @Test
    void a403StopsTheRunAtOnceWithOneClearErrorAndImportsNothing() {
        String id = contactWithSheet("20095", "20095", "Hamburg");
        dialfire.succeed(id, TASK);
        dialfire.failNext("/contacts/transactions", 403, 1);

        Exchange exchange;
        try (LogCapture log = LogCapture.open()) {
            exchange = app.runImport();
            assertThat(log.linesContaining("HTTP 403")).hasSize(1)
                    .first().asString().startsWith("ERROR").contains("DIALFIRE_CAMPAIGN_TOKEN").doesNotContain(TOKEN);
        }

        assertThat(exchange.getProperty(Exchange.EXCEPTION_CAUGHT)).isInstanceOf(DialfireAccessDeniedException.class);
        assertThat(dialfire.requestLog()).as("no retry storm").hasSize(1);
        assertThat(db.count("SELECT count(*) FROM leads")).isZero();
        assertThat(db.count("SELECT count(*) FROM import_watermarks")).isZero();
    }

    @Test
    void aRunThatGivesUpAfterTheFirstPageResumesWithoutDuplicatesOrGaps() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String id = contactWithSheet(String.format("%05d", 30159 + i), String.format("%05d", 30159 + i), "Hannover");
            dialfire.succeed(id, TASK);
            ids.add(id);
        }
        // every request for a page after the first keeps failing during this run
        dialfire.failNext("cursor=", 503, 3);

        Exchange failed = app.runImport();

        assertThat(failed.getProperty(Exchange.EXCEPTION_CAUGHT)).isInstanceOf(DialfireUnavailableException.class);
        assertThat(db.count("SELECT count(*) FROM leads")).as("the first page is committed").isEqualTo(10);
        Instant watermark = ((Timestamp) db.row("SELECT watermark FROM import_watermarks").get("watermark")).toInstant();
        Instant tenth = Instant.parse((String) dialfire.contact(ids.get(9)).get("$entry_date"));
        assertThat(watermark).as("the watermark stands at the first page's last transaction").isEqualTo(tenth);
        List<String> publishedBefore = app.drainQueue(NEW_LEADS);

        // restart: a new application on the same database and broker journal
        app.close();
        app = startApp();
        app.runImportExpectingSuccess();

        assertThat(db.count("SELECT count(*) FROM leads")).isEqualTo(25);
        assertThat(db.rows("SELECT dialfire_id FROM leads").stream().map(r -> r.get("dialfire_id")).toList())
                .containsExactlyInAnyOrderElementsOf(ids);
        List<String> published = new ArrayList<>(publishedBefore);
        published.addAll(app.drainQueue(NEW_LEADS));
        assertThat(published).as("each lead published once").hasSize(25).doesNotHaveDuplicates();
    }
}
