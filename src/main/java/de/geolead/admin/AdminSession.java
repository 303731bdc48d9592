package de.geolead.admin;

import de.geolead.api.ApiUser;

import java.time.Instant;

/**
 * One login to the admin page: who it is ({@link ApiUser}), the API token the page calls the API with on their behalf
 * (kept here, never sent to the browser again), the CSRF token of its forms and its times. A message for the next
 * page ({@link #takeFlash}) survives one redirect.
 */
public final class AdminSession {

    private final String id;
    private final ApiUser user;
    private final String token;
    private final String csrf;
    private final Instant started;
    private volatile Instant lastSeen;
    private volatile String flash;

    AdminSession(String id, ApiUser user, String token, String csrf, Instant started) {
        this.id = id;
        this.user = user;
        this.token = token;
        this.csrf = csrf;
        this.started = started;
        this.lastSeen = started;
    }

    String id() {
        return id;
    }

    public ApiUser user() {
        return user;
    }

    /** The {@code Authorization} header the page calls the API with. */
    public String authorization() {
        return "Bearer " + token;
    }

    public String csrf() {
        return csrf;
    }

    Instant started() {
        return started;
    }

    Instant lastSeen() {
        return lastSeen;
    }

    void seen(Instant now) {
        lastSeen = now;
    }

    /** A message shown once on the next page (after a redirect). */
    public void flash(String message) {
        flash = message;
    }

    /** The message for this page, if any; it is shown once. */
    public String takeFlash() {
        String message = flash;
        flash = null;
        return message;
    }

    @Override
    public String toString() {
        // never the id, the token or the CSRF token: this may end up in a log line
        return "admin session of " + user.name();
    }
}
