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
 * routes into PostgreSQL and Artemis. Run with {@code mvn -Pbenchmark test} (see README, "Benchmarks");
 * {@code -Dbench.contacts=1000 -Dbench.pdfBytes=50000} are the defaults.
 */
@Tag("benchmark")
class DialfireImportBenchmark {

    @TempDir
    Path dataDir;

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
            try (RunningApp app = RunningApp.start(dataDir, Map.of(
                    "dialfire.base.url", dialfire.baseUrl(),
                    "dialfire.campaign.id", "BENCHCAMPAIGN001",
                    "dialfire.campaign.token", "bench-token",
                    "camel.main.auto-startup-exclude-pattern", "lead-distribution"))) {
                app.runImportExpectingSuccess(); // warm-up on an empty feed window is not possible: measure the first run
                db.reset();
                System.gc();
                long start = System.nanoTime();
                ImportRun run = app.runImportExpectingSuccess();
                double seconds = (System.nanoTime() - start) / 1e9;
                long heapMb = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1024 * 1024);

                assertThat(run.created()).isEqualTo(contacts);
                assertThat(db.count("SELECT count(*) FROM lead_pdfs")).isEqualTo(contacts);
                System.out.printf("BENCHMARK dialfire-import: %d contacts, %d-byte PDFs, %.2f s, %.1f leads/s, heap in use after run %d MB%n",
                        contacts, pdfBytes, seconds, contacts / seconds, heapMb);
            }
        }
    }
}
