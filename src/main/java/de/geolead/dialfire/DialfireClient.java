package de.geolead.dialfire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.lead.LeadSheetPdf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The three Dialfire calls the import needs, with the campaign token as bearer token:
 * the transactions feed, contacts by id ({@code flat_view}, at most 30 a call) and campaign resources.
 * <p>
 * 403 fails at once ({@link DialfireAccessDeniedException}); 429, 5xx, network errors and timeouts are retried
 * with exponential backoff and then fail with {@link DialfireUnavailableException}. The timeout bounds each
 * attempt as a whole, body included (a host that sends headers and then stalls is cut off).
 * Lead sheets are fetched only from {@link PdfSources allowed sources}; their failures never throw.
 */
public class DialfireClient {

    private static final Logger LOG = LoggerFactory.getLogger(DialfireClient.class);
    /** Dialfire's time format on the transactions feed: UTC, milliseconds, no zone suffix. */
    public static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    public static final int FLAT_VIEW_BATCH = 30;
    private static final int MAX_REDIRECTS = 5;
    /** Far above any feed page or flat_view batch; a larger answer is an error, not a memory problem. */
    private static final int API_MAX_BYTES = 64 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String campaignId;
    private final String token;
    private final int attempts;
    private final Duration backoff;
    private final Duration timeout;
    private final HttpClient http;
    private final PdfSources pdfSources;

    /** Lead sheets only from the Dialfire API host (the default of {@code DIALFIRE_PDF_HOSTS}). */
    public DialfireClient(String baseUrl, String campaignId, String token, int attempts, Duration backoff, Duration timeout) {
        this(baseUrl, campaignId, token, attempts, backoff, timeout, List.of());
    }

    /** @param pdfHosts the entries of {@code DIALFIRE_PDF_HOSTS} (see {@link PdfSources}); empty = the Dialfire API host */
    public DialfireClient(String baseUrl, String campaignId, String token, int attempts, Duration backoff, Duration timeout,
                          List<String> pdfHosts) {
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
        this.pdfSources = new PdfSources(URI.create(this.baseUrl), URI.create(campaignUrl() + "/resources/").getRawPath(), pdfHosts);
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
     * campaign's resources folder. Only sources {@link PdfSources} allows are asked (every redirect hop
     * again); the token is only sent to the Dialfire host itself. Never throws for a problem of this one
     * sheet: the answer says why it is missing and whether another try may help.
     */
    public LeadSheetDownload leadSheet(String reference, int maxBytes) {
        if (reference == null || reference.isBlank()) {
            return LeadSheetDownload.missing(null, LeadSheetDownload.NO_REFERENCE, null);
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
            return LeadSheetDownload.missing(null, LeadSheetDownload.INVALID_REFERENCE, "unparsable");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            // e.g. http:///lead.pdf
            return LeadSheetDownload.missing(null, LeadSheetDownload.INVALID_REFERENCE, "no host");
        }
        for (int attempt = 1; ; attempt++) {
            SheetAnswer sheet = fetchSheet(uri, maxBytes);
            if (sheet.download() != null) {
                return sheet.download();
            }
            Answer answer = sheet.answer();
            String source = sheet.source().toString();
            int status = answer.status();
            if (status == 429 || status >= 500) {
                if (attempt < attempts) {
                    LOG.debug("Lead sheet attempt {}/{} answered HTTP {}, retrying", attempt, attempts, status);
                    sleep(delay(attempt, answer.headers().firstValue("Retry-After")));
                    continue;
                }
                return LeadSheetDownload.temporarilyMissing(source, "HTTP " + status + " after " + attempts + " attempts");
            }
            if (status == 404 || status == 410) {
                return LeadSheetDownload.missing(source, LeadSheetDownload.NOT_FOUND, "HTTP " + status);
            }
            if (status == 408) {
                return LeadSheetDownload.temporarilyMissing(source, "HTTP " + status);
            }
            if (status >= 300) {
                return LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "HTTP " + status);
            }
            if (answer.truncated()) {
                return LeadSheetDownload.missing(source, LeadSheetDownload.TOO_LARGE, "more than " + maxBytes + " bytes");
            }
            if (!LeadSheetPdf.looksLikePdf(answer.body())) {
                return LeadSheetDownload.missing(source, LeadSheetDownload.NOT_A_PDF, answer.body().length + " bytes without %PDF-");
            }
            return LeadSheetDownload.found(answer.body(), source);
        }
    }

    /** The final answer of one try (redirects followed), or a download that already says why there is none. */
    private record SheetAnswer(URI source, Answer answer, LeadSheetDownload download) {}

    /** One try: follows up to {@value #MAX_REDIRECTS} redirects, checking each hop, all within one timeout. */
    private SheetAnswer fetchSheet(URI start, int maxBytes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI uri = start;
        for (int hop = 0; ; hop++) {
            String source = uri.toString();
            try {
                if (!pdfSources.allows(uri)) {
                    return new SheetAnswer(uri, null, LeadSheetDownload.missing(source, LeadSheetDownload.NOT_ALLOWED, "hop " + hop));
                }
                boolean dialfireHost = isDialfireHost(uri);
                HttpRequest.Builder builder = dialfireHost ? authorized(uri) : HttpRequest.newBuilder(uri).timeout(timeout);
                Answer answer = exchange(builder.GET().build(), deadline, maxBytes);
                Optional<String> location = answer.headers().firstValue("Location");
                if (!isRedirect(answer.status()) || location.isEmpty()) {
                    return new SheetAnswer(uri, answer, null);
                }
                if (hop == MAX_REDIRECTS) {
                    return new SheetAnswer(uri, null, LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "too many redirects"));
                }
                uri = uri.resolve(location.get().trim());
                if (uri.getHost() == null) {
                    return new SheetAnswer(uri, null, LeadSheetDownload.missing(source, LeadSheetDownload.REFUSED, "unusable redirect"));
                }
            } catch (IOException e) {
                // timeout, connection refused or reset, unknown host: another run may have more luck
                return new SheetAnswer(uri, null, LeadSheetDownload.temporarilyMissing(source, e.getClass().getSimpleName()));
            } catch (IllegalArgumentException e) {
                return new SheetAnswer(uri, null, LeadSheetDownload.missing(source, LeadSheetDownload.INVALID_REFERENCE, e.getClass().getSimpleName()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DialfireUnavailableException("Interrupted while fetching a lead sheet", e);
            }
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

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    /** Sends with retries and returns a 2xx answer's body. */
    private String send(HttpRequest request, String what) {
        Answer answer = sendWithRetries(request, what);
        if (answer.status() >= 300) {
            throw new IllegalStateException("Dialfire " + what + " answered HTTP " + answer.status());
        }
        if (answer.truncated()) {
            throw new IllegalStateException("Dialfire " + what + " answer is larger than " + API_MAX_BYTES + " bytes");
        }
        return new String(answer.body(), StandardCharsets.UTF_8);
    }

    /**
     * Sends and returns the first answer that is neither 429 nor 5xx, retrying those, network errors and
     * timeouts (each attempt bounded as a whole by the timeout) with exponential backoff. 403 fails at once.
     */
    private Answer sendWithRetries(HttpRequest request, String what) {
        String lastProblem = "";
        Exception lastError = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                Answer answer = exchange(request, System.nanoTime() + timeout.toNanos(), API_MAX_BYTES);
                int status = answer.status();
                if (status == 403) {
                    throw new DialfireAccessDeniedException("Dialfire refused the " + what + " (HTTP 403): check DIALFIRE_CAMPAIGN_TOKEN and that campaign "
                            + campaignId + " has the campaignAPI permission");
                }
                if (status != 429 && status < 500) {
                    return answer;
                }
                lastProblem = "HTTP " + status;
                lastError = null;
                if (attempt < attempts) {
                    sleep(delay(attempt, answer.headers().firstValue("Retry-After")));
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

    /** An answer: status, headers and the body read up to a cap ({@code truncated}: there was more, not read). */
    private record Answer(int status, HttpHeaders headers, byte[] body, boolean truncated) {}

    /**
     * One request whose whole exchange, body included, ends by {@code deadlineNanos}; a stalled exchange is
     * cancelled (its connection closed) and fails with {@link HttpTimeoutException}. Only a 2xx body is
     * read, and only up to {@code maxBytes}: a larger one is cut off unread ({@code truncated}).
     */
    private Answer exchange(HttpRequest request, long deadlineNanos, int maxBytes) throws IOException, InterruptedException {
        AtomicReference<CappedBody> body = new AtomicReference<>();
        CompletableFuture<HttpResponse<CappedBody.Result>> future = http.sendAsync(request, info -> {
            boolean success = info.statusCode() / 100 == 2;
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            CappedBody subscriber = new CappedBody(success && declared <= maxBytes ? maxBytes : 0);
            body.set(subscriber);
            return subscriber;
        });
        try {
            long remaining = Math.max(1, deadlineNanos - System.nanoTime());
            HttpResponse<CappedBody.Result> response = future.get(remaining, TimeUnit.NANOSECONDS);
            return new Answer(response.statusCode(), response.headers(), response.body().bytes(), response.body().truncated());
        } catch (TimeoutException e) {
            abort(future, body.get());
            throw new HttpTimeoutException("no complete answer within " + timeout);
        } catch (InterruptedException e) {
            abort(future, body.get());
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IOException(cause == null ? e : cause);
        }
    }

    private static void abort(CompletableFuture<?> future, CappedBody body) {
        future.cancel(true);
        if (body != null) {
            body.abort();
        }
    }

    /** Collects a body up to a cap; beyond it, stops reading (cancels, which closes the connection). */
    private static final class CappedBody implements HttpResponse.BodySubscriber<CappedBody.Result> {

        record Result(byte[] bytes, boolean truncated) {}

        private final int cap;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<Result> result = new CompletableFuture<>();
        private volatile Flow.Subscription subscription;

        CappedBody(int cap) {
            this.cap = cap;
        }

        @Override
        public CompletionStage<Result> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer buffer : items) {
                int n = buffer.remaining();
                if ((long) out.size() + n > cap) {
                    subscription.cancel();
                    result.complete(new Result(new byte[0], true));
                    return;
                }
                byte[] chunk = new byte[n];
                buffer.get(chunk);
                out.write(chunk, 0, n);
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            result.complete(new Result(out.toByteArray(), false));
        }

        void abort() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            result.completeExceptionally(new HttpTimeoutException("aborted"));
        }
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
