package de.geolead.benchmark;

import de.geolead.dialfire.ImportRun;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Import rate: N simulated Dialfire contacts with lead sheets of a given size, imported by the real
 * routes into PostgreSQL and Artemis, with encryption at rest off and on (GEOLEAD_DATA_KEYS) in the same run. Run with
 * {@code mvn -Pbenchmark test} (see README, "Benchmarks"); {@code -Dbench.contacts=1000 -Dbench.pdfBytes=50000} are the
 * defaults.
 */
@Tag("benchmark")
class DialfireImportBenchmark {

    @TempDir
    Path dataDir;

    /** GEOLEAD_DATA_KEYS of the encrypted round: one generated key. */
    static final String KEYS = benchKeys();

    static String benchKeys() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return "bench:" + java.util.Base64.getEncoder().encodeToString(key);
    }

    /**
     * Import rate with the contact and PDF stored plain, then sealed (GEOLEAD_DATA_KEYS set), in the same run: each
     * round on a fresh app, after a warm-up run of its own; {@code -Dbench.rounds=2} alternates off/on twice and keeps
     * each mode's best.
     */
    @Test
    void importRate() {
        int contacts = Integer.getInteger("bench.contacts", 1000);
        int pdfBytes = Integer.getInteger("bench.pdfBytes", 50_000);
        TestDatabase db = TestDatabase.get();
        db.reset();
        try (DialfireSimulator dialfire = DialfireSimulator.start(0, "BENCHCAMPAIGN001", "bench-token")) {
            for (int i = 0; i < contacts; i++) {
                String plz = String.format("%05d", 10000 + i * 7 % 89000);
                String path = "leads/bench-" + i + ".pdf";
                dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz, "ort", "Berlin", "nachname", "Bench" + i), pdfBytes), "application/pdf");
                String id = dialfire.addContact("anrufen", Map.of("plz", plz, "ort", "Berlin", "pdf_url", path));
                dialfire.succeed(id, "anrufen");
            }
            double off = 0;
            double on = 0;
            for (int round = 0; round < Integer.getInteger("bench.rounds", 1); round++) {
                off = Math.max(off, measure(db, dialfire, contacts, pdfBytes, ""));
                on = Math.max(on, measure(db, dialfire, contacts, pdfBytes, KEYS));
            }
            System.out.printf("BENCHMARK import (encryption off/on): %.1f/s vs %.1f/s, ratio %.2f (%d contacts, %d-byte PDFs)%n",
                    off, on, on / off, contacts, pdfBytes);
            sealingRate(pdfBytes);
        }
    }

    /** One round: an app with {@code keys} ("" = plain), a warm-up run, then the measured run; leads per second. */
    private double measure(TestDatabase db, DialfireSimulator dialfire, int contacts, int pdfBytes, String keys) {
        db.reset();
        try (RunningApp app = RunningApp.start(dataDir.resolve(keys.isEmpty() ? "plain" : "sealed"), Map.of(
                "dialfire.base.url", dialfire.baseUrl(),
                "dialfire.campaign.id", "BENCHCAMPAIGN001",
                "dialfire.campaign.token", "bench-token",
                "geolead.data.keys", keys,
                "camel.main.auto-startup-exclude-pattern", "lead-distribution"))) {
            app.runImportExpectingSuccess(); // warm-up on an empty feed window is not possible: measure the second run
            db.reset();
            System.gc();
            long start = System.nanoTime();
            ImportRun run = app.runImportExpectingSuccess();
            double seconds = (System.nanoTime() - start) / 1e9;
            long heapMb = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1024 * 1024);

            assertThat(run.created()).isEqualTo(contacts);
            assertThat(db.count("SELECT count(*) FROM lead_pdfs")).isEqualTo(contacts);
            assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE content_key IS NOT NULL")).isEqualTo(keys.isEmpty() ? 0 : contacts);
            String mode = keys.isEmpty() ? "off" : "on";
            System.out.printf("BENCHMARK dialfire-import (encryption %s): %d contacts, %d-byte PDFs, %.2f s, %.1f leads/s, heap in use after run %d MB%n",
                    mode, contacts, pdfBytes, seconds, contacts / seconds, heapMb);
            return contacts / seconds;
        }
    }

    /** The crypto alone, without database and broker: seal and open a PDF of {@code pdfBytes}, one thread, for 2 s. */
    private static void sealingRate(int pdfBytes) {
        de.geolead.privacy.DataCipher cipher = new de.geolead.privacy.DataCipher(de.geolead.privacy.DataKeys.parse(KEYS));
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "10115"), pdfBytes);
        String keyId = cipher.currentKeyId();
        for (int i = 0; i < 2000; i++) {
            cipher.open(i, de.geolead.privacy.DataCipher.Purpose.PDF, keyId, cipher.seal(i, de.geolead.privacy.DataCipher.Purpose.PDF, pdf));
        }
        long count = 0;
        long start = System.nanoTime();
        long until = start + 2_000_000_000L;
        while (System.nanoTime() < until) {
            cipher.open(count, de.geolead.privacy.DataCipher.Purpose.PDF, keyId, cipher.seal(count, de.geolead.privacy.DataCipher.Purpose.PDF, pdf));
            count++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("BENCHMARK sealing: %.0f PDFs of %d bytes sealed and opened per second (one thread, %.1f µs each)%n",
                count / seconds, pdf.length, seconds * 1e6 / count);
    }
}
