package de.geolead.delivery;

import de.geolead.config.Infrastructure;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 9, item 6 with the real app, PostgreSQL, embedded Artemis and GreenMail: an SMTP outage longer than the old
 * retry budget loses nothing and holds no consumer; a mail that waited longer than GEOLEAD_MAIL_RETRY_FOR is failed
 * with its reason; scheduled mails survive a broker restart. One delivery consumer, so a waiting retry would block
 * every other mail.
 */
@Tag("faults")
class SmtpOutageTest {

    static final Duration BACKOFF = Duration.ofMillis(200);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
    /** The old budget with its default of 5 attempts: 0.2 + 0.4 + 0.8 + 1.6 s. */
    static final int OLD_ATTEMPTS = 5;

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        app = startApp();
    }

    static RunningApp startApp() {
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("geolead.delivery.consumers", "1");
        props.put("geolead.mail.backoff", BACKOFF.toString());
        props.put("geolead.mail.max.backoff", MAX_BACKOFF.toString());
        props.put("geolead.mail.retry.for", "PT30S");
        props.put("geolead.mail.lease", "PT20S");
        return RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        mailbox.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        mailbox.clear();
    }

    @Test
    void smtpDownLongerThanTheOldRetryBudgetThenBackSendsEveryMailExactlyOnceWithoutHoldingAConsumer() {
        long agent = data.customer("Outage Agent", "paid");
        data.subscription(agent, "10115");
        List<Long> leads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            leads.add(data.lead("10115", "Berlin"));
        }
        mailbox.stop();
        Instant down = Instant.now();
        try {
            leads.forEach(app::publishLead);
            // every mail tried more often than the old budget allowed, none failed
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    db.count("SELECT count(*) FROM lead_distributions WHERE attempts > ?", OLD_ATTEMPTS) == 5);
            assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE status = 'failed'")).isZero();
            assertThat(db.rows("SELECT status_reason FROM lead_distributions")).extracting(r -> (String) r.get("status_reason"))
                    .allSatisfy(reason -> assertThat(reason).contains("retrying"));

            // the only consumer is free while the mails wait: another message is processed meanwhile ...
            long unpaid = data.customer("Unpaid Agent", "unpaid");
            long other = data.lead("10117", "Berlin");
            long skippedRow = data.distribution(other, unpaid, Instant.now());
            sendDelivery(skippedRow);
            await().atMost(Duration.ofSeconds(3)).until(() ->
                    "skipped".equals(db.row("SELECT status FROM lead_distributions WHERE id = ?", skippedRow).get("status")));
            // ... and no exchange sits in the delivery route between attempts
            await().atMost(Duration.ofSeconds(3)).until(() -> app.context().getInflightRepository().size("lead-delivery") == 0);
            assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE status = 'pending' AND next_attempt_at IS NOT NULL")).isEqualTo(5);
        } finally {
            mailbox.start();
        }
        Instant back = Instant.now();

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> mailbox.messages().size() >= 5);
        Duration lastMailAfterBack = Duration.between(back, Instant.now());
        await().atMost(Duration.ofSeconds(5)).until(() ->
                db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") == 5);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> mailbox.messages().size() == 5);

        List<String> arrived = messageIds(mailbox.messages());
        assertThat(arrived).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(db.rows("SELECT message_id FROM lead_distributions WHERE status = 'sent'")
                        .stream().map(r -> (String) r.get("message_id")).toList());
        System.out.printf("MEASURED smtp-outage: SMTP down %d ms (old budget %d ms), last of 5 mails out %d ms after SMTP came back "
                        + "(max backoff %d ms), attempts per mail %s%n",
                Duration.between(down, back).toMillis(), oldBudget().toMillis(), lastMailAfterBack.toMillis(), MAX_BACKOFF.toMillis(),
                db.rows("SELECT attempts FROM lead_distributions WHERE status = 'sent' ORDER BY id").stream().map(r -> r.get("attempts")).toList());
        assertThat(lastMailAfterBack).isLessThan(MAX_BACKOFF.plusSeconds(3));
    }

    @Test
    void aMailThatWaitedLongerThanTheRetryPeriodIsFailedWithItsReasonAnErrorLineAndTheMetric() {
        long agent = data.customer("Late Agent", "paid");
        data.subscription(agent, "20095");
        long lead = data.lead("20095", "Hamburg");
        long row = data.distribution(lead, agent, Instant.now().minus(Duration.ofHours(1)));
        double failedBefore = failedCounter();
        mailbox.stop();
        try (LogCapture log = LogCapture.open()) {
            sendDelivery(row);

            await().atMost(Duration.ofSeconds(10)).until(() ->
                    "failed".equals(db.row("SELECT status FROM lead_distributions WHERE id = ?", row).get("status")));
            assertThat((String) db.row("SELECT status_reason FROM lead_distributions WHERE id = ?", row).get("status_reason"))
                    .contains("GEOLEAD_MAIL_RETRY_FOR", "PT30S", "last error")
                    .doesNotContain(data.email(agent));
            await().atMost(Duration.ofSeconds(3)).until(() -> failedCounter() == failedBefore + 1);
            assertThat(log.lines()).filteredOn(line -> line.startsWith("ERROR") && line.contains("Distribution " + row + " "))
                    .hasSize(1).allSatisfy(line -> assertThat(line).contains("mail failed", "GEOLEAD_MAIL_RETRY_FOR"));
        } finally {
            mailbox.start();
        }
        assertThat(mailbox.messages()).isEmpty();
    }

    @Test
    void severalScheduledMailsPendingWhileTheBrokerRestartsAreEachSentOnceAndNoneEarly() {
        long agent = data.customer("Scheduled Agent", "paid");
        data.subscription(agent, "28195");
        Instant t0 = Instant.now();
        // two fall due while the app and its broker are down, two after the restart
        List<Duration> offsets = List.of(Duration.ofMillis(2500), Duration.ofMillis(3500), Duration.ofSeconds(9), Duration.ofSeconds(11));
        List<Long> rows = new ArrayList<>();
        for (Duration offset : offsets) {
            long row = data.distribution(data.lead("28195", "Bremen"), agent, t0.plus(offset));
            rows.add(row);
            ProducerTemplate producer = app.context().createProducerTemplate();
            producer.sendBodyAndHeader("jms:queue:geolead.deliveries", Long.toString(row), "_AMQ_SCHED_DELIVERY", t0.plus(offset).toEpochMilli());
        }
        Queue queue = app.bean("infrastructure", Infrastructure.class).embeddedBroker().server().getActiveMQServer()
                .locateQueue(SimpleString.of("geolead.deliveries"));
        await().atMost(Duration.ofSeconds(2)).until(() -> queue.getScheduledCount() == offsets.size());

        app.close(); // the broker stops with four scheduled messages in its journal
        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(t0.plus(offsets.get(1)).plusMillis(500)));
        assertThat(mailbox.messages()).isEmpty();
        app = startApp();

        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() >= offsets.size());
        await().atMost(Duration.ofSeconds(5)).until(() ->
                db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") == offsets.size());
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> mailbox.messages().size() == offsets.size());
        assertThat(messageIds(mailbox.messages())).doesNotHaveDuplicates().hasSize(offsets.size());
        for (long row : rows) {
            Map<String, Object> r = db.row("SELECT scheduled_for, sent_at FROM lead_distributions WHERE id = ?", row);
            assertThat(((Timestamp) r.get("sent_at")).toInstant()).as("never before its time")
                    .isAfterOrEqualTo(((Timestamp) r.get("scheduled_for")).toInstant().minusMillis(50));
        }
    }

    static Duration oldBudget() {
        Duration total = Duration.ZERO;
        for (int i = 0; i < OLD_ATTEMPTS - 1; i++) {
            total = total.plus(BACKOFF.multipliedBy(1L << i));
        }
        return total;
    }

    static void sendDelivery(long distributionId) {
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries", Long.toString(distributionId));
    }

    static double failedCounter() {
        return app.context().getRegistry().findByType(MeterRegistry.class).stream()
                .map(registry -> registry.find("geolead.distributions.delivered").tag("result", "failed").counter())
                .filter(java.util.Objects::nonNull).mapToDouble(Counter::count).sum();
    }

    static List<String> messageIds(List<MimeMessage> messages) {
        List<String> ids = new ArrayList<>();
        for (MimeMessage message : messages) {
            try {
                ids.add(message.getMessageID());
            } catch (MessagingException e) {
                throw new IllegalStateException(e);
            }
        }
        return ids;
    }
}
