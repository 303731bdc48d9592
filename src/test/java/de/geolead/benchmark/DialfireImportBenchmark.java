package de.geolead.benchmark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.dialfire.ImportRun;
import de.geolead.lead.LeadSheetPdf;
import de.geolead.privacy.DataCipher;
import de.geolead.privacy.DataKeys;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code import} stage: {@code -Dbench.contacts} (10 000) simulated Dialfire contacts, each with a lead sheet of
 * {@code -Dbench.pdfBytes} (50 000) bytes, imported by Geolead as deployed (GEOLEAD_DATA_KEYS set, the real routes into
 * PostgreSQL and the embedded Artemis, lead-distribution not started) and by a raw baseline doing the same work
 * without Camel on the same data, back to back: the same Dialfire calls with the JDK HttpClient (transaction pages of
 * GEOLEAD_IMPORT_PAGE_SIZE, flat_view with 30 ids a call, then each PDF with the token), each lead sealed with the same
 * {@link DataCipher} and written with plain JDBC in one transaction (INSERT leads … RETURNING id, the sealed contact,
 * INSERT lead_pdfs: the same tables and columns Geolead fills), one persistent JMS send of its id to
 * {@code geolead.leads.new} on the same broker, and the watermark after each page; as many workers as
 * GEOLEAD_IMPORT_WORKERS (4). Both are warmed up first on {@code -Dbench.warmup} (3 000) other contacts (with 1 000 the JIT still compiled for 2 ms a lead during the measured runs).
 * The rate is leads stored per second from the start of the run to its end (all leads committed and published).
 * Run with {@code mvn -B -Pbenchmark test -Dtest=DialfireImportBenchmark} (see README, "Benchmarks"); with
 * {@code -Dbench.profile=true} the Geolead run is profiled (target/benchmarks/profile-import.txt).
 */
@Tag("benchmark")
class DialfireImportBenchmark {

    private static final String CAMPAIGN = "BENCHCAMPAIGN001";
    private static final String TOKEN = "bench-token";
    private static final int WORKERS = 4;
    private static final int PAGE_SIZE = 1000;
    private static final int FLAT_VIEW_BATCH = 30;
    /** Distinct lead sheets served (each contact gets one of them): 10 000 distinct 50 KB PDFs would hold 500 MB. */
    private static final int DISTINCT_PDFS = 64;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter DIALFIRE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
            .withZone(java.time.ZoneOffset.UTC);

    @TempDir
    Path dataDir;

    /** GEOLEAD_DATA_KEYS: one generated key. */
    static final String KEYS = benchKeys();

    static String benchKeys() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return "bench:" + java.util.Base64.getEncoder().encodeToString(key);
    }

    @Test
    void importRate() throws Exception {
        int contacts = Integer.getInteger("bench.contacts", 10_000);
        int warmup = Integer.getInteger("bench.warmup", 3000);
        int pdfBytes = Integer.getInteger("bench.pdfBytes", 50_000);
        TestDatabase db = TestDatabase.get();
        db.reset();
        List<byte[]> pdfs = new ArrayList<>();
        for (int i = 0; i < DISTINCT_PDFS; i++) {
            pdfs.add(LeadSheetPdfGenerator.leadSheet(Map.of("plz", String.format("%05d", 10000 + i * 1103), "ort", "Berlin", "nachname", "Bench" + i), pdfBytes));
        }
        DataCipher cipher = new DataCipher(DataKeys.parse(KEYS));
        try (DialfireSimulator dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
             RunningApp app = RunningApp.start(dataDir, Map.of(
                     "dialfire.base.url", dialfire.baseUrl(),
                     "dialfire.campaign.id", CAMPAIGN,
                     "dialfire.campaign.token", TOKEN,
                     "geolead.data.keys", KEYS,
                     "geolead.import.workers", Integer.toString(WORKERS),
                     "geolead.import.page.size", Integer.toString(PAGE_SIZE),
                     "camel.main.auto-startup-exclude-pattern", "lead-distribution"))) {
            Raw raw = new Raw(dialfire.baseUrl(), db.dataSource(), cipher);
            try {
                // warm-up: both on the same small feed
                populate(dialfire, pdfs, warmup);
                geolead(app, db, warmup);
                raw(raw, app, db, warmup);

                populate(dialfire, pdfs, contacts);
                reset(app, db);
                long before = heapAfterGcMb();
                double geoleadSeconds;
                try (Profile ignored = Profile.start("import")) {
                    geoleadSeconds = geolead(app, db, contacts);
                }
                String geoleadCpu = lastCpu;
                long geoleadHeap = heapAfterGcMb();
                double rawSeconds = raw(raw, app, db, contacts);
                String rawCpu = lastCpu;
                long rawHeap = heapAfterGcMb();
                Report.add(new Report.Row("import", contacts / geoleadSeconds, contacts / rawSeconds, " leads/s", null, "≥ 0.5 × raw",
                        String.format(Locale.ROOT, "%d contacts, %d-byte PDFs, sealed, %d workers; %.1f s vs %.1f s; CPU ms/lead %s (Geolead) vs %s (raw); heap after full GC %d MB before (the simulator's PDFs), %d MB after Geolead, %d MB after raw",
                                contacts, pdfBytes, WORKERS, geoleadSeconds, rawSeconds, geoleadCpu, rawCpu, before, geoleadHeap, rawHeap)));
            } finally {
                raw.close();
            }
        }
    }

    /** The simulator's feed afresh: {@code n} contacts, each moved to success, each with one of the lead sheets. */
    private static void populate(DialfireSimulator dialfire, List<byte[]> pdfs, int n) {
        dialfire.reset();
        for (int i = 0; i < n; i++) {
            String plz = String.format("%05d", 10000 + i * 7 % 89000);
            String path = "leads/bench-" + i + ".pdf";
            dialfire.putResource(path, pdfs.get(i % pdfs.size()), "application/pdf");
            String id = dialfire.addContact("anrufen", Map.of("plz", plz, "ort", "Berlin", "pdf_url", path));
            dialfire.succeed(id, "anrufen");
        }
    }

    /** One Geolead import run from an empty database; its seconds. */
    private static double geolead(RunningApp app, TestDatabase db, int contacts) {
        reset(app, db);
        Cpu cpu = Cpu.start(db);
        long start = System.nanoTime();
        ImportRun run = app.runImportExpectingSuccess();
        double seconds = (System.nanoTime() - start) / 1e9;
        lastCpu = cpu.perItem(contacts);
        assertThat(run.created()).isEqualTo(contacts);
        verify(app, db, contacts);
        return seconds;
    }

    /** One raw run from an empty database; its seconds. */
    private static double raw(Raw raw, RunningApp app, TestDatabase db, int contacts) throws Exception {
        reset(app, db);
        Cpu cpu = Cpu.start(db);
        long start = System.nanoTime();
        int stored = raw.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        lastCpu = cpu.perItem(contacts);
        assertThat(stored).isEqualTo(contacts);
        verify(app, db, contacts);
        return seconds;
    }

    private static void reset(RunningApp app, TestDatabase db) {
        app.emptyWorkQueues(Duration.ofSeconds(30));
        db.reset();
        System.gc();
    }

    private static void verify(RunningApp app, TestDatabase db, int contacts) {
        assertThat(db.count("SELECT count(*) FROM leads WHERE status = 'pending' AND contact_sealed IS NOT NULL")).isEqualTo(contacts);
        assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE content_key IS NOT NULL")).isEqualTo(contacts);
        assertThat(app.queue("geolead.leads.new").getMessageCount()).isEqualTo(contacts);
    }

    private static String lastCpu = "";

    /**
     * CPU time spent during a run by this JVM (app, broker, simulator and baseline alike) and by the PostgreSQL server
     * (postmaster, its backends and helpers, those that exited included), from /proc; "?" where /proc is not readable.
     */
    record Cpu(long jvmNanos, long pgTicks, long postmaster, long gcMillis, long jitMillis) {

        static Cpu start(TestDatabase db) {
            long postmaster = -1;
            try {
                long backend = db.count("SELECT pg_backend_pid()");
                postmaster = Long.parseLong(stat(backend)[3]);
            } catch (RuntimeException e) {
                // not on Linux, or not readable
            }
            return new Cpu(jvmCpu(), pgTicks(postmaster), postmaster, totalGcMillis(), totalJitMillis());
        }

        String perItem(int items) {
            double jvm = (jvmCpu() - jvmNanos) / 1e6 / items;
            String gc = String.format(Locale.ROOT, " (GC pauses %.2f, JIT %.2f)", (totalGcMillis() - gcMillis) / (double) items,
                    (totalJitMillis() - jitMillis) / (double) items);
            if (postmaster < 0) {
                return String.format(Locale.ROOT, "JVM %.2f", jvm) + gc;
            }
            double pg = (pgTicks(postmaster) - pgTicks) * 10.0 / items; // USER_HZ = 100
            return String.format(Locale.ROOT, "JVM %.2f", jvm) + gc + String.format(Locale.ROOT, " + PostgreSQL %.2f", pg);
        }

        private static long totalGcMillis() {
            return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
        }

        private static long totalJitMillis() {
            return java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        }

        private static long jvmCpu() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        private static long pgTicks(long postmaster) {
            if (postmaster < 0) {
                return 0;
            }
            String[] own = stat(postmaster);
            long ticks = Long.parseLong(own[13]) + Long.parseLong(own[14]) + Long.parseLong(own[15]) + Long.parseLong(own[16]);
            try (java.util.stream.Stream<Path> procs = java.nio.file.Files.list(Path.of("/proc"))) {
                for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String[] stat = stat(Long.parseLong(proc.getFileName().toString()));
                        if (Long.parseLong(stat[3]) == postmaster) {
                            ticks += Long.parseLong(stat[13]) + Long.parseLong(stat[14]);
                        }
                    } catch (RuntimeException e) {
                        // gone meanwhile
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return ticks;
        }

        /** /proc/<pid>/stat split into fields, the command (field 2) being one field. */
        private static String[] stat(long pid) {
            try {
                String text = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String rest = text.substring(text.lastIndexOf(')') + 2);
                String[] fields = rest.split(" ");
                String[] all = new String[fields.length + 2];
                all[0] = Long.toString(pid);
                all[1] = "cmd";
                System.arraycopy(fields, 0, all, 2, fields.length);
                return all;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    static long heapAfterGcMb() {
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        return (runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024);
    }

    /**
     * The baseline: the import's work in plain Java (JDK HttpClient, Jackson, JDBC, JMS), no Camel, no checks beyond
     * what the data needs.
     */
    static final class Raw implements AutoCloseable {

        private final String campaignUrl;
        private final DataSource dataSource;
        private final DataCipher cipher;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
        private final ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        private final ActiveMQConnectionFactory jmsFactory = new ActiveMQConnectionFactory("vm://0");
        private final Connection jms;
        /** One session and producer per worker, as a pooled JMS template would keep them. */
        private final ThreadLocal<Session> sessions = new ThreadLocal<>();
        private final ThreadLocal<MessageProducer> producers = new ThreadLocal<>();

        Raw(String baseUrl, DataSource dataSource, DataCipher cipher) throws Exception {
            this.campaignUrl = baseUrl + "/api/campaigns/" + CAMPAIGN;
            this.dataSource = dataSource;
            this.cipher = cipher;
            this.jms = jmsFactory.createConnection();
        }

        /** Pages through the whole feed; the number of leads stored. */
        int run() throws Exception {
            Instant to = Instant.now();
            Instant from = to.minus(Duration.ofDays(7));
            String cursor = "";
            AtomicInteger stored = new AtomicInteger();
            Instant watermark = null;
            while (true) {
                String query = "from=" + enc(DIALFIRE_TIME.format(from)) + "&to=" + enc(DIALFIRE_TIME.format(to)) + "&limit=" + PAGE_SIZE
                        + (cursor.isEmpty() ? "" : "&cursor=" + enc(cursor));
                JsonNode page = JSON.readTree(get(campaignUrl + "/contacts/transactions/?" + query).body());
                LinkedHashSet<String> ids = new LinkedHashSet<>();
                for (JsonNode pointer : page.get("results")) {
                    String[] parts = pointer.asText().split("\\|");
                    ids.add(parts[2]);
                    Instant fired = Instant.parse(parts[0].substring(0, parts[0].indexOf('Z') + 1));
                    watermark = watermark == null || fired.isAfter(watermark) ? fired : watermark;
                }
                List<String> idList = List.copyOf(ids);
                List<Map<String, Object>> contacts = new ArrayList<>();
                for (int i = 0; i < idList.size(); i += FLAT_VIEW_BATCH) {
                    HttpRequest request = HttpRequest.newBuilder(URI.create(campaignUrl + "/contacts/flat_view"))
                            .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(idList.subList(i, Math.min(idList.size(), i + FLAT_VIEW_BATCH)))))
                            .build();
                    contacts.addAll(JSON.readValue(http.send(request, HttpResponse.BodyHandlers.ofByteArray()).body(), new TypeReference<List<Map<String, Object>>>() { }));
                }
                List<Future<?>> done = new ArrayList<>();
                for (Map<String, Object> contact : contacts) {
                    done.add(workers.submit(() -> {
                        store(contact);
                        stored.incrementAndGet();
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get();
                }
                advanceWatermark(watermark);
                JsonNode next = page.get("cursor");
                cursor = next == null || next.isNull() ? "" : next.asText();
                if (cursor.isEmpty()) {
                    return stored.get();
                }
            }
        }

        private HttpResponse<byte[]> get(String url) throws Exception {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).GET().build();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode() + " from " + url);
            }
            return response;
        }

        /** One contact: its PDF fetched, the lead and PDF sealed and inserted in one transaction, its id published. */
        private void store(Map<String, Object> contact) throws Exception {
            String path = (String) contact.get("pdf_url");
            byte[] pdf = get(campaignUrl + "/resources/" + path).body();
            if (!LeadSheetPdf.looksLikePdf(pdf)) {
                throw new IllegalStateException("not a PDF");
            }
            byte[] contactJson = JSON.writeValueAsBytes(contact);
            long leadId;
            try (java.sql.Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try (PreparedStatement insert = connection.prepareStatement("""
                        INSERT INTO leads (dialfire_id, dialfire_version, contact, plz, pdf_url, status)
                        VALUES (?, ?, '{}'::jsonb, ?, ?, 'pending') ON CONFLICT (dialfire_id) DO NOTHING RETURNING id""")) {
                    insert.setString(1, (String) contact.get("$id"));
                    insert.setString(2, String.valueOf(contact.get("$version")));
                    insert.setString(3, (String) contact.get("plz"));
                    insert.setString(4, campaignUrl + "/resources/" + path);
                    try (ResultSet rs = insert.executeQuery()) {
                        if (!rs.next()) {
                            connection.rollback();
                            return;
                        }
                        leadId = rs.getLong(1);
                    }
                }
                try (PreparedStatement seal = connection.prepareStatement("UPDATE leads SET contact_sealed = ?, contact_key = ? WHERE id = ?")) {
                    seal.setBytes(1, cipher.seal(leadId, DataCipher.Purpose.CONTACT, contactJson));
                    seal.setString(2, cipher.currentKeyId());
                    seal.setLong(3, leadId);
                    seal.executeUpdate();
                }
                try (PreparedStatement insertPdf = connection.prepareStatement(
                        "INSERT INTO lead_pdfs (lead_id, content, content_key, sha256, size_bytes) VALUES (?, ?, ?, ?, ?)")) {
                    insertPdf.setLong(1, leadId);
                    insertPdf.setBytes(2, cipher.seal(leadId, DataCipher.Purpose.PDF, pdf));
                    insertPdf.setString(3, cipher.currentKeyId());
                    insertPdf.setString(4, LeadSheetPdf.sha256Hex(pdf));
                    insertPdf.setInt(5, pdf.length);
                    insertPdf.executeUpdate();
                }
                connection.commit();
            }
            Session session = sessions.get();
            if (session == null) {
                session = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
                sessions.set(session);
                producers.set(session.createProducer(session.createQueue("geolead.leads.new")));
            }
            producers.get().send(session.createTextMessage(Long.toString(leadId)));
        }

        private void advanceWatermark(Instant watermark) throws Exception {
            try (java.sql.Connection connection = dataSource.getConnection();
                 PreparedStatement update = connection.prepareStatement("""
                         INSERT INTO import_watermarks (source, watermark) VALUES ('raw', ?)
                         ON CONFLICT (source) DO UPDATE SET watermark = GREATEST(import_watermarks.watermark, EXCLUDED.watermark)""")) {
                update.setTimestamp(1, Timestamp.from(watermark));
                update.executeUpdate();
            }
        }

        private static String enc(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
        }

        @Override
        public void close() throws Exception {
            workers.shutdownNow();
            jms.close();
            jmsFactory.close();
        }
    }
}
