package de.geolead.benchmark;

import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Distribution rate: N leads × 3 subscribers each (head start 0) through the real distribution and
 * delivery routes into a real SMTP server, with 100 000 other subscriptions in the table.
 * Run with {@code mvn -B -Pbenchmark test -Dtest=DistributionBenchmark}; {@code -Dbench.leads=1000}.
 */
@Tag("benchmark")
class DistributionBenchmark {

    @TempDir
    Path dataDir;

    @Test
    void distributionRate() {
        System.out.println("BENCHMARK delivery consumers: " + System.getProperty("bench.deliveryConsumers", "4"));
        int leads = Integer.getInteger("bench.leads", 1000);
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
        long subscriptions = db.count("SELECT count(*) FROM subscriptions");

        List<Map<String, Object>> plan = db.rows("""
                EXPLAIN (ANALYZE, FORMAT TEXT)
                SELECT e.customer_id, min(e.subscribed_since) FROM eligible_coverage e
                 WHERE e.plz IN ('4', '45', '451', '4512', '45127') GROUP BY e.customer_id
                """);
        String planText = String.join("\n", plan.stream().map(r -> r.values().iterator().next().toString()).toList());

        // the benchmark's own agents: three per PLZ, in PLZs no filler uses (starting with 0)
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "01067", "ort", "Dresden"));
        long[] ids = new long[leads];
        for (int i = 0; i < leads; i++) {
            String plz = String.format("0%04d", 1000 + i % 100);
            if (i < 100) {
                for (int a = 0; a < 3; a++) {
                    data.subscription(data.customer("Bench " + plz + "-" + a, "paid"), plz);
                }
            }
            ids[i] = data.lead(plz, "Dresden", pdf);
        }

        try (Mailbox mailbox = new Mailbox();
             RunningApp app = RunningApp.start(dataDir, Map.of(
                     "smtp.host", "127.0.0.1",
                     "smtp.port", Integer.toString(mailbox.port()),
                     "smtp.from", "leads@geolead.test",
                     "geolead.head.start", "PT0S",
                     "geolead.delivery.window", "00:00-24:00",
                     "geolead.delivery.consumers", System.getProperty("bench.deliveryConsumers", "4"),
                     "geolead.sweep.cron", RunningApp.NEVER))) {
            ProducerTemplate producer = app.context().createProducerTemplate();
            long start = System.nanoTime();
            for (long id : ids) {
                producer.sendBody("jms:queue:geolead.leads.new", Long.toString(id));
            }
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> mailbox.messages().size() >= leads * 3);
            double seconds = (System.nanoTime() - start) / 1e9;

            // a mail reaches the SMTP server before its row is committed as sent
            await().atMost(Duration.ofSeconds(30)).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") == leads * 3L);
            System.out.printf("BENCHMARK distribution: %d leads x 3 agents = %d mails in %.2f s, %.1f mails/s (%d subscriptions in the table)%n",
                    leads, leads * 3, seconds, leads * 3 / seconds, subscriptions);
            System.out.println("BENCHMARK eligibility lookup plan:\n" + planText);
        }
    }
}
