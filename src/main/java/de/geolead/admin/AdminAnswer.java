package de.geolead.admin;

/**
 * What the admin page answers: status, content type and body, and where a redirect goes ({@code location}) and the
 * {@code Set-Cookie} value, each null when not needed. The route {@code admin-respond} writes it with the page's
 * security headers.
 */
public record AdminAnswer(int status, String contentType, String body, String location, String cookie) {

    static final String HTML = "text/html; charset=utf-8";

    static AdminAnswer page(int status, String html) {
        return new AdminAnswer(status, HTML, html, null, null);
    }

    /** 303 See Other: after a form post the browser loads {@code location} with GET. */
    static AdminAnswer redirect(String location, String cookie) {
        return new AdminAnswer(303, HTML, "", location, cookie);
    }
}
