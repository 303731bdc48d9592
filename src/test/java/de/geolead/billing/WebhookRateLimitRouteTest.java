package de.geolead.billing;

import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The public webhook refuses a flood from one address with 429, before any signature work or database write. */
class WebhookRateLimitRouteTest {

    @TempDir
    Path dataDir;

    @Test
    void callsBeyondTheLimitAreAnswered429() throws Exception {
        TestDatabase.get().reset();
        int port = RunningApp.freePort();
        try (RunningApp app = RunningApp.start(dataDir, Map.of(
                "geolead.http.port", Integer.toString(port),
                "stripe.webhook.secret", "whsec_limit",
                "geolead.webhook.rate.limit", "5"))) {
            HttpClient http = HttpClient.newHttpClient();
            int bad = 0;
            int limited = 0;
            String retryAfter = null;
            for (int i = 0; i < 8; i++) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe"))
                        .header("Stripe-Signature", "t=1,v1=00").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 400) {
                    bad++;
                } else if (response.statusCode() == 429) {
                    limited++;
                    retryAfter = response.headers().firstValue("Retry-After").orElse(null);
                }
            }
            assertThat(bad).as("within the limit: checked and rejected").isEqualTo(5);
            assertThat(limited).isEqualTo(3);
            assertThat(retryAfter).isEqualTo("60");
            assertThat(TestDatabase.get().count("SELECT count(*) FROM stripe_events")).isZero();
        }
    }
}
