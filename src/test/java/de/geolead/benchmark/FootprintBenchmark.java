package de.geolead.benchmark;

import de.geolead.cluster.GeoleadProcess;
import de.geolead.receipts.ReceiptKey;
import de.geolead.sandbox.SandboxStripe;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Geolead's footprint, measured on Geolead alone: a child JVM ({@link GeoleadProcess#fromClassPath}, the jar's main class
 * on this JVM's class path, settings as environment variables, GEOLEAD_DATA_KEYS and GEOLEAD_RECEIPT_KEY set, console off)
 * while the stand-ins (Dialfire simulator, Stripe stand-in, GreenMail) and the load live in this JVM.
 * <ul>
 *   <li>{@code start-to-ready}: with its own embedded PostgreSQL and Artemis already initialised in its data folder (one
 *   start and stop first), process start to {@code /observe/health/ready} answering 200; {@code -Dbench.starts=3} runs,
 *   min and median ({@code -Dbench.profile=true} records the last start with JFR into
 *   {@code target/benchmarks/profile-start.txt}).</li>
 *   <li>{@code heap-*}: on the {@link TestDatabase}, heap in use after a full GC ({@code jcmd GC.run}, {@code GC.heap_info})
 *   sampled every 2 s while a steady load runs, the max of the samples: idle; webhook (wrk with the events of
 *   {@code src/test/resources/bench/stripe-webhook.lua}, 15 s); import ({@code -Dbench.footprint.contacts=2000}
 *   contacts with 50 KB PDFs); delivery ({@code -Dbench.footprint.leads=1000} leads × 3 agents, 100 KB PDFs, into
 *   GreenMail). {@code target/benchmarks/histogram-<stage>.txt} is the class histogram at the highest sample.</li>
 * </ul>
 * Run with {@code mvn -B -Pbenchmark test -Dtest=FootprintBenchmark}.
 */
@Tag("benchmark")
class FootprintBenchmark {

    static final String CAMPAIGN = "FOOTPRINT";
    static final String TOKEN = "footprint-token";
    static final String STRIPE_KEY = "sk_test_footprint";
    static final String SECRET = "whsec_footprint";
    static final long MB = 1024 * 1024;

    @TempDir
    Path work;

    @Test
    void startToReady() throws Exception {
        int starts = Integer.getInteger("bench.starts", 3);
        Map<String, String> env = common(work.resolve("start"));
        env.put("GEOLEAD_IMPORT_CRON", RunningApp.NEVER);
        // no GEOLEAD_DB_URL / GEOLEAD_BROKER_URL: its own embedded PostgreSQL and Artemis in its data folder
        GeoleadProcess geolead = GeoleadProcess.fromJarOrClassPath("start", env, List.of("-Xmx512m"));
        geolead.start(); // initialises the data folder: database cluster, migrations, broker journal
        Duration first = geolead.startedIn();
        geolead.stop();
        List<Double> seconds = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
            boolean profiled = Profile.enabled() && i == starts - 1;
            GeoleadProcess run = profiled ? GeoleadProcess.fromJarOrClassPath("start", env, List.of("-Xmx512m",
                    "-XX:StartFlightRecording=filename=" + Report.DIR.toAbsolutePath().resolve("start.jfr") + ",settings=profile,dumponexit=true"))
                    : geolead;
            run.start();
            seconds.add(run.startedIn().toMillis() / 1000.0);
            cpu.add(run.cpuAtReady() == null ? Double.NaN : run.cpuAtReady().toMillis() / 1000.0);
            run.stop();
            if (profiled) {
                String summary = Profile.summarise(RecordingFile.readAllEvents(Report.DIR.resolve("start.jfr")));
                Files.writeString(Report.DIR.resolve("profile-start.txt"), summary, StandardCharsets.UTF_8);
                System.out.println("BENCHMARK profile start:\n" + summary);
            }
        }
        List<Double> sorted = seconds.stream().sorted().toList();
        double median = sorted.get(sorted.size() / 2);
        System.out.println("BENCHMARK start-to-ready runs (s): " + seconds + ", CPU time used until ready (s, all threads): " + cpu
                + ", first start (initialising) " + first.toMillis() / 1000.0 + " s");
        Report.add(new Report.Row("start-to-ready", median, Double.NaN, " s", null, "< 5 s",
                String.format(Locale.ROOT, "%s, median of %d starts, min %.2f s, max %.2f s, CPU used until ready %s s on %d CPUs; embedded PostgreSQL and Artemis initialised, console off; first start %.1f s",
                        GeoleadProcess.packagedJar() == null ? "from the test class path" : "java -jar " + GeoleadProcess.packagedJar().getFileName(),
                        starts, sorted.get(0), sorted.get(sorted.size() - 1), cpu, Runtime.getRuntime().availableProcessors(), first.toMillis() / 1000.0)));
    }

    @Test
    void heapUnderLoad() throws Exception {
        int contacts = Integer.getInteger("bench.footprint.contacts", 2000);
        int leads = Integer.getInteger("bench.footprint.leads", 1000);
        TestDatabase db = TestDatabase.get();
        db.reset();
        TestData data = new TestData(db);
        try (DialfireSimulator dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
             SandboxStripe stripe = SandboxStripe.start(0, STRIPE_KEY);
             Mailbox mailbox = new Mailbox()) {
            Map<String, String> env = common(work.resolve("heap"));
            env.put("GEOLEAD_DB_URL", db.jdbcUrl());
            env.put("GEOLEAD_DB_USER", db.user());
            env.put("GEOLEAD_DB_PASSWORD", db.password());
            env.put("DIALFIRE_BASE_URL", dialfire.baseUrl());
            env.put("DIALFIRE_CAMPAIGN_ID", CAMPAIGN);
            env.put("DIALFIRE_CAMPAIGN_TOKEN", TOKEN);
            env.put("GEOLEAD_IMPORT_CRON", "0/5 * * * * ?");
            env.put("SMTP_HOST", "127.0.0.1");
            env.put("SMTP_PORT", Integer.toString(mailbox.port()));
            env.put("SMTP_FROM", "leads@geolead.test");
            env.put("GEOLEAD_DELIVERY_WINDOW", "00:00-24:00");
            env.put("GEOLEAD_HEAD_START", "PT0S");
            // the sweep plans the delivery stage's leads (written an hour "ago"); the imported ones are younger than the grace
            env.put("GEOLEAD_SWEEP_CRON", "0/5 * * * * ?");
            env.put("GEOLEAD_SWEEP_GRACE", "PT30M");
            env.put("STRIPE_API_KEY", STRIPE_KEY);
            env.put("STRIPE_API_BASE", stripe.apiBase());
            env.put("STRIPE_WEBHOOK_SECRET", SECRET);
            env.put("GEOLEAD_WEBHOOK_RATE_LIMIT", "0");

            try (GeoleadProcess geolead = GeoleadProcess.fromClassPath("heap", env, List.of("-Xmx512m"))) {
                geolead.start();

                // idle: nothing to do but the schedules (the import finds an empty feed every 5 s)
                sample(geolead, "heap-idle", "idle after start, import polling an empty feed", () -> true, Duration.ofSeconds(30));

                // webhook: wrk for 15 s, distinct signed events, each stored, queued and processed (Stripe stand-in)
                stripe.putCustomer("cus_footprint", "Footprint", "footprint@makler.test");
                stripe.putSubscription("sub_footprint", "cus_footprint", "active", "80331", 1_700_000_000L, null, 1_800_000_000L);
                Path events = work.resolve("events.tsv");
                String subscription = stripe.subscriptionJson("sub_footprint");
                try (BufferedWriter out = Files.newBufferedWriter(events, StandardCharsets.UTF_8)) {
                    for (int i = 0; i < 40_000; i++) {
                        String event = SandboxStripe.event("evt_footprint_" + i, "customer.subscription.updated", subscription).replace("\n", " ");
                        out.write(SandboxStripe.signatureHeader(event, SECRET) + "\t" + event + "\n");
                    }
                }
                if (Files.isExecutable(Path.of("/usr/bin/wrk"))) {
                    Process wrk = new ProcessBuilder("wrk", "-t2", "-c16", "-d15s", "-s",
                            Path.of("src/test/resources/bench/stripe-webhook.lua").toAbsolutePath().toString(),
                            "http://127.0.0.1:" + geolead.httpPort() + "/webhooks/stripe", "--", events.toString(), "2")
                            .redirectErrorStream(true).redirectOutput(work.resolve("wrk.txt").toFile()).start();
                    sample(geolead, "heap-webhook", "wrk 16 connections for 15 s",
                            () -> !wrk.isAlive(), Duration.ofSeconds(60));
                    System.out.println("BENCHMARK footprint wrk:\n" + Files.readString(work.resolve("wrk.txt")));
                    System.out.println("BENCHMARK footprint webhook events stored: " + db.count("SELECT count(*) FROM stripe_events"));
                }

                // import: contacts with 50 KB lead sheets appear in the feed at once (the sheets made beforehand, so that the
                // samples are taken while the 5 s schedule imports them)
                List<byte[]> sheets = new ArrayList<>();
                for (int i = 0; i < contacts; i++) {
                    sheets.add(LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz(i), "ort", "Berlin", "nachname", "Footprint" + i), 50_000));
                }
                long leadsBefore = db.count("SELECT count(*) FROM leads");
                for (int i = 0; i < contacts; i++) {
                    String path = "leads/footprint-" + i + ".pdf";
                    dialfire.putResource(path, sheets.get(i), "application/pdf");
                    String id = dialfire.addContact("anrufen", Map.of("plz", plz(i), "ort", "Berlin", "pdf_url", path));
                    dialfire.succeed(id, "anrufen");
                }
                sheets.clear();
                sample(geolead, "heap-import", "%d contacts with 50 KB PDFs imported by the 5 s schedule".formatted(contacts),
                        () -> db.count("SELECT count(*) FROM leads") - leadsBefore >= contacts, Duration.ofMinutes(5));
                System.out.println("BENCHMARK footprint import: " + (db.count("SELECT count(*) FROM leads") - leadsBefore) + " leads");

                // delivery: leads with 100 KB PDFs for three agents each, planned by the sweep and mailed into GreenMail
                byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "01067", "ort", "Dresden"), 100_000);
                List<Long> ids = new ArrayList<>();
                for (int i = 0; i < leads; i++) {
                    String plz = String.format("0%04d", 1000 + i % 100);
                    if (i < 100) {
                        for (int a = 0; a < 3; a++) {
                            data.subscription(data.customer("Footprint " + plz + "-" + a, "paid"), plz);
                        }
                    }
                    ids.add(data.lead(plz, "Dresden", pdf));
                }
                int mails = leads * 3;
                long sentBefore = db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'");
                db.update("UPDATE leads SET updated_at = now() - interval '1 hour' WHERE id = ANY (?)", (Object) ids.toArray(Long[]::new));
                sample(geolead, "heap-delivery", "%d leads x 3 agents, 100 KB PDFs, into GreenMail".formatted(leads),
                        () -> db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") - sentBefore >= mails, Duration.ofMinutes(10));
            }
        }
    }

    private static String plz(int i) {
        return String.format("%05d", 10000 + i * 7 % 89000);
    }

    /**
     * Samples the heap every 2 s until {@code done} (at least three samples, at most {@code atMost}): the live heap after a
     * full GC ({@code jcmd GC.class_histogram}'s total, which forces one) and, the brief's reading, {@code GC.run} then
     * {@code GC.heap_info}'s "used" (which also counts what the load allocated between the two commands). Reports the
     * max of the live samples as the row {@code stage}, the max of the other in the note, and keeps the class histogram
     * of the highest sample.
     */
    private static void sample(GeoleadProcess geolead, String stage, String note, BooleanSupplier done, Duration atMost) throws Exception {
        long max = 0;
        long maxHeapInfo = 0;
        List<Long> samples = new ArrayList<>();
        List<Long> heapInfo = new ArrayList<>();
        String histogram = null;
        long start = System.nanoTime();
        long deadline = start + atMost.toNanos();
        while (System.nanoTime() < deadline && (samples.size() < 3 || !done.getAsBoolean())) {
            Thread.sleep(2000); // a sampling period, not a wait for a condition
            long afterGcRun = geolead.heapAfterFullGc();
            heapInfo.add(afterGcRun / MB);
            maxHeapInfo = Math.max(maxHeapInfo, afterGcRun);
            GeoleadProcess.LiveHeap live = geolead.liveHeap();
            samples.add(live.bytes() / MB);
            if (live.bytes() > max) {
                max = live.bytes();
                histogram = live.histogram();
            }
        }
        assertThat(done.getAsBoolean()).as(stage + " load finished within " + atMost).isTrue();
        Files.createDirectories(Report.DIR);
        Files.writeString(Report.DIR.resolve("histogram-" + stage + ".txt"), histogram == null ? "" : histogram, StandardCharsets.UTF_8);
        System.out.println("BENCHMARK " + stage + " samples (MB): live after full GC " + samples + "; GC.run + GC.heap_info used " + heapInfo);
        Report.add(new Report.Row(stage, max / (double) MB, Double.NaN, " MB", null, "< 256 MB",
                String.format(Locale.ROOT, "live heap after full GC, max of %d samples over %.0f s (GC.run + GC.heap_info: max %d MB); %s",
                        samples.size(), (System.nanoTime() - start) / 1e9, maxHeapInfo / MB, note)));
    }

    /** Settings of every child: its data folder, management login, encryption and receipts on, console off. */
    private static Map<String, String> common(Path dataDir) throws Exception {
        Files.createDirectories(dataDir);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("GEOLEAD_DATA_DIR", dataDir.toString());
        env.put("GEOLEAD_MANAGEMENT_USERS_FILE", GeoleadProcess.managementUsersFile(dataDir).toString());
        env.put("GEOLEAD_DATA_KEYS", DialfireImportBenchmark.KEYS);
        env.put("GEOLEAD_RECEIPT_KEY", ReceiptKey.newPrivateKey());
        return env;
    }
}
