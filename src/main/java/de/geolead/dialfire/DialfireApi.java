package de.geolead.dialfire;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

/**
 * Judges the answers of the Dialfire API calls the route {@code dialfire-import} makes with camel-http
 * (the transactions feed and {@code flat_view}); no Camel API. The route calls with
 * {@code throwExceptionOnFailure=false} and hands the status code here:
 * 403 → {@link DialfireAccessDeniedException} (the run stops, never retried); 429, 5xx and network failures →
 * {@link DialfireUnavailableException} (redelivered by the route configuration {@code geolead-errors}, then the run
 * is given up); any other non-2xx → {@link IllegalStateException}.
 */
public class DialfireApi {

    /** Dialfire's time format on the transactions feed: UTC, milliseconds, no zone suffix. */
    public static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    /** Contacts per {@code flat_view} call, at most. */
    public static final int FLAT_VIEW_BATCH = 30;
    /** Far above any feed page or flat_view batch; a larger answer is an error, not a memory problem. */
    public static final long API_MAX_BYTES = 64L * 1024 * 1024;
    /** A {@code Retry-After} longer than this is waited for this long only. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);

    private final String campaignId;
    private final int attempts;
    private final Duration backoff;

    /**
     * @param attempts {@code GEOLEAD_IMPORT_HTTP_ATTEMPTS}: the first call and its redeliveries together
     * @param backoff  {@code GEOLEAD_IMPORT_HTTP_BACKOFF}: the wait before the second call, doubled before each further one
     */
    public DialfireApi(String campaignId, int attempts, Duration backoff) {
        this.campaignId = campaignId;
        this.attempts = Math.max(1, attempts);
        this.backoff = backoff;
    }

    /**
     * Judges one Dialfire API call: its answer, or the failure that left it without one.
     *
     * @param failure    what the call threw instead of answering (refused, reset, timeout, unknown host, too large), or null
     * @param redelivery {@code CamelRedeliveryCounter} (null on the first attempt)
     */
    public void answer(Integer status, Exception failure, String what, Integer redelivery) {
        if (failure != null) {
            unreachable(failure, what, redelivery);
        }
        int code = status == null ? 0 : status;
        if (code >= 200 && code < 300) {
            return;
        }
        if (code == 403) {
            throw new DialfireAccessDeniedException("Dialfire refused the " + what + " (HTTP 403): check DIALFIRE_CAMPAIGN_TOKEN and that campaign "
                    + campaignId + " has the campaignAPI permission");
        }
        if (code == 429 || code >= 500) {
            throw new DialfireUnavailableException(failing(what, "HTTP " + code, redelivery), null);
        }
        throw new IllegalStateException("Dialfire " + what + " answered HTTP " + code);
    }

    /** A call that got no answer (refused, reset, timeout, unknown host): a {@link DialfireUnavailableException}. */
    private void unreachable(Exception failure, String what, Integer redelivery) {
        Exception e = failure;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.io.IOException io) {
                // the I/O failure itself, not the conversion that met it while reading the answer
                e = io;
                break;
            }
        }
        if (e instanceof ResponseGuard.TooLargeException) {
            throw new IllegalStateException("Dialfire " + what + " answer is larger than " + API_MAX_BYTES + " bytes");
        }
        // the class only: an I/O message names hosts and ports
        throw new DialfireUnavailableException(failing(what, e.getClass().getSimpleName(), redelivery), e);
    }

    private String failing(String what, String problem, Integer redelivery) {
        int attempt = (redelivery == null ? 0 : redelivery) + 1;
        return attempt >= attempts
                ? "Dialfire " + what + " still failing after " + attempts + " attempts (" + problem + ")"
                : "Dialfire " + what + " failing at attempt " + attempt + " of " + attempts + " (" + problem + ")";
    }

    /**
     * The wait before the next call, in milliseconds for {@code CamelRedeliveryDelay}: the backoff doubled per call made
     * ({@code redelivery}: {@code CamelRedeliveryCounter}, null after the first), or Dialfire's {@code Retry-After}
     * (seconds or an HTTP date) if longer; at most {@link #MAX_RETRY_AFTER}.
     */
    public long retryDelay(String retryAfter, Integer redelivery) {
        return retryDelay(backoff, (redelivery == null ? 0 : redelivery) + 1, retryAfter);
    }

    /**
     * The wait after {@code callsMade} failed calls (the API's and a lead sheet's alike): {@code backoff} doubled per
     * call after the first, or what {@code Retry-After} asks if longer; at most {@link #MAX_RETRY_AFTER}; milliseconds.
     */
    static long retryDelay(Duration backoff, int callsMade, String retryAfter) {
        Duration exponential = backoff.multipliedBy(1L << Math.min(Math.max(callsMade, 1) - 1, 16));
        Duration asked = parseRetryAfter(retryAfter).orElse(Duration.ZERO);
        Duration chosen = asked.compareTo(exponential) > 0 ? asked : exponential;
        return (chosen.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : chosen).toMillis();
    }

    static Optional<Duration> parseRetryAfter(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException e) {
            try {
                java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(java.time.Instant.now(), at.toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (java.time.format.DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /**
     * Why {@code DIALFIRE_BASE_URL} must not be used with the campaign token, or empty when it may: the token
     * travels only over https, or over plain http to a loopback host (tests, the sandbox).
     */
    public static Optional<String> baseUrlProblem(String baseUrl) {
        URI uri;
        try {
            uri = URI.create(baseUrl.trim());
        } catch (IllegalArgumentException e) {
            return Optional.of("DIALFIRE_BASE_URL is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return Optional.of("DIALFIRE_BASE_URL has no host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return Optional.of("DIALFIRE_BASE_URL must be scheme://host[:port][/path] only");
        }
        if (scheme.equals("https")) {
            return Optional.empty();
        }
        if (scheme.equals("http") && isLoopback(uri.getHost())) {
            return Optional.empty();
        }
        return Optional.of("DIALFIRE_BASE_URL must be https:// (plain http only to a loopback host): the campaign token "
                + "would travel in clear text");
    }

    /** localhost, 127.0.0.0/8 or ::1, by name or literal (a name is looked up: it must resolve to loopback only). */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (!h.equals("localhost") && !h.matches("[0-9.]+") && !h.contains(":")) {
            return false;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(h)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
