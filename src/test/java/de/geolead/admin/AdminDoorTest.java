package de.geolead.admin;

import de.geolead.api.ApiAuth;
import de.geolead.billing.TrustedProxies;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminDoorTest {

    final AdminSessions sessions = new AdminSessions(Duration.ofMinutes(30), Duration.ofHours(8), Clock.systemUTC());
    final AdminDoor door = new AdminDoor(new ApiAuth(null), sessions, TrustedProxies.parse("10.0.0.0/8"));

    @Test
    void theCookieIsFoundAmongOthers() {
        assertThat(AdminDoor.cookie("a=b; geolead_admin=abc_-1; c=d")).isEqualTo("abc_-1");
        assertThat(AdminDoor.cookie("geolead_admin_x=1")).isNull();
        assertThat(AdminDoor.cookie(null)).isNull();
    }

    @Test
    void theCookieIsHttpOnlySameSiteStrictAndSecureOnlyOverHttps() {
        assertThat(AdminDoor.cookieValue("id", false, false)).isEqualTo("geolead_admin=id; Path=/admin; HttpOnly; SameSite=Strict");
        assertThat(AdminDoor.cookieValue("id", true, false)).endsWith("; Secure");
        assertThat(AdminDoor.cookieValue("", false, true)).contains("Max-Age=0");
        assertThat(door.secure("https://leads.example.de/admin/login", "192.0.2.1", null)).isTrue();
        assertThat(door.secure("http://leads.example.de/admin/login", "192.0.2.1", "https")).as("untrusted peer").isFalse();
        assertThat(door.secure("http://leads.example.de/admin/login", "10.1.2.3", "https")).as("trusted proxy").isTrue();
        assertThat(door.secure("http://leads.example.de/admin/login", "10.1.2.3", null)).isFalse();
    }

    @Test
    void anOriginMustNameThisHostWhenItIsSent() {
        door.checkOrigin(null, "http://127.0.0.1:8080/admin/logout");
        door.checkOrigin("http://127.0.0.1:8080", "http://127.0.0.1:8080/admin/logout");
        door.checkOrigin("https://leads.example.de", "http://leads.example.de/admin/logout");
        door.checkOrigin("https://leads.example.de:443", "http://leads.example.de/admin/logout");
        for (String foreign : new String[] {"http://evil.example", "null", "http://127.0.0.1:8081", "http://leads.example.de.evil.example", "garbage"}) {
            assertThatThrownBy(() -> door.checkOrigin(foreign, "http://127.0.0.1:8080/admin/logout")).as(foreign)
                    .isInstanceOfSatisfying(AdminRefusal.class, refusal -> assertThat(refusal.status()).isEqualTo(403));
        }
    }

    @Test
    void aPostNeedsTheSessionsCsrfToken() {
        AdminSession session = sessions.start(new de.geolead.api.ApiUser("ops-admin", "admin"), "t");
        door.checkPost(session, Map.of("csrf", session.csrf()), null, "http://h/admin/x");
        for (Object form : new Object[] {Map.of(), Map.of("csrf", session.csrf() + "x"), Map.of("csrf", ""), null, "csrf=" + session.csrf()}) {
            assertThatThrownBy(() -> door.checkPost(session, form, null, "http://h/admin/x")).as(String.valueOf(form))
                    .isInstanceOfSatisfying(AdminRefusal.class, refusal -> assertThat(refusal.status()).isEqualTo(403));
        }
    }

    @Test
    void withoutASessionTheLoginPageIsAsked() {
        assertThatThrownBy(() -> door.session(null)).isInstanceOfSatisfying(AdminRefusal.class, refusal -> {
            assertThat(refusal.showLogin()).isTrue();
            assertThat(refusal.getMessage()).isNull();
        });
        assertThatThrownBy(() -> door.session("geolead_admin=gone")).isInstanceOfSatisfying(AdminRefusal.class,
                refusal -> assertThat(refusal.getMessage()).contains("abgelaufen"));
    }

    @Test
    void withTheApiOffTheLoginSaysSo() {
        assertThatThrownBy(() -> door.login(Map.of("token", "whatever-token-123456"), null, null, "http://h/admin/login", "127.0.0.1", null))
                .isInstanceOfSatisfying(AdminRefusal.class, refusal -> {
                    assertThat(refusal.status()).isEqualTo(503);
                    assertThat(refusal.showLogin()).isTrue();
                    assertThat(refusal.getMessage()).contains("GEOLEAD_API_TOKENS_FILE");
                });
        assertThat(sessions.size()).isZero();
    }
}
