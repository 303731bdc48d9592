package de.geolead.delivery;

import de.geolead.sandbox.SandboxSmtpServer;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 9, items 6 and 7 against the project's own SMTP server with fault injection: a 5xx for one recipient fails
 * that mail at once (no retries) while the others go out; a slow SMTP conversation that outlasts the sweep's grace
 * keeps its claim (lease) and the mail goes out once.
 */
@Tag("faults")
class SmtpRejectionTest {

    /** Longer than the sweep's grace (1 s), shorter than the lease (15 s) and the SMTP read timeout (30 s). */
    static final Duration STALL = Duration.ofSeconds(4);

    @TempDir
    static Path dataDir;
    static SandboxSmtpServer smtp;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        smtp = SandboxSmtpServer.start(0, dataDir.resolve("outbox"));
        Map<String, String> props = RunningApp.mailingTo(smtp.port());
        props.put("geolead.mail.backoff", "PT0.2S");
        props.put("geolead.mail.max.backoff", "PT1S");
        props.put("geolead.mail.lease", "PT15S");
        props.put("geolead.sweep.grace", "PT1S");
        app = RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        smtp.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    @AfterEach
    void noStall() {
        smtp.stallBeforeDataReply(Duration.ZERO);
    }

    @Test
    void aRecipientRejectedWith550IsFailedAtOnceWithTheReasonWhileTheOthersAreSent() {
        long rejected = data.customer("Gone Agent", "paid");
        long fine = data.customer("Fine Agent", "paid");
        data.subscription(rejected, "80331");
        data.subscription(fine, "50667");
        smtp.answerRecipient(data.email(rejected), "550 5.1.1 <" + data.email(rejected) + ">: Recipient address rejected: User unknown");
        int storedBefore = smtp.count();
        int rejectionsBefore = smtp.injectedReplies();
        long leadRejected = data.lead("80331", "München");
        long leadFine = data.lead("50667", "Köln");

        try (LogCapture log = LogCapture.open()) {
            app.publishLead(leadRejected);
            app.publishLead(leadFine);

            await().atMost(Duration.ofSeconds(10)).until(() -> "failed".equals(status(leadRejected)));
            await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(status(leadFine)));
            Map<String, Object> row = db.row("SELECT id, attempts, status_reason FROM lead_distributions WHERE lead_id = ?", leadRejected);
            assertThat((String) row.get("status_reason")).contains("550", "permanently").doesNotContain(data.email(rejected));
            assertThat(row.get("attempts")).isEqualTo(1);
            assertThat(smtp.injectedReplies() - rejectionsBefore).as("no retry of a permanent rejection").isEqualTo(1);
            assertThat(smtp.count() - storedBefore).isEqualTo(1);
            assertThat(log.lines()).filteredOn(line -> line.startsWith("ERROR") && line.contains("Distribution " + row.get("id") + " "))
                    .hasSize(1).allSatisfy(line -> assertThat(line).contains("550").doesNotContain(data.email(rejected)));
        }
    }

    @Test
    void aLeadWhoseOnlyMailIsRejectedForGoodIsPlannedAgainAtOnce() {
        long gone = data.customer("Rejected Only Agent", "paid");
        data.subscription(gone, "99084");
        smtp.answerRecipient(data.email(gone), "550 5.1.1 User unknown");
        long lead = data.lead("99084", "Erfurt");

        app.publishLead(lead);

        // the permanent failure hands the lead back to distribution: nobody else covers 99084, so it waits unassigned
        await().atMost(Duration.ofSeconds(10)).until(() -> "unassigned".equals(
                db.row("SELECT status FROM leads WHERE id = ?", lead).get("status")));
        assertThat(status(lead)).isEqualTo("failed");
        assertThat((String) db.row("SELECT status_reason FROM leads WHERE id = ?", lead).get("status_reason"))
                .contains("skipped or failed");
    }

    @Test
    void theSweepLeavesALiveSlowAttemptAloneAndTheMailGoesOutOnce() {
        long agent = data.customer("Slow Agent", "paid");
        data.subscription(agent, "04109");
        long lead = data.lead("04109", "Leipzig");
        smtp.stallBeforeDataReply(STALL);
        int storedBefore = smtp.count();

        app.publishLead(lead);
        // the attempt is alive (the server holds its reply) and its claim is older than the sweep's grace
        await().atMost(Duration.ofSeconds(10)).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? "
                + "AND status = 'sending' AND claimed_at <= now() - interval '1500 milliseconds'", lead) == 1);
        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);
        assertThat(status(lead)).as("the sweep keeps off a live claim").isEqualTo("sending");

        await().atMost(Duration.ofSeconds(15)).until(() -> "sent".equals(status(lead)));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> smtp.count() - storedBefore == 1);
        List<String> ids = storedMessageIds(storedBefore);
        assertThat(ids).containsExactly((String) db.row("SELECT message_id FROM lead_distributions WHERE lead_id = ?", lead).get("message_id"));
        assertThat(db.row("SELECT attempts FROM lead_distributions WHERE lead_id = ?", lead).get("attempts")).isEqualTo(1);
    }

    @Test
    void anAttemptThatOutlivedItsLeaseCannotRecordItsResultOverTheNewerAttempt() {
        long agent = data.customer("Zombie Agent", "paid");
        data.subscription(agent, "01067");
        long lead = data.lead("01067", "Dresden");
        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", lead);
        long row = data.distribution(lead, agent, java.time.Instant.now());
        DeliveryService delivery = app.bean("deliveryService", DeliveryService.class);
        int storedBefore = smtp.count();

        Delivery zombie = delivery.prepare(row); // attempt 1 claims the row, then hangs
        assertThat(zombie.action()).isEqualTo(Delivery.SEND);
        assertThat(zombie.attempt()).isEqualTo(1);
        db.update("UPDATE lead_distributions SET lease_until = now() - interval '1 second' WHERE id = ?", row); // its lease ran out
        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null); // outcome unknown: sent again

        await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(status(lead)));
        assertThat(db.row("SELECT attempts FROM lead_distributions WHERE id = ?", row).get("attempts")).isEqualTo(2);
        assertThat(delivery.markSent(row, zombie.attempt(), zombie.messageId())).as("the late attempt 1 records nothing").isFalse();
        assertThat(delivery.afterFailedAttempt(row, zombie.attempt(), new jakarta.mail.MessagingException("late failure")).action())
                .isEqualTo(FailedAttempt.LOST);
        Map<String, Object> after = db.row("SELECT status, attempts, status_reason, message_id FROM lead_distributions WHERE id = ?", row);
        assertThat(after.get("status")).isEqualTo("sent");
        assertThat(after.get("attempts")).isEqualTo(2);
        assertThat(after.get("status_reason")).isNull();
        // SMTP accepted the resend before `sent` was recorded; it keeps the Message-ID
        assertThat(storedMessageIds(storedBefore)).containsExactly(zombie.messageId());
    }

    static String status(long leadId) {
        List<Map<String, Object>> rows = db.rows("SELECT status FROM lead_distributions WHERE lead_id = ?", leadId);
        return rows.isEmpty() ? null : (String) rows.get(0).get("status");
    }

    static List<String> storedMessageIds(int from) {
        List<String> ids = new ArrayList<>();
        List<Path> files = smtp.messages();
        for (Path file : files.subList(from, files.size())) {
            try (InputStream in = Files.newInputStream(file)) {
                ids.add(new MimeMessage(Session.getInstance(new Properties()), in).getMessageID());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return ids;
    }
}
