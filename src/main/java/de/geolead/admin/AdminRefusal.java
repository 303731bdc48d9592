package de.geolead.admin;

/**
 * A request the admin page refuses before any API call: no (live) login ({@link #loginRequired}, answered with the
 * login page), a wrong login token (401, the login page with the message), a POST without its form's CSRF token or
 * from another origin (403), bad form input (400). The route configuration {@code admin-errors} answers it as a page.
 * The message is German, for people, and never holds a token.
 */
public final class AdminRefusal extends RuntimeException {

    private final int status;
    private final boolean showLogin;

    private AdminRefusal(int status, boolean showLogin, String message) {
        super(message, null, false, false);
        this.status = status;
        this.showLogin = showLogin;
    }

    /** No session or an expired one: the login page (200; a page, not an error, for the browser). */
    public static AdminRefusal loginRequired(String message) {
        return new AdminRefusal(200, true, message);
    }

    /** The login token is unknown: the login page again with the message, 401. */
    public static AdminRefusal loginFailed(int status, String message) {
        return new AdminRefusal(status, true, message);
    }

    public static AdminRefusal forbidden(String message) {
        return new AdminRefusal(403, false, message);
    }

    public static AdminRefusal badRequest(String message) {
        return new AdminRefusal(400, false, message);
    }

    public int status() {
        return status;
    }

    public boolean showLogin() {
        return showLogin;
    }
}
