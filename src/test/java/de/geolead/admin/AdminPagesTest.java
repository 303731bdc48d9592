package de.geolead.admin;

import de.geolead.testing.ApiClient;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin page's pages over real HTTP on the running application with real PostgreSQL rows: the lead search and a
 * lead's timeline, the agents with pause and cap, the open returns with approve and reject, all through the API's
 * own routes with the logged-in user's token (its rules, audit rows and refusals); viewers see no write forms and a
 * forged post gets the API's 403; hostile values are escaped.
 */
class AdminPagesTest {

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final String HOSTILE = "<script>alert('x')</script>";

    @TempDir
    static Path dataDir;
    static RunningApp app;

    long agent;
    long lead;

    @BeforeAll
    static void start() {
        app = RunningApp.start(dataDir, ApiClient.settings(dataDir));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** An agent on 10115 with a hostile name who got lead {@link #lead} by mail a minute ago. */
    @BeforeEach
    void agentWithASentLead() {
        db.reset();
        agent = data.customer("Makler " + HOSTILE, "paid");
        data.subscription(agent, "10115");
        lead = data.lead("10115", "Berlin");
        long mail = data.distribution(lead, agent, Instant.now().minusSeconds(120));
        db.update("UPDATE lead_distributions SET status = 'sent', created_at = now() - interval '2 minutes', "
                + "sent_at = now() - interval '1 minute', message_id = '<mail-1@geolead.test>' WHERE id = ?", mail);
        db.update("UPDATE leads SET status = 'distributed', created_at = now() - interval '3 minutes' WHERE id = ?", lead);
    }

    private static AdminBrowser loggedIn(String token) {
        AdminBrowser browser = new AdminBrowser(app);
        assertThat(browser.login(token).status()).isEqualTo(303);
        return browser;
    }

    @Test
    void aLeadIsFoundByItsPlzAndShowsItsTimelineInOrder() {
        AdminBrowser browser = loggedIn(ApiClient.VIEWER);
        AdminBrowser.Page found = browser.get("/admin/leads?plz=101&status=");
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.html()).contains("href=\"/admin/leads/" + lead + "\"", "<option value=\"distributed\">");
        assertThat(browser.get("/admin/leads?plz=8").html()).contains("Keine Leads gefunden").doesNotContain("/admin/leads/" + lead + "\"");

        AdminBrowser.Page page = browser.get("/admin/leads/" + lead);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.html()).contains("<code>distributed</code>", "&lt;mail-1@geolead.test&gt;", "Makler &lt;script&gt;");
        String html = page.html();
        int imported = html.indexOf("<code class=\"type\">imported</code>");
        int planned = html.indexOf("<code class=\"type\">planned</code>");
        int sent = html.indexOf("<code class=\"type\">sent</code>");
        assertThat(imported).as("imported in the timeline").isPositive();
        assertThat(planned).as("planned after imported").isGreaterThan(imported);
        assertThat(sent).as("sent after planned").isGreaterThan(planned);
    }

    @Test
    void anErasedLeadShowsWhenAndWhyItsConsentAndNoContact() {
        db.update("UPDATE leads SET consent_value = 'ja', consent_at = '2026-11-01T10:00:00Z' WHERE id = ?", lead);
        new de.geolead.privacy.Anonymiser(new de.geolead.db.Database(db.dataSource())).erase(lead, "retention");
        AdminBrowser.Page page = loggedIn(ApiClient.VIEWER).get("/admin/leads/" + lead);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.html()).contains("<dt>Einwilligung</dt><dd><code>ja</code> (Dialfire, 2026-11-01", "<dt>Gelöscht</dt>",
                "(Aufbewahrungsfrist abgelaufen): Kontaktdaten und Lead-Blatt gelöscht", "<code class=\"type\">erased</code>")
                .doesNotContain("<h2>Kontakt</h2>", "Erika");
    }

    @Test
    void aBadSearchShowsTheApisDetailWith400AndTheSearchEscaped() {
        AdminBrowser browser = loggedIn(ApiClient.ADMIN);
        AdminBrowser.Page page = browser.get("/admin/leads?plz=" + java.net.URLEncoder.encode("\"><b>x</b>", java.nio.charset.StandardCharsets.UTF_8));
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.html()).contains("class=\"error\"", "value=\"&quot;&gt;&lt;b&gt;x&lt;/b&gt;\"").doesNotContain("<b>x</b>");
        assertThat(browser.get("/admin/leads/999999999").status()).isEqualTo(404);
        assertThat(browser.get("/admin/leads/abc").status()).isEqualTo(400);
    }

    @Test
    void adminsGetThePauseAndCapFormsViewersDoNotAndNamesAreEscaped() {
        AdminBrowser admin = loggedIn(ApiClient.ADMIN);
        AdminBrowser.Page agents = admin.get("/admin/agents");
        assertThat(agents.status()).isEqualTo(200);
        assertThat(agents.html()).contains("Makler &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
                .doesNotContain(HOSTILE)
                .contains("action=\"/admin/agents/" + agent + "/pause\"", "action=\"/admin/agents/" + agent + "/cap\"", "Pausieren");

        AdminBrowser.Page viewerAgents = loggedIn(ApiClient.VIEWER).get("/admin/agents");
        assertThat(viewerAgents.status()).isEqualTo(200);
        assertThat(viewerAgents.html()).contains("Makler &lt;script&gt;").doesNotContain("/admin/agents/" + agent + "/", "Pausieren", "Limit setzen");
    }

    @Test
    void aCapSetOnThePageIsTheApisWriteWithItsAuditRow() {
        AdminBrowser admin = loggedIn(ApiClient.ADMIN);
        admin.get("/admin/agents");
        AdminBrowser.Page saved = admin.postForm("/admin/agents/" + agent + "/cap", Map.of("monthly", "5"));
        assertThat(saved.status()).isEqualTo(303);
        assertThat(saved.header("Location")).hasValue("/admin/agents");
        assertThat(db.row("SELECT monthly_cap FROM customers WHERE id = ?", agent).get("monthly_cap")).isEqualTo(5);
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'customer.cap' AND entity_id = ? AND actor = 'ops-admin'", agent)).isEqualTo(1);
        assertThat(admin.get("/admin/agents").html()).contains("Das Monatslimit von Makler " + agent + " ist gespeichert.");

        AdminBrowser.Page cleared = admin.postForm("/admin/agents/" + agent + "/cap", Map.of("monthly", ""));
        assertThat(cleared.status()).isEqualTo(303);
        assertThat(db.row("SELECT monthly_cap FROM customers WHERE id = ?", agent).get("monthly_cap")).isNull();
    }

    @Test
    void aPostWithoutOrWithAWrongCsrfTokenChangesNothing() {
        AdminBrowser admin = loggedIn(ApiClient.ADMIN);
        admin.get("/admin/agents");
        assertThat(admin.post("/admin/agents/" + agent + "/cap", Map.of("monthly", "3"), Map.of()).status()).isEqualTo(403);
        assertThat(admin.post("/admin/agents/" + agent + "/cap", Map.of("monthly", "3", "csrf", "forged"), Map.of()).status()).isEqualTo(403);
        assertThat(admin.post("/admin/agents/" + agent + "/pause", Map.of("until", "2099-01-01", "csrf", admin.last.csrf()),
                Map.of("Origin", "https://evil.example")).status()).isEqualTo(403);
        assertThat(db.row("SELECT monthly_cap, paused_until FROM customers WHERE id = ?", agent))
                .containsEntry("monthly_cap", null).containsEntry("paused_until", null);
        assertThat(db.count("SELECT count(*) FROM audit_log")).isZero();
    }

    @Test
    void aViewersForgedPostGetsTheApis403AndBadInputTheApis400() {
        AdminBrowser viewer = loggedIn(ApiClient.VIEWER);
        viewer.get("/admin/");
        AdminBrowser.Page forged = viewer.postForm("/admin/agents/" + agent + "/cap", Map.of("monthly", "1"));
        assertThat(forged.status()).isEqualTo(403);
        assertThat(forged.html()).contains("viewer");

        AdminBrowser admin = loggedIn(ApiClient.ADMIN);
        admin.get("/admin/agents");
        AdminBrowser.Page past = admin.postForm("/admin/agents/" + agent + "/pause", Map.of("until", "2001-01-01"));
        assertThat(past.status()).isEqualTo(400);
        AdminBrowser.Page notANumber = admin.postForm("/admin/agents/" + agent + "/cap", Map.of("monthly", "viele"));
        assertThat(notANumber.status()).isEqualTo(400);
        assertThat(notANumber.html()).contains("ganze Zahl");
        AdminBrowser.Page unknown = admin.postForm("/admin/agents/999999999/cap", Map.of("monthly", "1"));
        assertThat(unknown.status()).isEqualTo(404);

        assertThat(db.row("SELECT monthly_cap, paused_until FROM customers WHERE id = ?", agent))
                .containsEntry("monthly_cap", null).containsEntry("paused_until", null);
        assertThat(db.count("SELECT count(*) FROM audit_log")).isZero();
    }

    @Test
    void anAgentIsPausedAndUnpausedOnThePage() {
        AdminBrowser admin = loggedIn(ApiClient.ADMIN);
        admin.get("/admin/agents");
        java.time.LocalDate until = java.time.LocalDate.now().plusYears(1);
        assertThat(admin.postForm("/admin/agents/" + agent + "/pause", Map.of("until", until.toString())).status()).isEqualTo(303);
        assertThat(db.row("SELECT paused_until FROM customers WHERE id = ?", agent).get("paused_until")).isNotNull();
        AdminBrowser.Page agents = admin.get("/admin/agents");
        assertThat(agents.html()).contains("ist pausiert", until.format(java.time.format.DateTimeFormatter.ofPattern("dd.MM.yyyy")) + " 00:00", "action=\"/admin/agents/" + agent + "/unpause\"");
        assertThat(admin.postForm("/admin/agents/" + agent + "/unpause", Map.of()).status()).isEqualTo(303);
        assertThat(db.row("SELECT paused_until FROM customers WHERE id = ?", agent).get("paused_until")).isNull();
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE entity_id = ? AND action IN ('customer.pause', 'customer.unpause')", agent)).isEqualTo(2);
    }

    @Test
    void anOpenReturnIsApprovedOnThePageAndItsNoteEscaped() {
        ApiClient.Answer filed = ApiClient.admin(app).post("/api/leads/" + lead + "/returns",
                "{\"customerId\": " + agent + ", \"reason\": \"wrong_data\", \"note\": \"<b>Telefonnummer</b> falsch\"}");
        assertThat(filed.status()).as(filed.text()).isEqualTo(201);
        long returnId = filed.json().getAsJsonObject().get("id").getAsLong();

        AdminBrowser viewer = loggedIn(ApiClient.VIEWER);
        AdminBrowser.Page viewerReturns = viewer.get("/admin/returns");
        assertThat(viewerReturns.html()).contains("Reklamation " + returnId).doesNotContain("Genehmigen");

        AdminBrowser admin = loggedIn(ApiClient.ADMIN);
        AdminBrowser.Page returns = admin.get("/admin/returns");
        assertThat(returns.status()).isEqualTo(200);
        assertThat(returns.html()).contains("Reklamation " + returnId, "Falsche Daten (wrong_data)", "&lt;b&gt;Telefonnummer&lt;/b&gt; falsch", "Genehmigen")
                .doesNotContain("<b>Telefonnummer</b>");
        AdminBrowser.Page approved = admin.postForm("/admin/returns/" + returnId + "/approve", Map.of("note", "ok", "force", "true"));
        assertThat(approved.status()).isEqualTo(303);
        assertThat(db.row("SELECT status, decided_by FROM lead_returns WHERE id = ?", returnId))
                .containsEntry("status", "approved").containsEntry("decided_by", "ops-admin");
        AdminBrowser.Page after = admin.get("/admin/returns");
        assertThat(after.html()).contains("Reklamation " + returnId + " ist genehmigt.", "Keine offenen Reklamationen");

        AdminBrowser.Page again = admin.postForm("/admin/returns/" + returnId + "/reject", Map.of());
        assertThat(again.status()).as("only open returns can be decided").isEqualTo(409);
    }
}
