package de.geolead.delivery;

import de.geolead.sandbox.SandboxSmtpServer;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TcpProxy;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kept SMTP connections (SmtpConnections, GEOLEAD_SMTP_IDLE_TIMEOUT) with the real app and real SMTP servers behind a
 * counting proxy: one delivery consumer sends its mails over one connection; a connection the server cut between two
 * mails (silently or with 421) is replaced before the next mail, which goes out once in its first attempt; a 5xx or 4xx
 * on a kept connection is handled as before (failed, retried later) and the next mail goes out on a new connection;
 * an idle connection is closed after the idle timeout (a short one, on a sender of its own, so no test waits for the app's), and the rest when the app stops (the last test). One app (one
 * embedded broker per JVM at a time); the proxy is pointed at the project's SMTP server for the rejections.
 */
@Tag("faults")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SmtpConnectionsTest {

    /**
     * Far longer than a test's mails take back to back, so a slow machine never closes a connection a test counts on; the
     * idle timeout itself is shown with a short one on its own (anIdleConnectionIsClosedAfterTheIdleTimeout), no waiting.
     */
    static final Duration IDLE = Duration.ofMinutes(1);

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static TcpProxy proxy;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        proxy = new TcpProxy(mailbox.port());
        app = RunningApp.start(dataDir, oneConsumerMailingTo(proxy.port()));
    }

    static Map<String, String> oneConsumerMailingTo(int port) {
        Map<String, String> props = RunningApp.mailingTo(port);
        props.put("geolead.delivery.consumers", "1");
        props.put("geolead.smtp.idle.timeout", IDLE.toString());
        props.put("geolead.mail.backoff", "PT1M");
        props.put("geolead.mail.max.backoff", "PT1M");
        return props;
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        proxy.close();
        mailbox.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        mailbox.clear();
    }

    @Test
    @Order(1)
    void oneConsumerSendsItsMailsOverOneConnection() {
        int connectionsBefore = proxy.accepted();
        List<Long> leads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            leads.add(leadFor(agent("Kept Agent " + i, "3900" + i), "3900" + i));
        }

        leads.forEach(app::publishLead);

        await().atMost(Duration.ofSeconds(20)).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") == 5);
        assertThat(mailbox.messages()).hasSize(5);
        assertThat(proxy.accepted() - connectionsBefore).as("SMTP connections for 5 mails").isLessThanOrEqualTo(1);
        assertThat(proxy.open()).as("kept open for the next mail").isEqualTo(1);
        // the route's send timer (micrometer:timer ... action=start/stop) still times every mail
        io.micrometer.core.instrument.MeterRegistry meters = app.context().getRegistry().findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
        assertThat(meters.get("geolead.mail.send").timer().count()).isGreaterThanOrEqualTo(5);
    }

    @Test
    @Order(2)
    void aConnectionTheServerCutBetweenMailsIsReplacedAndTheNextMailGoesOutOnceInItsFirstAttempt() throws Exception {
        long agent = agent("Cut Agent", "39104");
        sendAndAwait(leadFor(agent, "39104"), "sent");
        assertThat(proxy.open()).isEqualTo(1);

        // the server closes the idle connection without a word ...
        proxy.cutAll(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.open() == 0);
        long second = leadFor(agent, "39104");
        sendAndAwait(second, "sent");
        // ... or with 421 (RFC 5321 4.2: closing the transmission channel)
        proxy.cutAll("421 4.4.2 mail.test Error: timeout exceeded");
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.open() == 0);
        long third = leadFor(agent, "39104");
        sendAndAwait(third, "sent");

        for (long lead : List.of(second, third)) {
            Map<String, Object> row = db.row("SELECT attempts, message_id FROM lead_distributions WHERE lead_id = ?", lead);
            assertThat(row.get("attempts")).as("sent in its first attempt, no retry").isEqualTo(1);
            assertThat(messageIds()).filteredOn(row.get("message_id")::equals).as("arrived once").hasSize(1);
        }
        assertThat(mailbox.messages()).hasSize(3);
    }

    @Test
    @Order(3)
    void aRejectionOnAKeptConnectionIsHandledAsBeforeAndTheNextMailGoesOutOnANewConnection() {
        // the project's own SMTP server answers RCPT TO as told
        try (SandboxSmtpServer smtp = SandboxSmtpServer.start(0, dataDir.resolve("outbox"))) {
            proxy.target(smtp.port());
            proxy.cutAll(null);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.open() == 0);
            int connectionsBefore = proxy.accepted();
            try {
                long fine = agent("Fine Agent", "06108");
                long gone = agent("Gone Agent", "06110");
                long busy = agent("Busy Agent", "06112");
                smtp.answerRecipient(data.email(gone), "550 5.1.1 User unknown");
                smtp.answerRecipient(data.email(busy), "450 4.2.1 Mailbox busy, try again later");

                sendAndAwait(leadFor(fine, "06108"), "sent");
                long rejected = leadFor(gone, "06110");
                sendAndAwait(rejected, "failed");
                long next = leadFor(fine, "06108");
                sendAndAwait(next, "sent");
                long deferred = leadFor(busy, "06112");
                app.publishLead(deferred);
                await().atMost(Duration.ofSeconds(20)).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? "
                        + "AND status = 'pending' AND next_attempt_at IS NOT NULL", deferred) == 1);
                long last = leadFor(fine, "06108");
                sendAndAwait(last, "sent");

                Map<String, Object> failed = db.row("SELECT attempts, status_reason FROM lead_distributions WHERE lead_id = ?", rejected);
                assertThat(failed.get("attempts")).isEqualTo(1);
                assertThat((String) failed.get("status_reason")).contains("550", "permanently");
                Map<String, Object> retry = db.row("SELECT attempts, status_reason FROM lead_distributions WHERE lead_id = ?", deferred);
                assertThat(retry.get("attempts")).isEqualTo(1);
                assertThat((String) retry.get("status_reason")).contains("retrying", "450");
                for (long lead : List.of(next, last)) {
                    assertThat(db.row("SELECT attempts FROM lead_distributions WHERE lead_id = ?", lead).get("attempts")).isEqualTo(1);
                }
                assertThat(smtp.count()).isEqualTo(3);
                // one connection for the first two mails, a new one after each rejection: not one per mail
                assertThat(proxy.accepted() - connectionsBefore).as("SMTP connections for 5 mails").isEqualTo(3);
            } finally {
                proxy.target(mailbox.port());
                proxy.cutAll(null);
            }
        }
    }

    @Test
    @Order(4)
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        // the app's connections are kept for GEOLEAD_SMTP_IDLE_TIMEOUT as configured ...
        SmtpConnections appConnections = app.context().getRegistry().lookupByNameAndType("smtpConnections", SmtpConnections.class);
        assertThat(appConnections.idleTimeout()).isEqualTo(IDLE);
        // ... and the sweep closes one unused for that long: shown with a short timeout, on the same kind of sender the
        // smtp component uses (camel-mail's own, wrapped), through the same proxy to the same server
        SmtpConnections connections = new SmtpConnections(Duration.ofMillis(300));
        connections.start();
        try {
            org.apache.camel.component.mail.DefaultJavaMailSender configured = new org.apache.camel.component.mail.DefaultJavaMailSender();
            configured.setProtocol("smtp");
            configured.setHost("127.0.0.1");
            configured.setPort(proxy.port());
            org.apache.camel.component.mail.JavaMailSender sender = connections.keeping(configured);
            int connectionsBefore = proxy.accepted();

            sender.send(mail(sender.getSession(), "first"));
            assertThat(connections.idle()).isEqualTo(1);
            assertThat(proxy.open()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.open() == 0);
            assertThat(connections.idle()).isZero();

            sender.send(mail(sender.getSession(), "second"));
            assertThat(proxy.accepted() - connectionsBefore).as("a new connection after the idle one was closed").isEqualTo(2);
            assertThat(connections.reused()).isZero();
            assertThat(mailbox.messages()).hasSize(2);
        } finally {
            connections.stop();
        }
    }

    private static MimeMessage mail(jakarta.mail.Session session, String subject) throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom("leads@geolead.test");
        message.setRecipients(jakarta.mail.Message.RecipientType.TO, "agent@makler.test");
        message.setSubject(subject);
        message.setText("idle timeout");
        return message;
    }

    @Test
    @Order(5)
    void theKeptConnectionsAreClosedWhenTheAppStops() {
        sendAndAwait(leadFor(agent("Last Agent", "07745"), "07745"), "sent");
        assertThat(proxy.open()).isEqualTo(1);

        app.close();
        app = null;

        await().atMost(Duration.ofSeconds(2)).until(() -> proxy.open() == 0);
    }

    private static long agent(String name, String plz) {
        long agent = data.customer(name, "paid");
        data.subscription(agent, plz);
        return agent;
    }

    /** A lead in {@code plz}: the agent covering it gets its mail. */
    private static long leadFor(long agent, String plz) {
        return data.lead(plz, "Halle");
    }

    private static void sendAndAwait(long lead, String status) {
        app.publishLead(lead);
        await().atMost(Duration.ofSeconds(20)).until(() -> status.equals(statusOf(lead)));
    }

    private static String statusOf(long lead) {
        List<Map<String, Object>> rows = db.rows("SELECT status FROM lead_distributions WHERE lead_id = ?", lead);
        return rows.isEmpty() ? null : (String) rows.get(0).get("status");
    }

    private static List<String> messageIds() throws MessagingException {
        List<String> ids = new ArrayList<>();
        for (MimeMessage message : mailbox.messages()) {
            ids.add(message.getMessageID());
        }
        return ids;
    }
}
