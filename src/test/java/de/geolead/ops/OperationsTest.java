package de.geolead.ops;

import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The management port: every endpoint behind a login; readiness with Geolead's own checks; Prometheus metrics. */
class OperationsTest {

    @TempDir
    static Path dataDir;
    static RunningApp app;
    static String credentials;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        TestDatabase.get().reset();
        app = RunningApp.start(dataDir, Map.of());
        Path users = dataDir.resolve("management-users.properties");
        String line = Files.readAllLines(users).stream().filter(l -> l.startsWith("user.ops")).findFirst().orElseThrow();
        String password = line.substring(line.indexOf('=') + 1, line.lastIndexOf(',')).trim();
        credentials = Base64.getEncoder().encodeToString(("ops:" + password).getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static HttpResponse<String> get(String path, boolean authenticated) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.managementPort() + path));
        if (authenticated) {
            request.header("Authorization", "Basic " + credentials);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyManagementEndpointRequiresALogin() throws Exception {
        for (String path : new String[] {"/observe/health", "/observe/health/ready", "/observe/metrics", "/observe/jolokia/version", "/observe/info"}) {
            assertThat(get(path, false).statusCode()).as(path).isEqualTo(401);
        }
        assertThat(get("/observe/jolokia/version", true).statusCode()).isEqualTo(200);
    }

    @Test
    void readinessCoversDatabaseBrokerAndImport() throws Exception {
        HttpResponse<String> ready = get("/observe/health/ready?exposureLevel=full", true);

        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("geolead-database", "geolead-broker", "geolead-dialfire-import", "\"status\":\"UP\"");
        assertThat(get("/observe/health/live", true).statusCode()).isEqualTo(200);
    }

    @Test
    void prometheusMetricsCarryCamelRoutesAndBusinessMetrics() throws Exception {
        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);

        String metrics = get("/observe/metrics", true).body();

        assertThat(metrics).contains("camel_exchanges_total", "routeId=\"distribution-sweep-run\"",
                "geolead_payment_status_changes_total", "geolead_import_last_success_seconds", "geolead_payment_check_last_success_seconds");
    }
}
