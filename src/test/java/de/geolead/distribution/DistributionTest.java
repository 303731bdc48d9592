package de.geolead.distribution;

import de.geolead.config.Infrastructure;
import de.geolead.lead.LeadSheetPdf;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.mail.internet.MimeMessage;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Distribution and delivery end to end with the real routes, PostgreSQL, embedded Artemis (scheduled
 * delivery) and a real SMTP server. The head start is 3 s here instead of 3 days.
 */
class DistributionTest {

    static final Duration HEAD_START = Duration.ofSeconds(3);

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static DialfireSimulator dialfire;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        dialfire = DialfireSimulator.start(0, "DISTRIBUTIONCAMP", "distribution-token");
        app = startApp();
    }

    static RunningApp startApp() {
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("geolead.head.start", HEAD_START.toString());
        props.put("geolead.mail.backoff", "PT0.5S");
        props.put("geolead.sweep.grace", "PT1S");
        props.put("dialfire.base.url", dialfire.baseUrl());
        props.put("dialfire.campaign.id", "DISTRIBUTIONCAMP");
        props.put("dialfire.campaign.token", "distribution-token");
        return RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        dialfire.close();
        mailbox.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        dialfire.reset();
        mailbox.clear();
    }

    static void publish(long leadId) {
        ProducerTemplate producer = app.context().createProducerTemplate();
        producer.sendBody("jms:queue:geolead.leads.new", Long.toString(leadId));
    }

    static List<Map<String, Object>> distributions(long leadId) {
        return db.rows("SELECT * FROM lead_distributions WHERE lead_id = ? ORDER BY id", leadId);
    }

    static void awaitMails(int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() >= count);
    }

    /**
     * Until the lead has {@code count} mails, all recorded {@code sent}. A mail reaches the SMTP server before
     * {@code sent} is committed: after {@link #awaitMails} the rows may still say {@code sending}.
     */
    static List<Map<String, Object>> awaitAllSent(long leadId, int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            List<Map<String, Object>> rows = distributions(leadId);
            return rows.size() == count && rows.stream().allMatch(r -> "sent".equals(r.get("status")));
        });
        return distributions(leadId);
    }

    /** Until the database clock (the sweep's) has passed the given time of the row by {@code by}. */
    static void awaitPast(String column, long distributionId, Duration by) {
        await().atMost(Duration.ofSeconds(20)).until(() -> (Boolean) db.row("SELECT " + column + " <= now() - ?::interval AS past "
                + "FROM lead_distributions WHERE id = ?", by.toMillis() + " milliseconds", distributionId).get("past"));
    }

    @Test
    void oneSubscriberGetsOneMailWithTheLeadSheetAttachedByteForByte() throws Exception {
        long agent = data.customer("Anna Makler", "paid");
        data.subscription(agent, "80331");
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331", "ort", "München"));
        long lead = data.lead("80331", "München", pdf);

        publish(lead);

        awaitMails(1);
        MimeMessage mail = mailbox.messages().get(0);
        assertThat(mail.getAllRecipients()[0].toString()).isEqualTo(data.email(agent));
        assertThat(mail.getSubject()).contains("80331").contains("München").doesNotContain("Muster");
        Mailbox.Attachment attachment = Mailbox.attachment(mail);
        assertThat(attachment.fileName()).isEqualTo("Lead-80331-" + lead + ".pdf");
        assertThat(LeadSheetPdf.sha256Hex(attachment.bytes())).isEqualTo(LeadSheetPdf.sha256Hex(pdf));
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(distributions(lead).get(0).get("status")));
        Map<String, Object> row = distributions(lead).get(0);
        assertThat(row.get("role")).isEqualTo("only");
        assertThat(row.get("message_id")).isEqualTo(mail.getMessageID());
        assertThat(db.row("SELECT status FROM leads WHERE id = ?", lead).get("status")).isEqualTo("distributed");
    }

    @Test
    void threeSubscribersOneAtOnceTheOthersAfterTheHeadStartAndTheNextLeadRotates() throws Exception {
        long a = data.customer("Agent A", "paid");
        long b = data.customer("Agent B", "paid");
        long c = data.customer("Agent C", "paid");
        for (long agent : List.of(a, b, c)) {
            data.subscription(agent, "10115");
        }
        long lead = data.lead("10115", "Berlin");
        Instant published = Instant.now();

        publish(lead);

        awaitMails(1);
        // nobody else during the head start
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofMillis(2000)).until(() -> mailbox.messages().size() == 1);
        String first = mailbox.messages().get(0).getAllRecipients()[0].toString();
        assertThat(mailbox.messages().get(0).getContent().toString()).isNotEmpty();

        awaitMails(3);
        assertThat(mailbox.messages()).hasSize(3);
        List<Map<String, Object>> rows = awaitAllSent(lead, 3);
        Map<String, Object> headStart = rows.stream().filter(r -> "head_start".equals(r.get("role"))).findFirst().orElseThrow();
        assertThat(data.email((Long) headStart.get("customer_id"))).isEqualTo(first);
        for (Map<String, Object> row : rows) {
            if ("follower".equals(row.get("role"))) {
                Instant sentAt = ((Timestamp) row.get("sent_at")).toInstant();
                assertThat(sentAt).as("a follower gets it only after the head start").isAfterOrEqualTo(published.plus(HEAD_START));
            }
        }

        long next = data.lead("10115", "Berlin");
        mailbox.clear();
        publish(next);

        awaitMails(1);
        String secondFirst = mailbox.messages().get(0).getAllRecipients()[0].toString();
        assertThat(secondFirst).as("fair rotation").isNotEqualTo(first);
    }

    @Test
    void leadsOfOnePlzPlannedAtTheSameMomentStillRotate() {
        for (String name : List.of("Rotation A", "Rotation B", "Rotation C")) {
            data.subscription(data.customer(name, "paid"), "01067");
        }
        List<Long> leads = List.of(data.lead("01067", "Dresden"), data.lead("01067", "Dresden"), data.lead("01067", "Dresden"));

        leads.forEach(DistributionTest::publish);

        await().atMost(Duration.ofSeconds(10)).until(() ->
                db.count("SELECT count(*) FROM lead_distributions WHERE role = 'head_start'") == 3);
        assertThat(db.rows("SELECT customer_id FROM lead_distributions WHERE role = 'head_start'"))
                .extracting(r -> r.get("customer_id")).doesNotHaveDuplicates();
    }

    @Test
    void prefixSubscriptionsMatchAndExpiredCanceledUnpaidOrPausedAgentsGetNothing() {
        long prefix = data.customer("Prefix Agent", "paid");
        data.subscription(prefix, "80");
        long expired = data.customer("Expired Agent", "paid");
        db.update("INSERT INTO subscriptions (customer_id, plz, start_date, end_date, status) VALUES (?, '80331', now() - interval '30 days', now() - interval '1 day', 'active')", expired);
        long canceled = data.customer("Canceled Agent", "paid");
        db.update("INSERT INTO subscriptions (customer_id, plz, start_date, status) VALUES (?, '80331', now() - interval '30 days', 'canceled')", canceled);
        long unpaid = data.customer("Unpaid Agent", "unpaid");
        data.subscription(unpaid, "80331");
        long paused = data.customer("Paused Agent", "paid");
        data.subscription(paused, "803");
        db.update("UPDATE customers SET paused_until = now() + interval '7 days' WHERE id = ?", paused);
        long otherRegion = data.customer("Other Region", "paid");
        data.subscription(otherRegion, "81");
        long lead = data.lead("80331", "München");

        publish(lead);

        awaitMails(1);
        await().during(Duration.ofMillis(HEAD_START.toMillis() + 1000)).atMost(Duration.ofSeconds(6)).until(() -> mailbox.messages().size() == 1);
        assertThat(mailbox.messagesTo(data.email(prefix))).hasSize(1);
        assertThat(distributions(lead)).extracting(r -> r.get("customer_id")).containsExactly(prefix);
    }

    @Test
    void anAgentWhoStopsPayingDuringTheHeadStartIsSkippedAtSendTime() {
        long a = data.customer("Payer A", "paid");
        long b = data.customer("Payer B", "paid");
        data.subscription(a, "20095");
        data.subscription(b, "20095");
        long lead = data.lead("20095", "Hamburg");

        publish(lead);

        awaitMails(1);
        Map<String, Object> follower = distributions(lead).stream().filter(r -> "follower".equals(r.get("role"))).findFirst().orElseThrow();
        db.update("UPDATE customers SET status = 'past_due' WHERE id = ?", follower.get("customer_id"));

        await().atMost(Duration.ofSeconds(10)).until(() ->
                "skipped".equals(db.row("SELECT status FROM lead_distributions WHERE id = ?", follower.get("id")).get("status")));
        assertThat((String) db.row("SELECT status_reason FROM lead_distributions WHERE id = ?", follower.get("id")).get("status_reason"))
                .contains("past_due");
        assertThat(mailbox.messages()).hasSize(1);
    }

    @Test
    void aLeadIsNeverDistributedTwiceEvenWhenItsMessageArrivesManyTimes() {
        long a = data.customer("Twice A", "paid");
        long b = data.customer("Twice B", "paid");
        long c = data.customer("Twice C", "paid");
        for (long agent : List.of(a, b, c)) {
            data.subscription(agent, "50667");
        }
        long lead = data.lead("50667", "Köln");

        for (int i = 0; i < 5; i++) {
            publish(lead);
        }

        awaitMails(3);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> mailbox.messages().size() == 3);
        awaitAllSent(lead, 3);
        for (long agent : List.of(a, b, c)) {
            assertThat(mailbox.messagesTo(data.email(agent))).as("one mail per agent").hasSize(1);
        }
    }

    @Test
    void aLeadWithoutPayingAgentsIsKeptUnassigned() {
        long lead = data.lead("01067", "Dresden");

        publish(lead);

        await().atMost(Duration.ofSeconds(10)).until(() -> "unassigned".equals(db.row("SELECT status FROM leads WHERE id = ?", lead).get("status")));
        assertThat(db.row("SELECT unassigned_since FROM leads WHERE id = ?", lead).get("unassigned_since")).isNotNull();
        assertThat(distributions(lead)).isEmpty();
    }

    @Test
    void smtpDownForAWhileIsRetriedAndTheMailSentOnce() throws Exception {
        long agent = data.customer("Patient Agent", "paid");
        data.subscription(agent, "04109");
        long lead = data.lead("04109", "Leipzig");
        mailbox.stop();
        try {
            publish(lead);
            // what this test is about: attempts that failed while SMTP was down (a retry is pending again at once)
            await().atMost(Duration.ofSeconds(10)).until(() -> !distributions(lead).isEmpty()
                    && ((Number) distributions(lead).get(0).get("attempts")).intValue() >= 2);
        } finally {
            mailbox.start();
        }

        awaitMails(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(distributions(lead).get(0).get("status")));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> mailbox.messages().size() == 1);
    }

    @Test
    void smtpRefusingConnectionsIsTransientTheMailWaitsPendingBeyondTheOldAttemptsAndGoesOutOnceSmtpIsBack() {
        long agent = data.customer("Unlucky Agent", "paid");
        data.subscription(agent, "99998");
        long lead = data.lead("99998", "Nirgendwo");
        app.drainQueue("geolead.deliveries.DLQ");
        mailbox.stop();
        try {
            publish(lead);
            // more attempts than GEOLEAD_MAIL_ATTEMPTS used to allow (4 here): a refused connection is transient
            await().atMost(Duration.ofSeconds(20)).until(() -> !distributions(lead).isEmpty()
                    && (Integer) distributions(lead).get(0).get("attempts") >= 4
                    && "pending".equals(distributions(lead).get(0).get("status")));
            Map<String, Object> row = distributions(lead).get(0);
            assertThat(row.get("next_attempt_at")).isNotNull();
            assertThat((String) row.get("status_reason")).contains("retrying");
        } finally {
            mailbox.start();
        }
        awaitMails(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(distributions(lead).get(0).get("status")));
        assertThat(mailbox.messagesTo(data.email(agent))).hasSize(1);
        // a failed mail is a fact in PostgreSQL; nothing is copied to a queue any more
        assertThat(app.drainQueue("geolead.deliveries.DLQ")).isEmpty();
    }

    @Test
    void theSweepRecoversAMailWhoseMessageTheBrokerLost() throws Exception {
        long agent = data.customer("Recovered Agent", "paid");
        data.subscription(agent, "70173");
        long lead = data.lead("70173", "Stuttgart");
        app.context().getRouteController().stopRoute("lead-delivery");
        try {
            publish(lead);
            // the plan's rows commit before the distribution's JMS transaction puts the message on the queue
            org.apache.activemq.artemis.core.server.Queue deliveries = app.bean("infrastructure", Infrastructure.class)
                    .embeddedBroker().server().getActiveMQServer().locateQueue(SimpleString.of("geolead.deliveries"));
            await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.getMessageCount() == 1);
            assertThat(distributions(lead)).hasSize(1);
            long removed = deliveries.deleteAllReferences();
            assertThat(removed).isEqualTo(1);
        } finally {
            app.context().getRouteController().startRoute("lead-delivery");
        }
        awaitPast("GREATEST(scheduled_for, COALESCE(enqueued_at, scheduled_for))", (Long) distributions(lead).get(0).get("id"),
                Duration.ofSeconds(1)); // past the sweep's grace period
        assertThat(mailbox.messages()).isEmpty();

        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);

        awaitMails(1);
        assertThat(mailbox.messagesTo(data.email(agent))).hasSize(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(distributions(lead).get(0).get("status")));
    }

    @Test
    void theSweepExpiresLeadsThatStayedUnassignedTooLong() {
        long lead = data.lead("01069", "Dresden");
        db.update("UPDATE leads SET status = 'unassigned', unassigned_since = now() - interval '8 days' WHERE id = ?", lead);

        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);

        Map<String, Object> row = db.row("SELECT status, status_reason FROM leads WHERE id = ?", lead);
        assertThat(row.get("status")).isEqualTo("expired");
        assertThat((String) row.get("status_reason")).contains("P7D");
    }

    @Test
    void aDelayedDeliveryPendingWhileTheBrokerRestartsIsDeliveredExactlyOnce() {
        long a = data.customer("Restart A", "paid");
        long b = data.customer("Restart B", "paid");
        data.subscription(a, "28195");
        data.subscription(b, "28195");
        long lead = data.lead("28195", "Bremen");
        publish(lead);
        awaitMails(1);
        // the head start's mail recorded as sent before the stop
        await().atMost(Duration.ofSeconds(10)).until(() -> distributions(lead).stream().filter(r -> "sent".equals(r.get("status"))).count() == 1);
        long follower = distributions(lead).stream().filter(r -> "follower".equals(r.get("role"))).map(r -> (Long) r.get("id")).findFirst().orElseThrow();

        app.close(); // stops the embedded broker with the follower's scheduled message in its journal
        awaitPast("scheduled_for", follower, Duration.ofMillis(500)); // the follower falls due while everything is down
        app = startApp();

        awaitMails(2);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> mailbox.messages().size() == 2);
        assertThat(mailbox.messagesTo(data.email(a))).hasSize(1);
        assertThat(mailbox.messagesTo(data.email(b))).hasSize(1);
        awaitAllSent(lead, 2);
    }

    @Test
    void endToEndADialfireContactBecomesAMailWithItsPdf() throws Exception {
        long agent = data.customer("E2E Agent", "paid");
        data.subscription(agent, "60311");
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "60311", "ort", "Frankfurt am Main"));
        dialfire.putResource("leads/e2e.pdf", pdf, "application/pdf");
        String contact = dialfire.addContact("anrufen", Map.of("plz", "60311", "ort", "Frankfurt am Main", "vorname", "Eva", "pdf_url", "leads/e2e.pdf"));
        dialfire.succeed(contact, "anrufen");

        app.runImportExpectingSuccess();

        awaitMails(1);
        MimeMessage mail = mailbox.messagesTo(data.email(agent)).get(0);
        assertThat(Mailbox.attachment(mail).bytes()).isEqualTo(pdf);
        assertThat(mail.getSubject()).contains("60311");
    }
}
