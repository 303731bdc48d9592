package de.geolead.benchmark;

import de.geolead.sandbox.SandboxStripe;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Webhook rate: wrk (the load tool, from Debian's package) sends distinct, validly signed Stripe
 * events to the real {@code stripe-webhook} route on loopback; every one is verified, stored and queued.
 * Processing is switched off so that only the HTTP path is measured. Needs {@code wrk} on the PATH.
 * Run with {@code mvn -B -Pbenchmark test -Dtest=WebhookBenchmark} ({@code -Dbench.seconds=20 -Dbench.connections=16}).
 */
@Tag("benchmark")
class WebhookBenchmark {

    static final String STRIPE_KEY = "sk_test_geolead_bench";
    static final String SECRET = "whsec_bench";

    @TempDir
    Path dataDir;

    @Test
    void webhookRate() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/wrk")), "wrk is not installed (apt-get install wrk)");
        int seconds = Integer.getInteger("bench.seconds", 20);
        int connections = Integer.getInteger("bench.connections", 16);
        int events = Integer.getInteger("bench.events", 60_000);
        TestDatabase db = TestDatabase.get();
        db.reset();

        try (SandboxStripe stripe = SandboxStripe.start(0, STRIPE_KEY)) {
            stripe.putCustomer("cus_bench", "Bench", "bench@makler.test");
            stripe.putSubscription("sub_bench", "cus_bench", "active", "80331", 1_700_000_000L, null, 1_800_000_000L);
            String subscription = stripe.subscriptionJson("sub_bench");
            Path file = dataDir.resolve("events.tsv");
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (int i = 0; i < events; i++) {
                    String event = SandboxStripe.event("evt_bench_" + i, "customer.subscription.updated", subscription)
                            .replace("\n", " ");
                    out.write(SandboxStripe.signatureHeader(event, SECRET) + "\t" + event + "\n");
                }
            }
            int port = RunningApp.freePort();
            try (RunningApp app = RunningApp.start(dataDir, Map.of(
                    "geolead.http.port", Integer.toString(port),
                    "stripe.webhook.secret", SECRET,
                    "stripe.api.key", STRIPE_KEY,
                    "stripe.api.base", stripe.apiBase(),
                    // one load tool on one address: the per-address limit (600/min by default) would answer 429
                    "geolead.webhook.rate.limit", "0",
                    "camel.main.auto-startup-exclude-pattern", "stripe-events"))) {
                Path script = Path.of("src/test/resources/bench/stripe-webhook.lua").toAbsolutePath();
                int threads = 2;
                Process wrk = new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency",
                        "-s", script.toString(), "http://127.0.0.1:" + port + "/webhooks/stripe", "--", file.toString(), Integer.toString(threads))
                        .redirectErrorStream(true).start();
                String output = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(wrk.waitFor()).isZero();
                System.out.println("BENCHMARK wrk output:\n" + output);

                double rate = number(output, "Requests/sec:\\s+([0-9.]+)");
                String p99 = text(output, "\\s99%\\s+(\\S+)");
                long stored = db.count("SELECT count(*) FROM stripe_events");
                assertThat(output).doesNotContain("Non-2xx");
                System.out.printf("BENCHMARK stripe-webhook: %.0f signed events/s, p99 %s, %d connections, %d s; %d distinct events stored%n",
                        rate, p99, connections, seconds, stored);
            }
        }
    }

    private static double number(String text, String regex) {
        return Double.parseDouble(text(text, regex));
    }

    private static String text(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("no match for " + regex + " in wrk output");
        }
        return m.group(1);
    }
}
