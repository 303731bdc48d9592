package de.geolead.admin;

import de.geolead.testing.ApiClient;
import de.geolead.testing.BrowserScript;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin page in a real browser: Debian's headless {@code chromium}, driven by {@code playwright-core} in
 * {@code src/test/browser/admin-test.mjs}, logs in with an admin token, finds a lead by its PLZ, opens it, sees its
 * timeline and approves its open return (the API's refusal without force shown first), against the running application and real PostgreSQL rows inserted here.
 * Screenshots go to {@code target/}. Skipped where chromium or the npm packages are not installed.
 */
class AdminBrowserTest {

    static final Path SCREENSHOTS = BrowserScript.SCREENSHOTS;

    @TempDir
    Path dir;

    @Test
    void anAdminFindsALeadSeesItsTimelineAndApprovesItsReturn() throws Exception {
        BrowserScript.assumeInstalled();

        TestDatabase db = TestDatabase.get();
        db.reset();
        TestData data = new TestData(db);
        long agent = data.customer("Immobilien Browser", "paid");
        data.subscription(agent, "10115");
        long lead = data.lead("10115", "Berlin");
        long mail = data.distribution(lead, agent, Instant.now().minusSeconds(120));
        db.update("UPDATE lead_distributions SET status = 'sent', created_at = now() - interval '2 minutes', "
                + "sent_at = now() - interval '1 minute', message_id = '<browser-1@geolead.test>' WHERE id = ?", mail);
        db.update("UPDATE leads SET status = 'distributed', created_at = now() - interval '3 minutes' WHERE id = ?", lead);

        try (RunningApp app = RunningApp.start(dir.resolve("data"), ApiClient.settings(dir))) {
            ApiClient.Answer filed = ApiClient.admin(app).post("/api/leads/" + lead + "/returns",
                    "{\"customerId\": " + agent + ", \"reason\": \"unreachable\", \"note\": \"dreimal angerufen\"}");
            assertThat(filed.status()).as(filed.text()).isEqualTo(201);
            long returnId = filed.json().getAsJsonObject().get("id").getAsLong();

            runBrowserTest(ApiClient.admin(app).baseUrl(), lead, returnId);

            assertThat(db.row("SELECT status, decided_by, decision_note FROM lead_returns WHERE id = ?", returnId))
                    .containsEntry("status", "approved").containsEntry("decided_by", "ops-admin")
                    .containsEntry("decision_note", "Nummer geprüft");
            assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'return.approve' AND entity_id = ?", returnId)).isEqualTo(1);
        }
    }

    /** {@code node admin-test.mjs} against the app at {@code base}, its output on stdout. */
    private static void runBrowserTest(String base, long lead, long returnId) throws Exception {
        Path leadShot = SCREENSHOTS.resolve("admin-lead.png");
        Path approvedShot = SCREENSHOTS.resolve("admin-return-approved.png");
        Files.createDirectories(SCREENSHOTS);
        Files.deleteIfExists(leadShot);
        Files.deleteIfExists(approvedShot);

        BrowserScript.run("admin-test.mjs", base, ApiClient.ADMIN, "101",
                Long.toString(lead), Long.toString(returnId), SCREENSHOTS.toString());
        assertThat(leadShot).as("screenshot of the lead page").exists().isNotEmptyFile();
        assertThat(approvedShot).as("screenshot after the approval").exists().isNotEmptyFile();
    }

}
