package de.geolead.benchmark;

import de.geolead.config.EmbeddedBroker;
import de.geolead.config.Infrastructure;
import de.geolead.sandbox.SandboxStripe;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Stripe webhook against its raw baseline ({@link RawWebhook}: Vert.x + stripe-java + one INSERT + one JMS send,
 * no Camel), back to back in one run on the same kind of events: distinct, validly signed
 * {@code customer.subscription.updated} events, each sent once.
 * <ol>
 *   <li>{@code webhook}: closed loop with wrk ({@code bench.connections}, 16), a warm-up and then {@code bench.seconds}
 *   per side; throughput ratio (target ≥ 0.5).</li>
 *   <li>{@code webhook-open-250/500/1000}: open loop with {@link OpenLoop} at a fixed rate for {@code bench.open.seconds}
 *   per side, latency from the scheduled send time; target at 500/s: p99 &lt; 25 ms, no errors.</li>
 * </ol>
 * Geolead runs as deployed (GEOLEAD_DATA_KEYS set) with processing switched off (route {@code stripe-events}), so only
 * the HTTP path is measured; the rate limit is off (one load tool on one address). Every answer must be "ok", and every
 * stored event must have been queued exactly once (Geolead: geolead.stripe.events, raw: its own queue on the same broker).
 * Needs {@code wrk} (Debian package). Run with {@code mvn -B -Pbenchmark test -Dtest=WebhookBenchmark};
 * {@code -Dbench.profile=true} profiles Geolead's closed-loop phase.
 */
@Tag("benchmark")
class WebhookBenchmark {

    static final String STRIPE_KEY = "sk_test_geolead_bench";
    static final String SECRET = "whsec_bench";
    static final String RAW_QUEUE = "bench.raw.stripe.events";
    static final String GEOLEAD_QUEUE = "geolead.stripe.events";

    @TempDir
    Path dataDir;

    private String subscription;

    @Test
    void webhook() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/wrk")), "wrk is not installed (apt-get install wrk)");
        int seconds = Integer.getInteger("bench.seconds", 10);
        int warmup = Integer.getInteger("bench.warmup.seconds", 10);
        int connections = Integer.getInteger("bench.connections", 16);
        int maxRate = Integer.getInteger("bench.max.rate", 6000); // events written per second of wrk: more than either side takes
        int openSeconds = Integer.getInteger("bench.open.seconds", 8);
        int[] rates = java.util.Arrays.stream(System.getProperty("bench.open.rates", "250,500,1000").split(","))
                .map(String::trim).mapToInt(Integer::parseInt).toArray();
        TestDatabase db = TestDatabase.get();
        db.reset();

        try (SandboxStripe stripe = SandboxStripe.start(0, STRIPE_KEY)) {
            stripe.putCustomer("cus_bench", "Bench", "bench@makler.test");
            stripe.putSubscription("sub_bench", "cus_bench", "active", "80331", 1_700_000_000L, null, 1_800_000_000L);
            subscription = stripe.subscriptionJson("sub_bench");
            int port = RunningApp.freePort();
            int rawPort = RunningApp.freePort();
            try (RunningApp app = RunningApp.start(dataDir, Map.of(
                    "geolead.http.port", Integer.toString(port),
                    "stripe.webhook.secret", SECRET,
                    "stripe.api.key", STRIPE_KEY,
                    "stripe.api.base", stripe.apiBase(),
                    "geolead.data.keys", DialfireImportBenchmark.KEYS,
                    // one load tool on one address: the per-address limit (600/min by default) would answer 429
                    "geolead.webhook.rate.limit", "0",
                    "camel.main.auto-startup-exclude-pattern", "stripe-events"));
                 RawWebhook raw = RawWebhook.start(rawPort, SECRET, db.jdbcUrl(), db.user(), db.password(),
                         Infrastructure.artemisConnectionFactory(EmbeddedBroker.IN_VM_URL, "", ""),
                         RAW_QUEUE)) {
                String geoleadUrl = "http://127.0.0.1:" + port + "/webhooks/stripe";
                String rawUrl = "http://127.0.0.1:" + rawPort + "/webhooks/stripe";

                // closed loop: warm-up and measured run per side, raw first
                wrk(rawUrl, events("rw", warmup * maxRate), connections, warmup);
                Path rawEvents = events("r", seconds * maxRate);
                Map<String, Long> rawThreadCpu = threadCpu();
                long rawGcMillis = gcMillis();
                Wrk rawRun = wrk(rawUrl, rawEvents, connections, seconds);
                if (Profile.enabled()) {
                    printCpuByThread("raw", rawThreadCpu, rawGcMillis, rawRun);
                }
                wrk(geoleadUrl, events("gw", warmup * maxRate), connections, warmup);
                Path geoleadEvents = events("g", seconds * maxRate);
                Wrk geoleadRun;
                Map<String, Long> threadCpu = threadCpu();
                long gcMillis = gcMillis();
                try (Profile ignored = Profile.start("webhook")) {
                    geoleadRun = wrk(geoleadUrl, geoleadEvents, connections, seconds);
                }
                if (Profile.enabled()) {
                    printCpuByThread("geolead", threadCpu, gcMillis, geoleadRun);
                }
                Report.add(new Report.Row("webhook", geoleadRun.rate(), rawRun.rate(), "/s", null, "≥ 0.5 × raw",
                        String.format(Locale.ROOT, "wrk %d connections %d s; JVM CPU per event geolead %.0f µs, raw %.0f µs; "
                                        + "closed-loop latency geolead p50 %s / p99 %s ms, raw p50 %s / p99 %s ms",
                                connections, seconds, geoleadRun.cpuMicrosPerEvent(), rawRun.cpuMicrosPerEvent(),
                                Report.ms(geoleadRun.p50Ms()), Report.ms(geoleadRun.p99Ms()),
                                Report.ms(rawRun.p50Ms()), Report.ms(rawRun.p99Ms()))));

                // open loop: the same rate for each side, raw first
                try (OpenLoop generator = new OpenLoop(64, Duration.ofSeconds(2))) {
                    for (int rate : rates) {
                        OpenLoop.Result rawOpen = open(generator, rawUrl, "ro" + rate, rate, openSeconds);
                        OpenLoop.Result geoleadOpen = open(generator, geoleadUrl, "go" + rate, rate, openSeconds);
                        Report.add(new Report.Row("webhook-open-" + rate, geoleadOpen.succeeded() / geoleadOpen.seconds(),
                                rawOpen.succeeded() / rawOpen.seconds(), "/s", geoleadOpen.latency(),
                                rate == 500 ? "p99 < 25 ms, 0 errors" : "",
                                "geolead " + geoleadOpen.describe() + "; raw " + rawOpen.latency() + ", errors " + rawOpen.errors()
                                        + " (sent at " + Math.round(rawOpen.sendRate()) + "/s, max send lag " + Report.ms(rawOpen.maxSendLagMs()) + " ms)"));
                    }
                }

                // every event answered "ok" was stored exactly once and queued exactly once
                long geoleadStored = db.count("SELECT count(*) FROM stripe_events WHERE event_id LIKE 'evt_g%'");
                long rawStored = db.count("SELECT count(*) FROM stripe_events WHERE event_id LIKE 'evt_r%'");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(app.queue(GEOLEAD_QUEUE).getMessageCount()).as("queued by Geolead").isEqualTo(geoleadStored);
                    assertThat(app.queue(RAW_QUEUE).getMessageCount()).as("queued by raw").isEqualTo(rawStored);
                });
                System.out.printf("BENCHMARK webhook check: %d events stored and queued once by Geolead, %d by raw%n", geoleadStored, rawStored);
            }
        }
    }

    /**
     * One wrk run's figures; {@code cpuMicrosPerEvent}: this JVM's CPU time (both servers live in it, one idle) per
     * event answered "ok" - PostgreSQL and wrk run in processes of their own and are not in it.
     */
    record Wrk(double rate, long ok, long other, double p50Ms, double p99Ms, double cpuMicrosPerEvent, String output) {}

    /** CPU time per live Java thread, by id and name; "alloc" = bytes allocated by all, "jit" = compilation ms. */
    private static Map<String, Long> threadCpu() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new java.util.HashMap<>();
        cpu.put("alloc", java.util.Arrays.stream(threads.getThreadAllocatedBytes(threads.getAllThreadIds())).filter(b -> b > 0).sum());
        cpu.put("jit", java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                cpu.put(info.getThreadId() + " " + info.getThreadName(), threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return cpu;
    }

    private static long gcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(gc -> Math.max(0, gc.getCollectionTime())).sum();
    }

    /** With -Dbench.profile=true: where the JVM's CPU went during the profiled phase, Java threads by name and the rest (GC, JIT, VM). */
    private static void printCpuByThread(String side, Map<String, Long> before, long gcBefore, Wrk run) {
        Map<String, Long> after = threadCpu();
        Map<String, Long> byName = new java.util.TreeMap<>();
        long javaThreads = 0;
        long allocated = after.remove("alloc") - before.getOrDefault("alloc", 0L);
        long jit = after.remove("jit") - before.getOrDefault("jit", 0L);
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            javaThreads += used;
            byName.merge(e.getKey().substring(e.getKey().indexOf(' ') + 1).replaceAll("\\d+", "#"), used, Long::sum);
        }
        long events = Math.max(1, run.ok());
        StringBuilder out = new StringBuilder("BENCHMARK webhook " + side + " CPU per event by thread (µs):\n");
        byName.entrySet().stream().filter(e -> e.getValue() / 1000 / events > 5)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.append(String.format(Locale.ROOT, "  %6.0f  %s%n", e.getValue() / 1000.0 / events, e.getKey())));
        out.append(String.format(Locale.ROOT, "  %6.0f  all Java threads; process total %.0f; GC pauses %d ms, JIT %d ms in the phase; %d KB allocated per event%n",
                javaThreads / 1000.0 / events, run.cpuMicrosPerEvent(), gcMillis() - gcBefore, jit, allocated / 1024 / events));
        System.out.print(out);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private Wrk wrk(String url, Path events, int connections, int seconds) throws Exception {
        TestDatabase db = TestDatabase.get();
        String prefix = events.getFileName().toString().replace(".tsv", "");
        Path script = Path.of("src/test/resources/bench/stripe-webhook.lua").toAbsolutePath();
        int threads = 2;
        long cpu = processCpuNanos();
        Process process = new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s",
                "-s", script.toString(), url, "--", events.toString(), Integer.toString(threads))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        cpu = processCpuNanos() - cpu;
        Files.delete(events);
        Matcher answers = match(output, "ANSWERS ok (\\d+) other (\\d+)");
        Matcher latency = match(output, "LATENCY_US p50 (\\d+) p99 (\\d+)");
        Wrk run = new Wrk(Double.parseDouble(match(output, "Requests/sec:\\s+([0-9.]+)").group(1)),
                Long.parseLong(answers.group(1)), Long.parseLong(answers.group(2)),
                Long.parseLong(latency.group(1)) / 1000.0, Long.parseLong(latency.group(2)) / 1000.0,
                cpu / 1000.0 / Math.max(1, Long.parseLong(answers.group(1))), output);
        assertThat(run.other()).as("answers other than \"ok\" (raise bench.max.rate if the events ran out)\n" + output).isZero();
        // requests still in flight when wrk stopped are stored without wrk counting them: at most one per connection
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(db.count("SELECT count(*) FROM stripe_events WHERE event_id LIKE ?", "evt_" + prefix + "\\_%"))
                        .as("events of " + prefix + " stored").isBetween(run.ok(), run.ok() + connections));
        return run;
    }

    private OpenLoop.Result open(OpenLoop generator, String url, String prefix, int rate, int seconds) throws Exception {
        List<String[]> events = new ArrayList<>();
        for (int i = 0; i < rate * seconds; i++) {
            String event = event(prefix, i);
            events.add(new String[] {SandboxStripe.signatureHeader(event, SECRET), event});
        }
        OpenLoop.Result result = generator.run(rate, events.size(), i -> HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").header("Stripe-Signature", events.get(i)[0])
                .POST(HttpRequest.BodyPublishers.ofString(events.get(i)[1])), "ok");
        long stored = TestDatabase.get().count("SELECT count(*) FROM stripe_events WHERE event_id LIKE ?", "evt_" + prefix + "\\_%");
        assertThat(result.succeeded()).as("answered 2xx but not \"ok\"").isEqualTo(result.ok());
        assertThat(stored).as("events of " + prefix + " stored").isBetween(result.ok(), result.scheduled());
        return result;
    }

    /** {@code count} events with ids {@code evt_<prefix>_<n>}, one "signature TAB body" line each, for wrk. */
    private Path events(String prefix, int count) throws Exception {
        Path file = dataDir.resolve(prefix + ".tsv");
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < count; i++) {
                String event = event(prefix, i);
                out.write(SandboxStripe.signatureHeader(event, SECRET) + "\t" + event + "\n");
            }
        }
        return file;
    }

    private String event(String prefix, int i) {
        return SandboxStripe.event("evt_" + prefix + "_" + i, "customer.subscription.updated", subscription).replace("\n", " ");
    }

    private static Matcher match(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("no match for " + regex + " in wrk output:\n" + text);
        }
        return m;
    }
}
