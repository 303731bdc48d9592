package de.geolead.admin;

import de.geolead.testing.RunningApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser for the admin page's HTTP tests: keeps the session cookie it was given, follows no redirects, posts
 * forms (application/x-www-form-urlencoded) and finds the CSRF token in the last page.
 */
final class AdminBrowser {

    record Page(int status, String html, Map<String, List<String>> headers) {
        Optional<String> header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst();
        }

        String csrf() {
            Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
            if (!m.find()) {
                throw new AssertionError("no CSRF field in the page:\n" + html);
            }
            return m.group(1);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    String cookie;
    Page last;

    AdminBrowser(RunningApp app) {
        this.base = "http://127.0.0.1:" + app.context().getPropertiesComponent().resolveProperty("geolead.http.port").orElseThrow();
    }

    String base() {
        return base;
    }

    Page get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), Map.of());
    }

    /** Logs in with {@code token}; the session cookie is kept. */
    Page login(String token) {
        return post("/admin/login", Map.of("token", token), Map.of());
    }

    /** Posts a form with the last page's CSRF token added. */
    Page postForm(String path, Map<String, String> fields) {
        Map<String, String> withCsrf = new LinkedHashMap<>(fields);
        withCsrf.put("csrf", last.csrf());
        return post(path, withCsrf, Map.of());
    }

    Page post(String path, Map<String, String> fields, Map<String, String> headers) {
        String form = fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)), headers);
    }

    private Page send(HttpRequest.Builder request, Map<String, String> headers) {
        request.timeout(Duration.ofSeconds(30));
        if (cookie != null) {
            request.header("Cookie", AdminDoor.COOKIE + "=" + cookie);
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            Page page = new Page(response.statusCode(), response.body(), response.headers().map());
            page.header("Set-Cookie").ifPresent(set -> {
                Matcher m = Pattern.compile(AdminDoor.COOKIE + "=([^;]*)").matcher(set);
                if (m.find()) {
                    cookie = m.group(1).isEmpty() ? null : m.group(1);
                }
            });
            if (page.html().contains("name=\"csrf\"")) {
                last = page;
            }
            return page;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
