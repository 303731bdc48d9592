package de.geolead.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import de.geolead.api.ApiTokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Calls a {@link RunningApp}'s operations API over real HTTP. {@link #tokensFile} writes a tokens file with the
 * tokens {@link #ADMIN} (name {@code ops-admin}) and {@link #VIEWER} (name {@code ops-viewer}); give its path to the
 * app as {@code geolead.api.tokens.file} ({@link #settings}).
 */
public final class ApiClient {

    public static final String ADMIN = "admin-token-0123456789abcdef";
    public static final String VIEWER = "viewer-token-0123456789abcdef";

    /** An answer: status and body (parsed when it is JSON, else {@link #text}). */
    public record Answer(int status, String text, Map<String, java.util.List<String>> headers) {
        public JsonElement json() {
            return JsonParser.parseString(text);
        }

        public String error() {
            return json().getAsJsonObject().get("error").getAsString();
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    private ApiClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** Writes the tokens file with the admin and the viewer token into {@code dir}. */
    public static Path tokensFile(Path dir) {
        try {
            Path file = dir.resolve("api-tokens");
            Files.writeString(file, "# test tokens\n"
                    + ApiTokens.line("ops-admin", "admin", ADMIN.toCharArray()) + "\n"
                    + ApiTokens.line("ops-viewer", "viewer", VIEWER.toCharArray()) + "\n", StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** App settings that switch the API on with a fresh tokens file in {@code dir}. */
    public static Map<String, String> settings(Path dir) {
        return Map.of("geolead.api.tokens.file", tokensFile(dir).toString());
    }

    /** A client of {@code app}'s API calling with {@code token} (null = no Authorization header). */
    public static ApiClient of(RunningApp app, String token) {
        String port = app.context().getPropertiesComponent().resolveProperty("geolead.http.port").orElseThrow();
        return new ApiClient("http://127.0.0.1:" + port, token);
    }

    public static ApiClient admin(RunningApp app) {
        return of(app, ADMIN);
    }

    public static ApiClient viewer(RunningApp app) {
        return of(app, VIEWER);
    }

    public String baseUrl() {
        return base;
    }

    public Answer get(String path) {
        return send("GET", path, null);
    }

    public Answer post(String path, String json) {
        return send("POST", path, json);
    }

    public Answer put(String path, String json) {
        return send("PUT", path, json);
    }

    public Answer delete(String path) {
        return send("DELETE", path, null);
    }

    /** One request; {@code json} null = no body. */
    public Answer send(String method, String path, String json) {
        return send(method, path, json, Map.of());
    }

    /** One request with extra headers. */
    public Answer send(String method, String path, String json, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(response.statusCode(), response.body(), response.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
