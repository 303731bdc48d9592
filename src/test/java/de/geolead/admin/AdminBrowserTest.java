package de.geolead.admin;

import de.geolead.testing.ApiClient;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The admin page in a real browser: Debian's headless {@code chromium}, driven by {@code playwright-core} in
 * {@code src/test/browser/admin-test.mjs}, logs in with an admin token, finds a lead by its PLZ, opens it, sees its
 * timeline and approves its open return (the API's refusal without force shown first), against the running application and real PostgreSQL rows inserted here.
 * Screenshots go to {@code target/}. Skipped where chromium or the npm packages are not installed.
 */
class AdminBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path BROWSER_TESTS = Path.of("src/test/browser").toAbsolutePath();
    static final Path SCRIPT = BROWSER_TESTS.resolve("admin-test.mjs");
    static final Path SCREENSHOTS = Path.of("target").toAbsolutePath();
    static final String INSTALL = "apt-get install -y chromium && npm ci --prefix src/test/browser";
    static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path dir;

    @Test
    void anAdminFindsALeadSeesItsTimelineAndApprovesItsReturn() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "browser test skipped: no " + CHROMIUM + " (install with: " + INSTALL + ")");
        assumeTrue(Files.isDirectory(BROWSER_TESTS.resolve("node_modules/playwright-core")),
                "browser test skipped: no src/test/browser/node_modules/playwright-core (install with: " + INSTALL + ")");
        assumeTrue(onPath("node"), "browser test skipped: no node on the PATH (Node.js 20 and npm are needed: " + INSTALL + ")");

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

        Process node = new ProcessBuilder("node", SCRIPT.toString(), base, ApiClient.ADMIN, "101",
                Long.toString(lead), Long.toString(returnId), SCREENSHOTS.toString())
                .directory(BROWSER_TESTS.toFile())
                .redirectErrorStream(true)
                .start();
        node.getOutputStream().close();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        Thread forward = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    System.out.println(line);
                    output.add(line);
                }
            } catch (java.io.IOException e) {
                System.out.println("[browser] output lost: " + e);
            }
        }, "admin-browser-test-output");
        forward.setDaemon(true);
        forward.start();

        boolean finished = node.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        forward.join(TimeUnit.SECONDS.toMillis(10));

        String log = String.join("\n", output);
        assertThat(finished).as("the browser test ends within %d s; its output:%n%s", TIMEOUT_SECONDS, log).isTrue();
        assertThat(node.exitValue()).as("exit code of node admin-test.mjs; its output:%n%s", log).isZero();
        assertThat(log).contains("[browser] PASS");
        assertThat(leadShot).as("screenshot of the lead page").exists().isNotEmptyFile();
        assertThat(approvedShot).as("screenshot after the approval").exists().isNotEmptyFile();
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, command))) {
                return true;
            }
        }
        return false;
    }
}
