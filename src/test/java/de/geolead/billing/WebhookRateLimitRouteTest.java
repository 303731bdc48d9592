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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The public webhook refuses a flood from one address with 429, before any signature work or database write. */
class WebhookRateLimitRouteTest {

    @TempDir
    Path dataDir;

    /** From a peer outside GEOLEAD_TRUSTED_PROXIES (none by default) a forged X-Forwarded-For changes nothing. */
    @Test
    void callsBeyondTheLimitAreAnswered429() throws Exception {
        int port = RunningApp.freePort();
        try (RunningApp app = start(port, 5, "")) {
            HttpClient http = HttpClient.newHttpClient();
            int bad = 0;
            int limited = 0;
            String retryAfter = null;
            for (int i = 0; i < 8; i++) {
                HttpResponse<String> response = post(http, port, "198.51.100." + i);
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

    /** Behind the TLS proxy every call comes from the proxy (here 127.0.0.1): its X-Forwarded-For names the client. */
    @Test
    void behindATrustedProxyEachClientIsLimitedOnItsOwn() throws Exception {
        int port = RunningApp.freePort();
        try (RunningApp app = start(port, 3, "10.0.0.0/8, 127.0.0.1/32, ::1/128")) {
            HttpClient http = HttpClient.newHttpClient();
            List<Integer> junk = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                junk.add(post(http, port, "1.2.3.4, 203.0.113.66").statusCode());
            }
            // Stripe's call, forwarded by the same proxy, with a forged first hop like any client may send
            int stripe = post(http, port, "203.0.113.66, 198.51.100.20").statusCode();
            int noHeader = post(http, port, null).statusCode();
            int malformed = post(http, port, "not-an-address").statusCode();

            assertThat(junk).containsExactly(400, 400, 400, 429, 429);
            assertThat(stripe).as("another client behind the same proxy").isEqualTo(400);
            assertThat(noHeader).as("no header: the proxy itself is the client").isEqualTo(400);
            assertThat(malformed).as("a malformed header counts as the proxy, whose 2 calls are within the limit").isEqualTo(400);
            assertThat(post(http, port, null).statusCode()).as("the proxy's third call").isEqualTo(400);
            assertThat(post(http, port, null).statusCode()).as("the proxy's fourth call").isEqualTo(429);
        }
    }

    private RunningApp start(int port, int limit, String trustedProxies) {
        TestDatabase.get().reset();
        return RunningApp.start(dataDir, Map.of(
                "geolead.http.port", Integer.toString(port),
                "stripe.webhook.secret", "whsec_limit",
                "geolead.webhook.rate.limit", Integer.toString(limit),
                "geolead.trusted.proxies", trustedProxies));
    }

    private static HttpResponse<String> post(HttpClient http, int port, String forwardedFor) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe"))
                .header("Stripe-Signature", "t=1,v1=00").POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (forwardedFor != null) {
            request.header("X-Forwarded-For", forwardedFor);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
