package de.geolead.benchmark;

import de.geolead.db.Database;
import de.geolead.privacy.DataCipher;
import de.geolead.privacy.DataKeyRotation;
import de.geolead.privacy.DataKeys;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code delivery} stage: N leads × 3 agents each (head start 0, 100 KB lead sheets, 100 000 other subscriptions in
 * the table) through the real distribution and delivery routes into a real SMTP server (GreenMail), Geolead as deployed
 * (GEOLEAD_DATA_KEYS set, signed receipts on, {@code bench.deliveryConsumers} consumers); counted from the first lead
 * put on geolead.leads.new until every mail's row is committed {@code sent}. The raw baseline sends the same mails
 * (the bytes Geolead's round delivered, cycled) into the same GreenMail with plain JavaMail: as many threads as
 * consumers, each reusing one connected Transport, with the same socket settings (TCP_NODELAY) as Geolead's. Both are warmed up first; GreenMail is emptied every second (it keeps
 * every message in memory). Latency = per mail, claim to {@code sent} committed (Geolead; the raw one's send time is
 * in the note).
 * Run with {@code mvn -B -Pbenchmark test -Dtest=DistributionBenchmark}; {@code -Dbench.leads=1000
 * -Dbench.warmupLeads=1000 -Dbench.deliveryConsumers=4 -Dbench.pdfBytes=100000}.
 */
@Tag("benchmark")
class DistributionBenchmark {

    @TempDir
    Path dataDir;

    @Test
    void delivery() throws Exception {
        int leads = Integer.getInteger("bench.leads", 1000);
        int warmupLeads = Integer.getInteger("bench.warmupLeads", 1000);
        int consumers = Integer.getInteger("bench.deliveryConsumers", 4);
        int pdfBytes = Integer.getInteger("bench.pdfBytes", 100_000);
        TestDatabase db = TestDatabase.get();
        db.reset();
        TestData data = new TestData(db);
        // 100 000 subscriptions of 10 000 other agents all over Germany, some of them prefixes
        db.update("INSERT INTO customers (name, email, status) SELECT 'Filler ' || g, 'filler' || g || '@makler.test', 'paid' FROM generate_series(1, 10000) g");
        db.update("""
                INSERT INTO subscriptions (customer_id, plz, start_date, status)
                SELECT c.id, CASE WHEN g % 50 = 0 THEN substr(lpad(((c.id * 7919 + g * 104729) % 89000 + 10000)::text, 5, '0'), 1, 3)
                                  ELSE lpad(((c.id * 7919 + g * 104729) % 89000 + 10000)::text, 5, '0') END,
                       now() - interval '1 day', 'active'
                  FROM customers c CROSS JOIN generate_series(1, 10) g
                 WHERE c.name LIKE 'Filler %'
                ON CONFLICT DO NOTHING
                """);
        db.execute("ANALYZE subscriptions");
        db.execute("ANALYZE customers");

        // the benchmark's own agents: three per PLZ, in PLZs no filler uses (starting with 0); every lead sealed with
        // GEOLEAD_DATA_KEYS (by the rotation command's code), as deployed
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "01067", "ort", "Dresden"), pdfBytes);
        String keys = DialfireImportBenchmark.benchKeys();
        // 1 000 leads (3 000 mails) of warm-up: the JDK's AES-GCM methods run a few times per PDF, so C2 (whose code alone
        // uses the CPU's AES/GHASH instructions) compiles them only after thousands of mails; before, a 100 KB PDF takes
        // ~2 ms instead of ~0.05 ms. Even so, with -Dbench.profile=true the decryption still shows in its Java path in the
        // round's first half (20-29 % of the sampled CPU, ~1 % in the last quarter): the unprofiled CPU per mail is the reading
        long[] warmup = leads(data, warmupLeads, pdf, true);
        long[] measured = leads(data, leads, pdf, false);
        new DataKeyRotation(new Database(db.dataSource()), new DataCipher(DataKeys.parse(keys)), DataKeyRotation.BATCH).run();
        assertThat(db.count("SELECT count(*) FROM leads WHERE contact_key IS NOT NULL")).isEqualTo(warmupLeads + leads);

        try (Mailbox mailbox = new Mailbox()) {
            Latency geoleadLatency = new Latency();
            List<byte[]> mails;
            double geolead;
            try (RunningApp app = RunningApp.start(dataDir.resolve("app"), Map.of(
                    "smtp.host", "127.0.0.1",
                    "smtp.port", Integer.toString(mailbox.port()),
                    "smtp.from", "leads@geolead.test",
                    "geolead.head.start", "PT0S",
                    "geolead.delivery.window", "00:00-24:00",
                    "geolead.delivery.consumers", Integer.toString(consumers),
                    "geolead.data.keys", keys,
                    "geolead.sweep.cron", RunningApp.NEVER))) {
                deliver(app, db, warmup, null);
                mails = copies(mailbox, 300);
                mailbox.clear();
                try (Profile profile = Profile.start("delivery"); Emptying emptying = new Emptying(mailbox);
                     WaitSampler waits = new WaitSampler(db)) {
                    Cpu cpu = Cpu.now();
                    geolead = deliver(app, db, measured, geoleadLatency);
                    System.out.println("BENCHMARK delivery geolead CPU: " + cpu.perMail(measured.length * 3));
                    System.out.println("BENCHMARK delivery database sessions (mean over the round, by what they wait for): " + waits.summary());
                }
                System.out.println("BENCHMARK delivery route steps (mean ms per mail, warm-up included): " + steps(app));
            }
            mailbox.clear();
            int total = measured.length * 3;
            Latency rawLatency = new Latency();
            raw(mailbox, mails, Math.min(total, 600), consumers, new Latency()); // warm-up
            mailbox.clear();
            double raw;
            try (Profile profile = Profile.start("delivery-raw"); Emptying emptying = new Emptying(mailbox)) {
                Cpu cpu = Cpu.now();
                raw = raw(mailbox, mails, total, consumers, rawLatency);
                System.out.println("BENCHMARK delivery raw CPU: " + cpu.perMail(total));
            }
            long size = mails.stream().mapToLong(m -> m.length).sum() / mails.size();
            Report.add(new Report.Row("delivery", geolead, raw, " mails/s", geoleadLatency, "≥ 0.5 × raw and ≥ 200 mails/s",
                    String.format(Locale.ROOT, "%d leads × 3 agents, %d consumers, %d KB mails (%d KB PDF), sealed, receipts on; "
                                    + "latency = claim to sent committed; raw send p50 %s ms, p99 %s ms",
                            leads, consumers, size / 1024, pdfBytes / 1024, Report.ms(rawLatency.p50Ms()), Report.ms(rawLatency.p99Ms()))));
        }
    }

    /** {@code count} leads over 100 PLZs; the first set also makes the three agents of each PLZ. */
    private static long[] leads(TestData data, int count, byte[] pdf, boolean withAgents) {
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            String plz = String.format("0%04d", 1000 + i % 100);
            if (withAgents && i < 100) {
                for (int a = 0; a < 3; a++) {
                    data.subscription(data.customer("Bench " + plz + "-" + a, "paid"), plz);
                }
            }
            ids[i] = data.lead(plz, "Dresden", pdf);
        }
        return ids;
    }

    /**
     * Puts the leads on geolead.leads.new and waits until each one's three mails are committed {@code sent}; mails per
     * second from the first lead put on the queue. Records each mail's claim-to-sent time when {@code latency} is given.
     */
    private static double deliver(RunningApp app, TestDatabase db, long[] ids, Latency latency) {
        long first = ids[0];
        long last = ids[ids.length - 1];
        ProducerTemplate producer = app.context().createProducerTemplate();
        long start = System.nanoTime();
        for (long id : ids) {
            producer.sendBody("jms:queue:geolead.leads.new", Long.toString(id));
        }
        int mails = ids.length * 3;
        String sent = "SELECT count(*) FROM lead_distributions WHERE status = 'sent' AND lead_id BETWEEN " + first + " AND " + last;
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(50)).until(() -> db.count(sent) >= mails);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(db.count(sent)).isEqualTo(mails);
        if (latency != null) {
            for (Map<String, Object> row : db.rows("SELECT claimed_at, sent_at FROM lead_distributions WHERE lead_id BETWEEN ? AND ?", first, last)) {
                Timestamp claimed = (Timestamp) row.get("claimed_at");
                Timestamp sentAt = (Timestamp) row.get("sent_at");
                latency.recordNanos(Duration.between(claimed.toInstant(), sentAt.toInstant()).toNanos());
            }
        }
        System.out.printf(Locale.ROOT, "BENCHMARK delivery geolead: %d mails in %.2f s, %.1f mails/s%n", mails, seconds, mails / seconds);
        return mails / seconds;
    }

    /** Up to {@code count} of the mails the SMTP server received, as the bytes it received. */
    private static List<byte[]> copies(Mailbox mailbox, int count) throws Exception {
        List<byte[]> copies = new ArrayList<>();
        for (MimeMessage message : mailbox.messages()) {
            if (copies.size() == count) {
                break;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            message.writeTo(out);
            copies.add(out.toByteArray());
        }
        assertThat(new String(Mailbox.attachment(mailbox.messages().get(0)).bytes(), 0, 4, StandardCharsets.ISO_8859_1)).isEqualTo("%PDF");
        return copies;
    }

    /**
     * The raw baseline: {@code total} sends of the given mails (cycled) by {@code threads} threads with plain JavaMail,
     * each thread connecting one Transport once and reusing it for all its mails; mails per second.
     */
    private static double raw(Mailbox mailbox, List<byte[]> mails, int total, int threads, Latency latency) throws Exception {
        Properties props = new Properties();
        props.setProperty("mail.smtp.host", "127.0.0.1");
        props.setProperty("mail.smtp.port", Integer.toString(mailbox.port()));
        // the same socket settings as Geolead's SMTP connections (TCP_NODELAY), so only the work differs
        props.put("mail.smtp.socketFactory", new de.geolead.delivery.SmtpConnections.NoDelaySocketFactory());
        Session session = Session.getInstance(props);
        List<MimeMessage> messages = new ArrayList<>();
        for (byte[] mail : mails) {
            messages.add(new MimeMessage(session, new ByteArrayInputStream(mail)));
        }
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    int sent = 0;
                    try (Transport transport = session.getTransport("smtp")) {
                        transport.connect();
                        for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                            MimeMessage message = messages.get(i % messages.size());
                            long begin = System.nanoTime();
                            transport.sendMessage(message, message.getAllRecipients());
                            latency.recordNanos(System.nanoTime() - begin);
                            sent++;
                        }
                    }
                    return sent;
                }));
            }
            int sent = 0;
            for (Future<Integer> f : done) {
                sent += f.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(sent).isEqualTo(total);
            System.out.printf(Locale.ROOT, "BENCHMARK delivery raw: %d mails in %.2f s, %.1f mails/s%n", total, seconds, total / seconds);
            return total / seconds;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * CPU time used since it was taken: this JVM (app, broker, GreenMail, the raw senders) and the PostgreSQL processes
     * (read from /proc; 0 where there is none), per mail, and the machine's CPUs busy on average (of all processes).
     */
    private record Cpu(long jvmNanos, long pgTicks, long machineBusyTicks, long machineTicks, long wallNanos) {
        static Cpu now() {
            long[] machine = machine();
            return new Cpu(((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime(), postgresTicks(), machine[0], machine[1], System.nanoTime());
        }

        String perMail(int mails) {
            Cpu end = now();
            double jvmMs = (end.jvmNanos - jvmNanos) / 1e6 / mails;
            double pgMs = (end.pgTicks - pgTicks) * 10.0 / mails; // USER_HZ = 100
            double busy = (end.machineBusyTicks - machineBusyTicks) / (double) Math.max(1, end.machineTicks - machineTicks)
                    * Runtime.getRuntime().availableProcessors();
            return String.format(Locale.ROOT, "JVM %.2f ms + PostgreSQL %.2f ms CPU per mail; machine %.2f of %d CPUs busy (all processes)",
                    jvmMs, pgMs, busy, Runtime.getRuntime().availableProcessors());
        }

        private static long postgresTicks() {
            long ticks = 0;
            try (java.util.stream.Stream<Path> procs = java.nio.file.Files.list(Path.of("/proc"))) {
                for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String stat = java.nio.file.Files.readString(proc.resolve("stat"));
                        if (stat.contains("(postgres)")) {
                            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                        }
                    } catch (java.io.IOException | RuntimeException gone) {
                        // the process ended
                    }
                }
            } catch (java.io.IOException noProc) {
                return 0;
            }
            return ticks;
        }

        /** [busy, total] jiffies of all CPUs from /proc/stat. */
        private static long[] machine() {
            try {
                String[] f = java.nio.file.Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                return new long[] {total - idle, total};
            } catch (java.io.IOException | RuntimeException e) {
                return new long[] {0, 0};
            }
        }
    }

    /** The mean processing time of the delivery route's steps, from Camel's JMX statistics. */
    private static String steps(RunningApp app) {
        org.apache.camel.api.management.ManagedCamelContext managed = app.context().getCamelContextExtension()
                .getContextPlugin(org.apache.camel.api.management.ManagedCamelContext.class);
        StringBuilder line = new StringBuilder("route " + managed.getManagedRoute("lead-delivery").getMeanProcessingTime());
        for (String id : List.of("prepare-delivery", "send-mail", "record-sent")) {
            org.apache.camel.api.management.mbean.ManagedProcessorMBean processor = managed.getManagedProcessor(id);
            line.append(", ").append(id).append(' ').append(processor == null ? "?" : processor.getMeanProcessingTime());
        }
        return line.toString();
    }

    /**
     * Samples pg_stat_activity every 20 ms while a round runs: how many of the app's sessions are, on average, busy (active, or
     * idle in a transaction: the app holds it open) and waiting for what (Lock/advisory = the receipt chain's lock, IO/WALSync = a commit's flush, CPU = running).
     */
    private static final class WaitSampler implements AutoCloseable {
        private final java.util.concurrent.ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pg-wait-sampler");
            thread.setDaemon(true);
            return thread;
        });
        private final Map<String, Long> counts = new java.util.concurrent.ConcurrentHashMap<>();
        private final AtomicInteger samples = new AtomicInteger();

        WaitSampler(TestDatabase db) {
            timer.scheduleAtFixedRate(() -> {
                for (Map<String, Object> row : db.rows("SELECT state || ':' || coalesce(wait_event_type, 'CPU') || '/' || coalesce(wait_event, '-') AS w, "
                        + "count(*) AS n FROM pg_stat_activity WHERE state <> 'idle' AND pid <> pg_backend_pid() AND backend_type = 'client backend' GROUP BY 1")) {
                    counts.merge((String) row.get("w"), (Long) row.get("n"), Long::sum);
                }
                samples.incrementAndGet();
            }, 0, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        String summary() {
            int n = Math.max(1, samples.get());
            return counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() / (double) n))
                    .collect(java.util.stream.Collectors.joining(", "));
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }

    /** Empties GreenMail every second while a round runs: it keeps every message in memory, 3 000 × 140 KB would stay. */
    private static final class Emptying implements AutoCloseable {
        private final java.util.concurrent.ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "greenmail-emptying");
            thread.setDaemon(true);
            return thread;
        });

        Emptying(Mailbox mailbox) {
            timer.scheduleWithFixedDelay(mailbox::clear, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
