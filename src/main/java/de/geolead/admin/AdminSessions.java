package de.geolead.admin;

import de.geolead.api.ApiUser;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin page's logins, in memory of this instance: a session id is 256 random bits (base64url), a session ends
 * after {@code idle} without a request (GEOLEAD_ADMIN_SESSION_IDLE) or {@code max} after the login
 * (GEOLEAD_ADMIN_SESSION_MAX), whichever comes first, or at logout. Behind a round-robin balancer a login holds on
 * one instance only: the balancer must be sticky for {@code /admin/}, else people log in again. A restart ends every
 * login. Expired sessions are dropped when they are asked for and at every login.
 */
public final class AdminSessions {

    private static final int RANDOM_BYTES = 32;

    private final Map<String, AdminSession> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final Duration idle;
    private final Duration max;
    private final Clock clock;

    public AdminSessions(Duration idle, Duration max, Clock clock) {
        this.idle = idle;
        this.max = max;
        this.clock = clock;
    }

    /** A new session for {@code user}, who logged in with {@code token}. */
    public AdminSession start(ApiUser user, String token) {
        Instant now = clock.instant();
        sessions.values().removeIf(session -> expired(session, now));
        AdminSession session = new AdminSession(randomId(), user, token, randomId(), now);
        sessions.put(session.id(), session);
        return session;
    }

    /** The live session with this id, touched (its idle time starts again); empty when unknown or expired. */
    public Optional<AdminSession> find(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        AdminSession session = sessions.get(id);
        if (session == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (expired(session, now)) {
            sessions.remove(id, session);
            return Optional.empty();
        }
        session.seen(now);
        return Optional.of(session);
    }

    public void end(AdminSession session) {
        if (session != null) {
            sessions.remove(session.id(), session);
        }
    }

    /** Sessions held now (expired ones not yet dropped included). */
    public int size() {
        return sessions.size();
    }

    private boolean expired(AdminSession session, Instant now) {
        return !now.isBefore(session.lastSeen().plus(idle)) || !now.isBefore(session.started().plus(max));
    }

    private String randomId() {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
