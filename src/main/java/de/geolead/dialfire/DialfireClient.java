package de.geolead.dialfire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.lead.LeadSheetPdf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The three Dialfire calls the import needs, with the campaign token as bearer token:
 * the transactions feed, contacts by id ({@code flat_view}, at most 30 a call) and campaign resources.
 * <p>
 * 403 fails at once ({@link DialfireAccessDeniedException}); 429, 5xx and network errors are retried
 * with exponential backoff and then fail with {@link DialfireUnavailableException}.
 */
public class DialfireClient {

    private static final Logger LOG = LoggerFactory.getLogger(DialfireClient.class);
    /** Dialfire's time format on the transactions feed: UTC, milliseconds, no zone suffix. */
    public static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    public static final int FLAT_VIEW_BATCH = 30;
    private static final int MAX_REDIRECTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String campaignId;
    private final String token;
    private final int attempts;
    private final Duration backoff;
    private final Duration timeout;
    private final HttpClient http;

    public DialfireClient(String baseUrl, String campaignId, String token, int attempts, Duration backoff, Duration timeout) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.campaignId = campaignId;
        this.token = token;
        this.attempts = Math.max(1, attempts);
        this.backoff = backoff;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                // redirects are followed by hand: the JDK would carry the bearer token to any host
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private String campaignUrl() {
        return baseUrl + "/api/campaigns/" + encode(campaignId);
    }

    /** One page (at most {@code limit} transactions) of the feed between {@code from} and {@code to} (inclusive), after {@code cursor}. */
    public TransactionPage transactions(Instant from, Instant to, String cursor, List<String> taskPrefixes, int limit) {
        StringBuilder url = new StringBuilder(campaignUrl()).append("/contacts/transactions/")
                .append("?from=").append(encode(TIME.format(from)))
                .append("&to=").append(encode(TIME.format(to)))
                .append("&limit=").append(limit);
        if (cursor != null && !cursor.isEmpty()) {
            url.append("&cursor=").append(encode(cursor));
        }
        if (!taskPrefixes.isEmpty()) {
            url.append("&tasks=").append(encode(String.join(",", taskPrefixes)));
        }
        HttpRequest request = authorized(URI.create(url.toString())).GET().build();
        return TransactionPage.parse(readJson(send(request, "transactions feed")));
    }

    /** The flat contacts for these ids, fetched {@value #FLAT_VIEW_BATCH} at a time. */
    public List<DialfireContact> contacts(List<String> ids) {
        List<DialfireContact> contacts = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += FLAT_VIEW_BATCH) {
            List<String> batch = ids.subList(i, Math.min(ids.size(), i + FLAT_VIEW_BATCH));
            HttpRequest request = authorized(URI.create(campaignUrl() + "/contacts/flat_view"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(toJson(batch)))
                    .build();
            JsonNode array = readJson(send(request, "contacts flat_view"));
            if (!array.isArray()) {
                throw new IllegalArgumentException("Dialfire flat_view answer is not a JSON array");
            }
            for (JsonNode node : array) {
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = JSON.convertValue(node, Map.class);
                contacts.add(new DialfireContact(fields));
            }
        }
        return contacts;
    }

    /**
     * Fetches a lead sheet named by a contact field: an absolute http(s) URL or a path in the
     * campaign's resources folder. The token is only sent to the Dialfire host itself.
     */
    public LeadSheetDownload leadSheet(String reference, int maxBytes) {
        if (reference == null || reference.isBlank()) {
            return LeadSheetDownload.missing(null, "no PDF reference in the contact");
        }
        String ref = reference.trim();
        URI uri;
        try {
            if (ref.matches("(?i)^https?://.*")) {
                uri = URI.create(ref);
            } else if (ref.startsWith("/api/")) {
                uri = URI.create(baseUrl + ref);
            } else {
                uri = URI.create(campaignUrl() + "/resources/" + encodePath(ref));
            }
        } catch (IllegalArgumentException e) {
            return LeadSheetDownload.missing(ref, "PDF reference is not a valid URL or path");
        }
        HttpResponse<InputStream> response = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            boolean dialfireHost = isDialfireHost(uri);
            HttpRequest.Builder builder = dialfireHost ? authorized(uri) : HttpRequest.newBuilder(uri).timeout(timeout);
            response = sendStreaming(builder.GET().build(), "lead sheet", dialfireHost);
            Optional<String> location = response.headers().firstValue("Location");
            if (!isRedirect(response.statusCode()) || location.isEmpty()) {
                break;
            }
            closeQuietly(response.body());
            if (hop == MAX_REDIRECTS) {
                return LeadSheetDownload.missing(uri.toString(), "PDF behind more than " + MAX_REDIRECTS + " redirects");
            }
            uri = uri.resolve(location.get());
        }
        String source = uri.toString();
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status == 404 || status == 410) {
                return LeadSheetDownload.missing(source, "PDF not found (HTTP " + status + ")");
            }
            if (status >= 400) {
                return LeadSheetDownload.missing(source, "PDF refused (HTTP " + status + ")");
            }
            long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > maxBytes) {
                return LeadSheetDownload.missing(source, "PDF larger than " + maxBytes + " bytes (" + declared + ")");
            }
            byte[] bytes = body.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                return LeadSheetDownload.missing(source, "PDF larger than " + maxBytes + " bytes");
            }
            if (!LeadSheetPdf.looksLikePdf(bytes)) {
                return LeadSheetDownload.missing(source, "not a PDF (" + bytes.length + " bytes without the %PDF- header)");
            }
            return LeadSheetDownload.found(bytes, source);
        } catch (IOException e) {
            throw new DialfireUnavailableException("Reading the lead sheet " + source + " failed: " + e.getMessage(), e);
        }
    }

    /** The token goes only to the Dialfire host itself, with the same scheme (never in clear text to an https host). */
    private boolean isDialfireHost(URI uri) {
        URI base = URI.create(baseUrl);
        return base.getScheme().equalsIgnoreCase(String.valueOf(uri.getScheme()))
                && base.getAuthority().equalsIgnoreCase(String.valueOf(uri.getAuthority()));
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to read from a redirect
        }
    }

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    /** Sends with retries and returns a 2xx answer's body. */
    private String send(HttpRequest request, String what) {
        HttpResponse<InputStream> response = sendStreaming(request, what, true);
        try (InputStream body = response.body()) {
            String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            if (response.statusCode() >= 300) {
                throw new IllegalStateException("Dialfire " + what + " answered HTTP " + response.statusCode());
            }
            return text;
        } catch (IOException e) {
            throw new DialfireUnavailableException("Reading the Dialfire " + what + " answer failed: " + e.getMessage(), e);
        }
    }

    /**
     * Sends and returns the first answer that is neither 429 nor 5xx, retrying those and network errors
     * with exponential backoff. 403 from Dialfire itself fails at once.
     */
    private HttpResponse<InputStream> sendStreaming(HttpRequest request, String what, boolean dialfireHost) {
        String lastProblem = "";
        Exception lastError = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                int status = response.statusCode();
                if (status == 403 && dialfireHost) {
                    response.body().close();
                    throw new DialfireAccessDeniedException("Dialfire refused the " + what + " (HTTP 403): check DIALFIRE_CAMPAIGN_TOKEN and that campaign "
                            + campaignId + " has the campaignAPI permission");
                }
                if (status != 429 && status < 500) {
                    return response;
                }
                response.body().close();
                lastProblem = "HTTP " + status;
                lastError = null;
                if (attempt < attempts) {
                    sleep(delay(attempt, response.headers().firstValue("Retry-After")));
                }
            } catch (IOException e) {
                lastProblem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                lastError = e;
                if (attempt < attempts) {
                    sleep(delay(attempt, Optional.empty()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DialfireUnavailableException("Interrupted while calling the Dialfire " + what, e);
            }
            if (attempt < attempts) {
                LOG.debug("Dialfire {} attempt {}/{} failed ({}), retrying", what, attempt, attempts, lastProblem);
            }
        }
        throw new DialfireUnavailableException("Dialfire " + what + " still failing after " + attempts + " attempts (" + lastProblem + ")", lastError);
    }

    /** backoff × 2^(attempt-1), or the server's Retry-After seconds if larger (capped at one minute). */
    Duration delay(int attempt, Optional<String> retryAfter) {
        Duration exponential = backoff.multipliedBy(1L << Math.min(attempt - 1, 16));
        Duration server = retryAfter.flatMap(DialfireClient::seconds).orElse(Duration.ZERO);
        Duration chosen = server.compareTo(exponential) > 0 ? server : exponential;
        return chosen.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : chosen;
    }

    private static Optional<Duration> seconds(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DialfireUnavailableException("Interrupted while waiting to retry Dialfire", e);
        }
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("Dialfire answered with invalid JSON: " + e.getMessage(), e);
        }
    }

    private static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Encodes each segment of a resources path, keeping the slashes. */
    private static String encodePath(String path) {
        String trimmed = path.replaceFirst("^/+", "");
        return Arrays.stream(trimmed.split("/")).map(DialfireClient::encode).collect(Collectors.joining("/"));
    }
}
