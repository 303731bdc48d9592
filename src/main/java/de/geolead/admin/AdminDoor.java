package de.geolead.admin;

import de.geolead.api.ApiAuth;
import de.geolead.api.ApiProblem;
import de.geolead.api.ApiUser;
import de.geolead.billing.TrustedProxies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * The admin page's door: login with an API token (checked by the API's own {@link ApiAuth}, so the same tokens,
 * roles and slowness for unknown tokens), the session cookie, logout, and the checks every form post passes:
 * the session's CSRF token (compared in constant time) and, when the browser sends an {@code Origin}, that it is
 * this host.
 *
 * <p>The cookie: {@code geolead_admin=<id>; Path=/admin; HttpOnly; SameSite=Strict}, plus {@code Secure} when the
 * request came over https: directly, or through a proxy in GEOLEAD_TRUSTED_PROXIES that says
 * {@code X-Forwarded-Proto: https}. The Origin check compares the Origin's host and port with the {@code Host}
 * header (the request's URL as the
 * server saw it; the scheme is not compared: a TLS-terminating proxy forwards plain http).
 */
public final class AdminDoor {

    private static final Logger LOG = LoggerFactory.getLogger("de.geolead.admin");
    public static final String COOKIE = "geolead_admin";
    static final String PATH = "/admin";

    private final ApiAuth auth;
    private final AdminSessions sessions;
    private final TrustedProxies proxies;

    public AdminDoor(ApiAuth auth, AdminSessions sessions, TrustedProxies proxies) {
        this.auth = auth;
        this.sessions = sessions;
        this.proxies = proxies;
    }

    /** The live session named by the request's cookie, else the login page ({@link AdminRefusal#loginRequired}). */
    public AdminSession session(String cookieHeader) {
        String id = cookie(cookieHeader);
        return sessions.find(id).orElseThrow(() -> AdminRefusal.loginRequired(
                id == null ? null : "Die Sitzung ist abgelaufen. Bitte neu anmelden."));
    }

    /**
     * POST /admin/login: the form's {@code token} field. A known token starts a new session (any old one of this
     * browser ends) and answers a redirect to the start page with the cookie; an unknown one the login page, 401.
     */
    public AdminAnswer login(Object form, String cookieHeader, String origin, String url, String peer, String forwardedProto) {
        checkOrigin(origin, url);
        String token = AdminForms.field(form, "token");
        ApiUser user;
        try {
            user = auth.user("Bearer " + (token == null ? "" : token.strip()));
        } catch (ApiProblem problem) {
            LOG.warn("Admin page: login refused ({})", problem.status() == 401 ? "unknown token" : problem.error());
            throw AdminRefusal.loginFailed(problem.status(), problem.status() == 401
                    ? "Dieser Token ist nicht bekannt." : "Anmeldung nicht möglich: " + problem.detail());
        }
        sessions.find(cookie(cookieHeader)).ifPresent(sessions::end);
        AdminSession session = sessions.start(user, token.strip());
        LOG.info("Admin page: {} ({}) logged in", user.name(), user.role());
        return AdminAnswer.redirect(PATH + "/", cookieValue(session.id(), secure(url, peer, forwardedProto), false));
    }

    /** POST /admin/logout: ends the session and clears the cookie. */
    public AdminAnswer logout(AdminSession session, String url, String peer, String forwardedProto) {
        sessions.end(session);
        LOG.info("Admin page: {} logged out", session.user().name());
        return AdminAnswer.redirect(PATH + "/", cookieValue("", secure(url, peer, forwardedProto), true));
    }

    /**
     * Every form post but the login: from this host (when the browser says: {@code Origin}) and with the session's
     * CSRF token. {@code url} is the request's URL as the server saw it (its host is the request's Host header).
     */
    public void checkPost(AdminSession session, Object form, String origin, String url) {
        checkOrigin(origin, url);
        String sent = AdminForms.field(form, "csrf");
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), session.csrf().getBytes(StandardCharsets.UTF_8))) {
            LOG.warn("Admin page: a form post of {} without its CSRF token was refused", session.user().name());
            throw AdminRefusal.forbidden("Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte die Seite neu laden.");
        }
    }

    /** An {@code Origin} that is present and not the host of the request's {@code url} is refused (403). */
    void checkOrigin(String origin, String url) {
        if (origin == null) {
            return;
        }
        String host = url == null ? "" : authority(url);
        if (host.isEmpty() || !authority(origin).equals(host)) {
            LOG.warn("Admin page: a form post from another origin was refused");
            throw AdminRefusal.forbidden("Formulare dieser Seite werden nur von dieser Seite aus angenommen.");
        }
    }

    /** host[:port] of an Origin or URL ({@code scheme://host[:port]…}), lower case without the scheme's default port; "" for {@code null} or anything unparsable. */
    private static String authority(String origin) {
        try {
            URI uri = URI.create(origin.strip());
            if (uri.getScheme() == null || uri.getRawAuthority() == null) {
                return "";
            }
            return withoutDefaultPort(uri.getRawAuthority(), uri.getScheme().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static String withoutDefaultPort(String authority, String scheme) {
        String lower = authority.toLowerCase(Locale.ROOT);
        if ("http".equals(scheme) && lower.endsWith(":80")) {
            return lower.substring(0, lower.length() - 3);
        }
        if ("https".equals(scheme) && lower.endsWith(":443")) {
            return lower.substring(0, lower.length() - 4);
        }
        return lower;
    }

    /** Whether the browser talks https to us: directly, or via a trusted proxy that says so. */
    boolean secure(String url, String peer, String forwardedProto) {
        if (url != null && url.regionMatches(true, 0, "https:", 0, 6)) {
            return true;
        }
        return forwardedProto != null && "https".equalsIgnoreCase(forwardedProto.strip()) && proxies.contains(peer);
    }

    static String cookieValue(String id, boolean secure, boolean clear) {
        return COOKIE + "=" + id + "; Path=" + PATH + "; HttpOnly; SameSite=Strict" + (clear ? "; Max-Age=0" : "")
                + (secure ? "; Secure" : "");
    }

    /** The value of our cookie in a {@code Cookie} header, or null. */
    static String cookie(String cookieHeader) {
        if (cookieHeader == null) {
            return null;
        }
        for (String pair : cookieHeader.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).strip().equals(COOKIE)) {
                return pair.substring(eq + 1).strip();
            }
        }
        return null;
    }
}
