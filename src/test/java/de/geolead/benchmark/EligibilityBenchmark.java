package de.geolead.benchmark;

import de.geolead.testing.EligibilityData;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The eligibility lookup (who may get a lead for this PLZ; {@code sql/eligible-agents.sql} on the view
 * {@code eligible_coverage}) with 100 000 subscriptions over 8 200 PLZ ({@link EligibilityData}): many lookups of
 * random PLZ through Geolead's own path (the route lead-distribution's step {@code find-eligible-agents}, the camel-sql
 * endpoint as deployed, with the headers its earlier steps set) against the bare SQL over plain JDBC (one prepared
 * statement on one connection), on one thread, in alternating blocks so that both see the same machine.
 * Run with {@code mvn -B -Pbenchmark test -Dtest=EligibilityBenchmark}; {@code -Dbench.lookups=20000}.
 */
@Tag("benchmark")
class EligibilityBenchmark {

    @TempDir
    Path dataDir;

    @Test
    void eligibilityLookup() throws Exception {
        int lookups = Integer.getInteger("bench.lookups", 20_000);
        int blocks = 4;
        TestDatabase db = TestDatabase.get();
        db.reset();
        EligibilityData.Summary data = EligibilityData.create(db, 100_000, 8_200);
        System.out.println("BENCHMARK eligibility data: " + data);
        String plan = EligibilityData.plan(db, data.busiestPlz());

        Random random = new Random(14);
        List<String> plzs = data.plzs();
        try (RunningApp app = RunningApp.start(dataDir, Map.of(
                "geolead.data.keys", DialfireImportBenchmark.KEYS,
                "geolead.sweep.cron", RunningApp.NEVER));
             Connection jdbc = plainConnection(db)) {
            EligibilityData.GeoleadLookup geolead = new EligibilityData.GeoleadLookup(app.context());
            EligibilityData.BareLookup bare = new EligibilityData.BareLookup(jdbc, geolead.monthStart());
            // the same answers on the same data (every tenth PLZ), then warm both up (JIT, statement caches)
            for (int i = 0; i < plzs.size(); i += 10) {
                assertThat(geolead.lookup(plzs.get(i))).as("PLZ %s", plzs.get(i)).isEqualTo(bare.lookup(plzs.get(i)));
            }
            for (int i = 0; i < 5_000; i++) {
                String plz = plzs.get(random.nextInt(plzs.size()));
                geolead.lookup(plz);
                bare.lookup(plz);
            }
            Latency geoleadLatency = new Latency();
            Latency bareLatency = new Latency();
            long geoleadNanos = 0;
            long bareNanos = 0;
            long rows = 0;
            try (Profile profile = Profile.start("eligibility")) {
                for (int block = 0; block < blocks; block++) {
                    String[] sample = new String[lookups / blocks];
                    for (int i = 0; i < sample.length; i++) {
                        sample[i] = plzs.get(random.nextInt(plzs.size()));
                    }
                    geoleadNanos += run(sample, geolead, geoleadLatency);
                    bareNanos += run(sample, bare, bareLatency);
                }
            }
            for (int i = 0; i < 200; i++) {
                String plz = plzs.get(random.nextInt(plzs.size()));
                rows += bare.lookup(plz).size();
            }
            double geoleadRate = geoleadLatency.count() / (geoleadNanos / 1e9);
            double bareRate = bareLatency.count() / (bareNanos / 1e9);
            System.out.println("BENCHMARK eligibility latencies: geolead " + geoleadLatency + "; raw " + bareLatency);
            Report.add(new Report.Row("eligibility", geoleadRate, bareRate, " lookups/s", geoleadLatency, "p99 < 2 ms",
                    String.format(java.util.Locale.ROOT, "raw p50 %s ms, p99 %s ms; %d subscriptions over %d PLZ, %.1f agents per lookup, 1 thread",
                            Report.ms(bareLatency.p50Ms()), Report.ms(bareLatency.p99Ms()), data.subscriptions(), data.distinctPlz(), rows / 200.0)));
            System.out.println("BENCHMARK eligibility lookup plan (PLZ " + data.busiestPlz() + "):\n" + plan);
        }
    }

    private static long run(String[] sample, EligibilityData.Lookup lookup, Latency latency) {
        long start = System.nanoTime();
        for (String plz : sample) {
            long t0 = System.nanoTime();
            lookup.lookup(plz);
            latency.recordNanos(System.nanoTime() - t0);
        }
        return System.nanoTime() - start;
    }

    private static Connection plainConnection(TestDatabase db) throws Exception {
        Properties props = new Properties();
        if (!db.user().isEmpty()) {
            props.setProperty("user", db.user());
        }
        if (!db.password().isEmpty()) {
            props.setProperty("password", db.password());
        }
        return DriverManager.getConnection(db.jdbcUrl(), props);
    }
}
