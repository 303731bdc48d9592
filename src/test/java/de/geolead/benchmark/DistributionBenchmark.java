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
 * delivery routes into a real SMTP server, with 100 000 other subscriptions in the table; once with the leads stored
 * plain, once sealed with GEOLEAD_DATA_KEYS (encryption at rest), in the same run.
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

        List<Map<String, Object>> plan = db.rows("""
                EXPLAIN (ANALYZE, FORMAT TEXT)
                SELECT e.customer_id, min(e.subscribed_since) FROM eligible_coverage e
                 WHERE e.plz IN ('4', '45', '451', '4512', '45127') GROUP BY e.customer_id
                """);
        String planText = String.join("\n", plan.stream().map(r -> r.values().iterator().next().toString()).toList());

        // the benchmark's own agents: three per PLZ, in PLZs no filler uses (starting with 0); two sets of leads, one
        // sealed (GEOLEAD_DATA_KEYS, by the rotation command's code) for the encrypted round, one plain
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "01067", "ort", "Dresden"));
        String keys = DialfireImportBenchmark.benchKeys();
        long[] sealed = leads(data, leads, pdf, true);
        new DataKeyRotation(new Database(db.dataSource()), new DataCipher(DataKeys.parse(keys)), DataKeyRotation.BATCH).run();
        long[] plain = leads(data, leads, pdf, false);
        assertThat(db.count("SELECT count(*) FROM leads WHERE contact_key IS NOT NULL")).isEqualTo(leads);

        try (Mailbox mailbox = new Mailbox()) {
            double off = deliver(db, mailbox, plain, "", "plain");
            mailbox.clear();
            double on = deliver(db, mailbox, sealed, keys, "sealed");
            System.out.printf("BENCHMARK delivery (encryption off/on): %.1f/s vs %.1f/s mails, ratio %.2f (%d leads x 3 agents each)%n",
                    off, on, on / off, leads);
            System.out.println("BENCHMARK eligibility lookup plan:\n" + planText);
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

    /** One round: an app with {@code keys} ("" = plain) distributes and mails {@code ids}; mails per second. */
    private double deliver(TestDatabase db, Mailbox mailbox, long[] ids, String keys, String round) {
        long sentBefore = db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'");
        try (RunningApp app = RunningApp.start(dataDir.resolve(round), Map.of(
                "smtp.host", "127.0.0.1",
                "smtp.port", Integer.toString(mailbox.port()),
                "smtp.from", "leads@geolead.test",
                "geolead.head.start", "PT0S",
                "geolead.delivery.window", "00:00-24:00",
                "geolead.delivery.consumers", System.getProperty("bench.deliveryConsumers", "4"),
                "geolead.data.keys", keys,
                "geolead.sweep.cron", RunningApp.NEVER))) {
            ProducerTemplate producer = app.context().createProducerTemplate();
            long start = System.nanoTime();
            for (long id : ids) {
                producer.sendBody("jms:queue:geolead.leads.new", Long.toString(id));
            }
            int mails = ids.length * 3;
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> mailbox.messages().size() >= mails);
            double seconds = (System.nanoTime() - start) / 1e9;

            // a mail reaches the SMTP server before its row is committed as sent
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") - sentBefore == mails);
            assertThat(new String(Mailbox.attachment(mailbox.messages().get(0)).bytes(), 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .isEqualTo("%PDF");
            System.out.printf("BENCHMARK distribution (encryption %s): %d leads x 3 agents = %d mails in %.2f s, %.1f mails/s "
                    + "(%d subscriptions in the table)%n", keys.isEmpty() ? "off" : "on", ids.length, mails, seconds, mails / seconds,
                    db.count("SELECT count(*) FROM subscriptions"));
            return mails / seconds;
        }
    }
}
