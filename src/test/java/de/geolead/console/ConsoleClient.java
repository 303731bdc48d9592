package de.geolead.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A browser stand-in for the Hawtio console: keeps the session cookie, logs in, sends Jolokia requests. */
final class ConsoleClient {

    static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final CookieManager cookies = new CookieManager();
    private final HttpClient http;

    ConsoleClient(int port) {
        this.base = "http://127.0.0.1:" + port + "/hawtio";
        this.http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code POST /hawtio/auth/login} as the login page sends it. */
    HttpResponse<String> login(String user, String password) throws IOException, InterruptedException {
        String body = JSON.createObjectNode().put("username", user).put("password", password).toString();
        return post("/auth/login", body);
    }

    /** A Jolokia request to {@code /hawtio/jolokia}; the JSON answer carries Jolokia's own status. */
    HttpResponse<String> jolokia(String request) throws IOException, InterruptedException {
        return post("/jolokia", request);
    }

    /** Jolokia {@code exec} of {@code operation} on the route MBean of {@code routeId}. */
    JsonNode execOnRoute(String routeId, String operation) throws IOException, InterruptedException {
        return execOn("org.apache.camel:context=geolead,type=routes,name=\"" + routeId + "\"", operation);
    }

    JsonNode execOn(String mbean, String operation) throws IOException, InterruptedException {
        String request = JSON.createObjectNode().put("type", "exec").put("mbean", mbean).put("operation", operation).toString();
        return JSON.readTree(jolokia(request).body());
    }

    boolean hasSessionCookie() {
        return cookies.getCookieStore().getCookies().stream().anyMatch(cookie -> cookie.getName().equals("JSESSIONID"));
    }

    private HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
