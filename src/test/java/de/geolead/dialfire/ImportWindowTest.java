package de.geolead.dialfire;

import de.geolead.lead.LeadSheetPdf;
import de.geolead.lead.PdfBombs;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9 item 5 (contacts the watermark can skip) and item 3 through the whole intake (a PDF bomb is
 * parked with a reason): simulator → real routes → PostgreSQL and Artemis. The feed is filtered on the
 * task prefix {@value #TASK}, as in production.
 */
@Tag("faults")
class ImportWindowTest {

    static final String TASK = DialfireImportTest.TASK;
    static final String NEW_LEADS = DialfireImportTest.NEW_LEADS;

    @TempDir
    static Path dataDir;
    static DialfireSimulator dialfire;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final AtomicInteger sequence = new AtomicInteger();

    /** Like {@link DialfireImportTest}'s app, with the feed filtered on {@value #TASK}. */
    @BeforeAll
    static void start() {
        dialfire = DialfireSimulator.start(0, DialfireImportTest.CAMPAIGN, DialfireImportTest.TOKEN);
        Map<String, String> props = RunningApp.importingFrom(dialfire, DialfireImportTest.CAMPAIGN, DialfireImportTest.TOKEN);
        props.put("dialfire.tasks", TASK);
        app = RunningApp.start(dataDir, props);
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

    @AfterEach
    void dialfireClockBack() {
        dialfire.reset();
        dialfire.setClockOffset(Duration.ZERO);
    }

    /** A contact in {@value #TASK} with a lead sheet in the campaign's resources; returns its $id. */
    static String contact(String plz) {
        int n = sequence.incrementAndGet();
        String path = "leads/window-" + n + ".pdf";
        dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz, "ort", "Berlin")), "application/pdf");
        return dialfire.addContact(TASK, Map.of("plz", plz, "ort", "Berlin", "nachname", "Fenster" + n, "pdf_url", path));
    }

    static Map<String, Object> lead(String dialfireId) {
        return db.row("SELECT * FROM leads WHERE dialfire_id = ?", dialfireId);
    }

    static Instant watermark() {
        return ((Timestamp) db.row("SELECT watermark FROM import_watermarks WHERE source = 'dialfire'").get("watermark")).toInstant();
    }

    /** A day passes for the re-scan: its last success moves back by GEOLEAD_IMPORT_RESCAN_EVERY (default P1D). */
    static void rescanBecomesDue() {
        assertThat(db.update("UPDATE job_runs SET last_success_at = last_success_at - interval '1 day' WHERE job = 'dialfire-rescan'"))
                .as("a re-scan was recorded before").isEqualTo(1);
    }

    @Test
    void aSuccessThatReachesTheFeedLaterThanTheOverlapIsImportedByTheDailyRescan() {
        String onTime = contact("10115");
        dialfire.succeed(onTime, TASK);
        ImportRun first = app.runImportExpectingSuccess();
        assertThat(first.isRescan()).as("the very first run covers the re-scan period").isTrue();
        assertThat(app.drainQueue(NEW_LEADS)).hasSize(1);

        // fired an hour ago (far behind watermark - GEOLEAD_IMPORT_OVERLAP), in the feed only now
        String late = contact("10117");
        dialfire.succeedLate(late, TASK, Duration.ofHours(1));
        ImportRun regular = app.runImportExpectingSuccess();

        assertThat(regular.isRescan()).isFalse();
        assertThat(db.count("SELECT count(*) FROM leads WHERE dialfire_id = ?", late)).as("outside the overlap").isZero();

        rescanBecomesDue();
        ImportRun rescan = app.runImportExpectingSuccess();

        assertThat(rescan.isRescan()).isTrue();
        assertThat(rescan.from()).isBeforeOrEqualTo(rescan.to().minus(Duration.ofDays(2)));
        assertThat(lead(late)).containsEntry("status", "pending").containsEntry("plz", "10117");
        assertThat(app.drainQueue(NEW_LEADS)).containsExactly(lead(late).get("id").toString());
        assertThat(db.count("SELECT count(*) FROM leads")).isEqualTo(2);
    }

    @Test
    void aContactMovedToAnotherTaskBeforeThePollIsStillImported() {
        String moved = contact("20095");
        dialfire.succeed(moved, TASK);
        // the next stage of the campaign took it over before Geolead polled: current $task/$status say "open"
        dialfire.moveTo(moved, "nachbearbeitung", "open");
        String stays = contact("20097");
        dialfire.succeed(stays, TASK);

        ImportRun run = app.runImportExpectingSuccess();

        assertThat(lead(moved)).containsEntry("status", "pending").containsEntry("plz", "20095");
        assertThat(lead(stays)).containsEntry("status", "pending");
        assertThat(run.created()).isEqualTo(2);
    }

    @Test
    void aContactThatNeverSucceededInTheTaskIsNotImported() {
        String declined = contact("20099");
        dialfire.moveTo(declined, TASK, "declined");
        // in the feed only with an "open" transaction; its success came in a task Geolead does not import from
        String elsewhere = contact("20144");
        dialfire.moveTo(elsewhere, TASK, "open");
        dialfire.succeed(elsewhere, "nachbearbeitung");

        app.runImportExpectingSuccess();

        assertThat(db.count("SELECT count(*) FROM leads")).isZero();
    }

    @Test
    void anAppClockTenMinutesAheadOfDialfireLosesNothing() {
        dialfire.setClockOffset(Duration.ofMinutes(-10));
        String first = contact("30159");
        Instant firstFired = dialfire.succeed(first, TASK);
        ImportRun run = app.runImportExpectingSuccess();
        assertThat(lead(first)).containsEntry("status", "pending");
        assertThat(run.to()).isAfter(firstFired.plus(Duration.ofMinutes(9)));

        // fired after the first run, but 10 minutes before the app's clock at that run
        String second = contact("30161");
        Instant secondFired = dialfire.succeed(second, TASK);
        app.runImportExpectingSuccess();

        assertThat(db.count("SELECT count(*) FROM leads WHERE dialfire_id = ?", second)).as("second lead imported").isEqualTo(1);
        assertThat(lead(second)).containsEntry("status", "pending");
        assertThat(watermark()).as("the last fired time seen, not the app's now").isEqualTo(secondFired);
        assertThat(db.count("SELECT count(*) FROM leads")).isEqualTo(2);
    }

    @Test
    void rescanningTwiceCreatesNoDuplicatesAndRepublishesNothing() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String id = contact(String.format("%05d", 40210 + i));
            dialfire.succeed(id, TASK);
            ids.add(id);
        }
        String unroutable = contact("keine");
        dialfire.succeed(unroutable, TASK);
        app.runImportExpectingSuccess();
        assertThat(app.drainQueue(NEW_LEADS)).hasSize(12);
        db.update("UPDATE leads SET status = 'distributed' WHERE dialfire_id = ?", ids.get(0));
        List<Map<String, Object>> before = db.rows("SELECT id, dialfire_id, status, status_reason, updated_at FROM leads ORDER BY id");

        for (int rescan = 1; rescan <= 2; rescan++) {
            rescanBecomesDue();
            ImportRun run = app.runImportExpectingSuccess();

            assertThat(run.isRescan()).isTrue();
            assertThat(run.created()).isZero();
            assertThat(run.summary()).contains("re-scan", "unchanged 13");
            assertThat(db.rows("SELECT id, dialfire_id, status, status_reason, updated_at FROM leads ORDER BY id"))
                    .as("re-scan %d leaves every lead as it was", rescan).isEqualTo(before);
            assertThat(app.drainQueue(NEW_LEADS)).as("nothing republished").isEmpty();
        }
    }

    @Test
    void aPdfBombIsParkedAsUnroutableWithAReasonAndTheRunGoesOn() {
        String bomb = dialfire.addContact(TASK, Map.of("plz", "", "ort", "Berlin", "pdf_url", "leads/bomb.pdf"));
        dialfire.putResource("leads/bomb.pdf", PdfBombs.repeatedText(1L << 30, PdfBombs.Shape.PAGE_CONTENT), "application/pdf");
        dialfire.succeed(bomb, TASK);
        String good = contact("50667");
        dialfire.succeed(good, TASK);

        long start = System.nanoTime();
        app.runImportExpectingSuccess();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(lead(bomb)).containsEntry("status", "unroutable");
        assertThat((String) lead(bomb).get("status_reason"))
                .endsWith("PDF text unreadable: PDF content too large: a stream inflates to more than "
                        + LeadSheetPdf.MAX_DECODED_BYTES + " bytes")
                .doesNotContain("bomb.pdf");
        assertThat(lead(good)).containsEntry("status", "pending");
    }
}
