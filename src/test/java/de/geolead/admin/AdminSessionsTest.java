package de.geolead.admin;

import de.geolead.api.ApiUser;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class AdminSessionsTest {

    static final ApiUser ADMIN = new ApiUser("ops-admin", "admin");
    Instant now = Instant.parse("2026-03-02T09:00:00Z");
    final AdminSessions sessions = new AdminSessions(Duration.ofMinutes(30), Duration.ofHours(8), new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    });

    @Test
    void idsAndCsrfTokensAre256RandomBitsInBase64Url() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            AdminSession session = sessions.start(ADMIN, "token-" + i);
            assertThat(session.id()).matches("[A-Za-z0-9_-]{43}");
            assertThat(session.csrf()).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(session.id());
            assertThat(seen.add(session.id())).isTrue();
            assertThat(seen.add(session.csrf())).isTrue();
        }
    }

    @Test
    void aSessionKeepsTheUserAndCallsTheApiWithItsToken() {
        AdminSession session = sessions.start(ADMIN, "the-token");
        assertThat(sessions.find(session.id())).containsSame(session);
        assertThat(session.user()).isEqualTo(ADMIN);
        assertThat(session.authorization()).isEqualTo("Bearer the-token");
        assertThat(session.toString()).doesNotContain("the-token", session.id(), session.csrf());
        assertThat(sessions.find("unknown")).isEmpty();
        assertThat(sessions.find(null)).isEmpty();
    }

    @Test
    void idleForTheTimeoutEndsItEachRequestStartsTheIdleTimeAgain() {
        AdminSession session = sessions.start(ADMIN, "t");
        now = now.plus(Duration.ofMinutes(29));
        assertThat(sessions.find(session.id())).isPresent();
        now = now.plus(Duration.ofMinutes(29));
        assertThat(sessions.find(session.id())).isPresent();
        now = now.plus(Duration.ofMinutes(30));
        assertThat(sessions.find(session.id())).isEmpty();
        assertThat(sessions.size()).isZero();
    }

    @Test
    void eightHoursAfterTheLoginItEndsHoweverBusy() {
        AdminSession session = sessions.start(ADMIN, "t");
        for (int i = 0; i < 19; i++) {
            now = now.plus(Duration.ofMinutes(25));
            assertThat(sessions.find(session.id())).as("after %d minutes", (i + 1) * 25).isPresent();
        }
        now = now.plus(Duration.ofMinutes(5));
        assertThat(sessions.find(session.id())).as("8 hours").isEmpty();
    }

    @Test
    void endAndExpiredSessionsAreDroppedAtTheNextLogin() {
        AdminSession ended = sessions.start(ADMIN, "t");
        sessions.end(ended);
        assertThat(sessions.find(ended.id())).isEmpty();
        sessions.start(ADMIN, "t");
        now = now.plus(Duration.ofHours(1));
        sessions.start(ADMIN, "t");
        assertThat(sessions.size()).isEqualTo(1);
    }

    @Test
    void aFlashMessageIsShownOnce() {
        AdminSession session = sessions.start(ADMIN, "t");
        session.flash("gespeichert");
        assertThat(session.takeFlash()).isEqualTo("gespeichert");
        assertThat(session.takeFlash()).isNull();
    }
}
