package de.geolead.admin;

import de.geolead.testing.ApiClient;
import de.geolead.testing.RunningApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin page's door over real HTTP against the running application: login page without a session, the cookie
 * and its attributes, wrong tokens, CSRF and Origin checks on form posts, session expiry (idle and absolute, on a
 * clock the test moves), logout, the page's security headers and that neither the token nor request headers go
 * back to the browser.
 */
class AdminLoginTest {

    /** A clock the test moves forward (bound as adminClock before the start). */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-03-02T09:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @TempDir
    static Path dataDir;
    static RunningApp app;
    static final MovableClock CLOCK = new MovableClock();

    @BeforeAll
    static void start() {
        Map<String, String> settings = new LinkedHashMap<>(ApiClient.settings(dataDir));
        settings.put("geolead.admin.session.idle", "PT10M");
        settings.put("geolead.admin.session.max", "PT30M");
        app = RunningApp.start(dataDir, settings, Map.of("adminClock", CLOCK));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void withoutASessionTheStartPageIsTheLoginFormWithTheSecurityHeaders() {
        AdminBrowser.Page page = new AdminBrowser(app).get("/admin/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.html()).contains("<form class=\"login\" method=\"post\" action=\"/admin/login\">", "name=\"token\"")
                .doesNotContain("Abmelden");
        assertThat(page.header("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.header("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).startsWith("default-src 'self'"));
        assertThat(page.header("X-Frame-Options")).hasValue("DENY");
        assertThat(page.header("Cache-Control")).hasValue("no-store");
        assertThat(page.header("Set-Cookie")).isEmpty();
    }

    @Test
    void aKnownTokenLogsInWithAnHttpOnlySameSiteStrictCookie() {
        AdminBrowser browser = new AdminBrowser(app);
        AdminBrowser.Page login = browser.login(ApiClient.ADMIN);
        assertThat(login.status()).isEqualTo(303);
        assertThat(login.header("Location")).hasValue("/admin/");
        assertThat(login.header("Set-Cookie")).hasValueSatisfying(cookie -> assertThat(cookie)
                .matches("geolead_admin=[A-Za-z0-9_-]{43}; Path=/admin; HttpOnly; SameSite=Strict"));

        AdminBrowser.Page home = browser.get("/admin/");
        assertThat(home.status()).isEqualTo(200);
        // the name and role come from GET /api/me, called with the session's token
        assertThat(home.html()).contains("Angemeldet als <strong>ops-admin</strong>", "<code>admin</code>", "Abmelden", "Lead suchen");
    }

    @Test
    void anotherLoginGetsAnotherSessionId() {
        AdminBrowser first = new AdminBrowser(app);
        first.login(ApiClient.ADMIN);
        AdminBrowser second = new AdminBrowser(app);
        second.login(ApiClient.ADMIN);
        assertThat(first.cookie).isNotEqualTo(second.cookie);
    }

    @Test
    void anUnknownTokenIs401WithTheLoginPageAndNoCookie() {
        AdminBrowser browser = new AdminBrowser(app);
        AdminBrowser.Page page = browser.login("not-a-token-of-this-app-xyz");
        assertThat(page.status()).isEqualTo(401);
        assertThat(page.html()).contains("Dieser Token ist nicht bekannt.", "name=\"token\"");
        assertThat(page.header("Set-Cookie")).isEmpty();
        assertThat(browser.get("/admin/").html()).contains("name=\"token\"").doesNotContain("Abmelden");
    }

    @Test
    void aMadeUpSessionCookieGetsTheLoginPage() {
        AdminBrowser browser = new AdminBrowser(app);
        browser.cookie = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        AdminBrowser.Page page = browser.get("/admin/");
        assertThat(page.html()).contains("name=\"token\"").doesNotContain("Abmelden");
    }

    @Test
    void theTokenAndTheRequestHeadersNeverGoBackToTheBrowser() {
        AdminBrowser browser = new AdminBrowser(app);
        // platform-http makes headers of form fields and request headers: none may be echoed (the token field!)
        AdminBrowser.Page login = browser.post("/admin/login", Map.of("token", ApiClient.ADMIN), Map.of("X-Probe", "request-value"));
        assertThat(login.status()).isEqualTo(303);
        login.headers().forEach((name, values) -> {
            assertThat(name).as("response header").isNotIn("token", "x-probe", "authorization");
            assertThat(String.join(" ", values)).as("header " + name).doesNotContain(ApiClient.ADMIN, "request-value");
        });
        AdminBrowser.Page home = browser.get("/admin/?probe=query-value");
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.html()).doesNotContain(ApiClient.ADMIN);
        home.headers().forEach((name, values) -> {
            assertThat(name).as("response header").isNotIn("authorization", "cookie", "probe");
            assertThat(String.join(" ", values)).as("header " + name).doesNotContain(ApiClient.ADMIN, browser.cookie);
        });
    }

    @Test
    void aFormPostWithoutOrWithAWrongCsrfTokenIs403AndChangesNothing() {
        AdminBrowser browser = new AdminBrowser(app);
        browser.login(ApiClient.ADMIN);
        browser.get("/admin/");
        AdminBrowser.Page none = browser.post("/admin/logout", Map.of(), Map.of());
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.html()).contains("Das Formular ist abgelaufen");
        AdminBrowser.Page wrong = browser.post("/admin/logout", Map.of("csrf", browser.last.csrf() + "x"), Map.of());
        assertThat(wrong.status()).isEqualTo(403);
        // still logged in: the logout did not happen
        assertThat(browser.get("/admin/").html()).contains("Abmelden");
    }

    @Test
    void aFormPostFromAnotherOriginIs403EvenWithTheCsrfToken() {
        AdminBrowser browser = new AdminBrowser(app);
        browser.login(ApiClient.ADMIN);
        browser.get("/admin/");
        String csrf = browser.last.csrf();
        AdminBrowser.Page foreign = browser.post("/admin/logout", Map.of("csrf", csrf), Map.of("Origin", "http://evil.example"));
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.html()).contains("nur von dieser Seite");
        assertThat(browser.get("/admin/").html()).contains("Abmelden");
        AdminBrowser.Page foreignLogin = new AdminBrowser(app).post("/admin/login", Map.of("token", ApiClient.ADMIN),
                Map.of("Origin", "http://evil.example"));
        assertThat(foreignLogin.status()).isEqualTo(403);
        assertThat(foreignLogin.header("Set-Cookie")).isEmpty();

        AdminBrowser.Page same = browser.post("/admin/logout", Map.of("csrf", csrf), Map.of("Origin", browser.base()));
        assertThat(same.status()).isEqualTo(303);
    }

    @Test
    void logoutEndsTheSessionAndClearsTheCookie() {
        AdminBrowser browser = new AdminBrowser(app);
        browser.login(ApiClient.ADMIN);
        browser.get("/admin/");
        String oldCookie = browser.cookie;
        AdminBrowser.Page out = browser.postForm("/admin/logout", Map.of());
        assertThat(out.status()).isEqualTo(303);
        assertThat(out.header("Set-Cookie")).hasValueSatisfying(cookie -> assertThat(cookie)
                .startsWith("geolead_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"));
        browser.cookie = oldCookie;
        assertThat(browser.get("/admin/").html()).contains("name=\"token\"").doesNotContain("Abmelden");
    }

    @Test
    void aSessionEndsAfterTheIdleTimeoutAndAfterTheMaximumEvenWhenBusy() {
        AdminBrowser idle = new AdminBrowser(app);
        idle.login(ApiClient.ADMIN);
        AdminBrowser busy = new AdminBrowser(app);
        busy.login(ApiClient.VIEWER);

        CLOCK.advance(Duration.ofMinutes(9));
        assertThat(busy.get("/admin/").html()).contains("Abmelden");
        assertThat(idle.get("/admin/").html()).as("9 of 10 idle minutes").contains("Abmelden");
        CLOCK.advance(Duration.ofMinutes(9));
        assertThat(busy.get("/admin/").html()).contains("Abmelden");
        CLOCK.advance(Duration.ofMinutes(1));
        AdminBrowser.Page expired = idle.get("/admin/");
        assertThat(expired.html()).as("10 idle minutes").contains("Die Sitzung ist abgelaufen", "name=\"token\"")
                .doesNotContain("Abmelden");

        assertThat(busy.get("/admin/").html()).as("busy, 19 minutes after the login").contains("Abmelden");
        CLOCK.advance(Duration.ofMinutes(9));
        assertThat(busy.get("/admin/").html()).as("busy, 28 minutes after the login").contains("Abmelden");
        CLOCK.advance(Duration.ofMinutes(2));
        assertThat(busy.get("/admin/").html()).as("30 minutes after the login").contains("Die Sitzung ist abgelaufen")
                .doesNotContain("Abmelden");
    }

    @Test
    void theStyleSheetNeedsNoLogin() {
        AdminBrowser.Page css = new AdminBrowser(app).get("/admin/admin.css");
        assertThat(css.status()).isEqualTo(200);
        assertThat(css.header("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(css.html()).contains("body {");
    }
}
