package de.geolead.admin;

import de.geolead.api.ApiUser;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AdminViewsTest {

    static final String HOSTILE = "<script>alert(\"x\")</script>&'";
    final AdminViews views = new AdminViews(ZoneId.of("Europe/Berlin"));
    final AdminSessions sessions = new AdminSessions(Duration.ofMinutes(30), Duration.ofHours(8), Clock.systemUTC());
    final AdminSession admin = sessions.start(new ApiUser("ops-admin", "admin"), "t");
    final AdminSession viewer = sessions.start(new ApiUser("ops-viewer", "viewer"), "t");

    @Test
    void everyValueIsEscaped() {
        Map<String, Object> lead = Map.of("id", 1, "dialfireId", HOSTILE, "status", "pending", "plz", "10115",
                "contact", Map.of("nachname", HOSTILE),
                "mails", List.of(Map.of("id", 2, "customerName", HOSTILE, "role", "only", "messageId", "<m@x>")),
                "returns", List.of(),
                "timeline", List.of(Map.of("at", "2026-03-02T09:00:00Z", "type", "imported", "text", HOSTILE, "actor", HOSTILE)));
        String html = views.lead(admin, new ApiAnswer(200, lead, null, null)).body();
        assertThat(html).doesNotContain("<script>alert").contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;", "&lt;m@x&gt;");
        assertThat(html).contains("02.03.2026 10:00");
    }

    /** Encryption at rest: a contact that cannot be decrypted is shown as such, with the API's reason. */
    @Test
    void anUnreadableContactShowsItsReason() {
        Map<String, Object> lead = new java.util.HashMap<>(Map.of("id", 5, "dialfireId", "DF5", "status", "pending", "plz", "10115",
                "contactProblem", "The contact of lead 5 is sealed with key 'gone', which GEOLEAD_DATA_KEYS does not hold",
                "mails", List.of(), "returns", List.of(), "timeline", List.of()));
        lead.put("contact", null);
        String html = views.lead(admin, new ApiAnswer(200, lead, null, null)).body();
        assertThat(html).contains("Kontaktdaten nicht lesbar: The contact of lead 5 is sealed with key &#39;gone&#39;");
        assertThat(views.lead(admin, new ApiAnswer(200, Map.of("id", 6, "status", "pending", "contact", Map.of("nachname", "X"),
                "mails", List.of(), "returns", List.of(), "timeline", List.of()), null, null)).body()).doesNotContain("nicht lesbar");
    }

    @Test
    void noTemplateWritesAValueUnescaped() throws Exception {
        try (var files = Files.list(Path.of("templates/admin"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".mustache")).toList()) {
                assertThat(Files.readString(file)).as(file.toString()).doesNotContain("{{{", "{{&");
            }
        }
    }

    @Test
    void viewersGetTheSamePagesWithoutForms() {
        ApiAnswer agents = new ApiAnswer(200, Map.of("items", List.of(Map.of("id", 7, "name", "A", "status", "paid",
                "leadsThisMonth", 0))), null, null);
        assertThat(views.agents(admin, agents).body()).contains("action=\"/admin/agents/7/pause\"", "action=\"/admin/agents/7/cap\"", "kein Limit")
                .doesNotContain("/admin/agents/7/unpause");
        assertThat(views.agents(viewer, agents).body()).doesNotContain("/admin/agents/7/").contains("kein Limit");
        ApiAnswer returns = new ApiAnswer(200, Map.of("items", List.of(Map.of("id", 3, "leadId", 1, "reason", "duplicate"))), null, null);
        assertThat(views.returns(admin, returns).body()).contains("/admin/returns/3/approve", "/admin/returns/3/reject", "Doppelter Lead (duplicate)");
        assertThat(views.returns(viewer, returns).body()).doesNotContain("/admin/returns/3/").contains("Doppelter Lead");
    }

    @Test
    void everyPageFormCarriesTheCsrfToken() {
        String html = views.home(admin, new ApiAnswer(200, Map.of("name", "ops-admin", "role", "admin"), null, null)).body();
        assertThat(html).contains("name=\"csrf\" value=\"" + admin.csrf() + "\"");
        ApiAnswer agents = new ApiAnswer(200, Map.of("items", List.of(Map.of("id", 7, "name", "A", "pausedUntil", "2030-01-01T00:00:00Z"))), null, null);
        String page = views.agents(admin, agents).body();
        int forms = page.split("<form", -1).length - 1;
        int tokens = page.split("name=\"csrf\" value=\"" + admin.csrf() + "\"", -1).length - 1;
        assertThat(forms).isEqualTo(4);
        assertThat(tokens).isEqualTo(forms);
    }

    @Test
    void anActionThatWorkedRedirectsWithAMessageARefusalShowsTheApisDetail() {
        AdminAnswer done = views.afterAction(admin, new ApiAnswer(200, Map.of(), null, null), "return-approved", "5", "/admin/returns");
        assertThat(done.status()).isEqualTo(303);
        assertThat(done.location()).isEqualTo("/admin/returns");
        assertThat(admin.takeFlash()).isEqualTo("Reklamation 5 ist genehmigt.");
        AdminAnswer refused = views.afterAction(admin, ApiAnswer.of(409, "{\"error\":\"conflict\",\"detail\":\"return 5 is approved <b>\"}"),
                "return-approved", "5", "/admin/returns");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body()).contains("return 5 is approved &lt;b&gt;");
        assertThat(admin.takeFlash()).isNull();
    }

    @Test
    void theNextPageLinkKeepsTheFiltersEncoded() {
        assertThat(AdminViews.query(new AdminForms.LeadSearch("pending", "10", null, "2026-01-31", "a+b/c="))).isEqualTo(
                "status=pending&plz=10&to=2026-01-31&cursor=a%2Bb%2Fc%3D");
        String html = views.leads(admin, new AdminForms.LeadSearch(null, "10", null, null, null),
                new ApiAnswer(200, Map.of("items", List.of(), "nextCursor", "x&y"), null, null)).body();
        assertThat(html).contains("href=\"/admin/leads?plz&#61;10&amp;cursor&#61;x%26y\"", "Keine Leads gefunden");
    }
}
