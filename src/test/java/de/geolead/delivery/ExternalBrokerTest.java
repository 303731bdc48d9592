package de.geolead.delivery;

import de.geolead.config.EmbeddedBroker;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Geolead against an external broker named by GEOLEAD_BROKER_URL in Artemis' failover syntax: an Artemis broker
 * in this JVM with a TCP acceptor on loopback and a persistent journal, configured as the shipped broker files
 * (EmbeddedBroker's address settings and queues). The broker is stopped and started again under the running app.
 */
class ExternalBrokerTest {

    static final Duration HEAD_START = Duration.ofSeconds(6);

    @TempDir
    Path dataDir;
    @TempDir
    Path brokerDir;
    int brokerPort;
    EmbeddedActiveMQ broker;
    Mailbox mailbox;
    RunningApp app;
    final TestDatabase db = TestDatabase.get();
    final TestData data = new TestData(db);

    @BeforeEach
    void setUp() throws Exception {
        db.reset();
        mailbox = new Mailbox();
        brokerPort = RunningApp.freePort();
        broker = startBroker();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (app != null) {
            app.close();
        }
        if (broker != null) {
            broker.stop();
        }
        mailbox.close();
    }

    EmbeddedActiveMQ startBroker() throws Exception {
        Configuration config = EmbeddedBroker.configuration(brokerDir, EmbeddedBroker.DEFAULT_REDELIVERY)
                .setName("external-" + brokerPort)
                .addAcceptorConfiguration("artemis", "tcp://127.0.0.1:" + brokerPort + "?protocols=CORE");
        EmbeddedActiveMQ server = new EmbeddedActiveMQ();
        server.setConfiguration(config);
        server.start();
        return server;
    }

    /** The README's recommended URL, here with one broker (the pair's second address would be the backup). */
    String failoverUrl() {
        return "(tcp://127.0.0.1:" + brokerPort + ")?ha=true&reconnectAttempts=-1&retryInterval=500"
                + "&retryIntervalMultiplier=1.5&maxRetryInterval=10000";
    }

    long messages(String queue) {
        Queue found = broker.getActiveMQServer().locateQueue(queue);
        return found == null ? 0 : found.getMessageCount();
    }

    @Test
    void aHeadStartMailScheduledInTheBrokerIsSentOnceAfterTheBrokerRestartedUnderTheRunningApp() throws Exception {
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("geolead.broker.url", failoverUrl());
        props.put("geolead.head.start", HEAD_START.toString());
        app = RunningApp.start(dataDir, props);
        long first = data.customer("First Agent", "paid");
        data.subscription(first, "10115");
        long second = data.customer("Second Agent", "paid");
        data.subscription(second, "10115");
        long lead = data.lead("10115", "Berlin");

        app.publishLead(lead);
        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() == 1);
        // the head-start mail waits in the broker's journal, scheduled
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.getActiveMQServer().locateQueue("geolead.deliveries").getScheduledCount() == 1);
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'pending'", lead)).isEqualTo(1);

        broker.stop();
        broker = startBroker();
        assertThat(messages("geolead.deliveries")).as("the scheduled mail survived the restart in the journal").isEqualTo(1);

        await().atMost(Duration.ofSeconds(60)).until(() -> mailbox.messages().size() >= 2);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'sent'", lead) == 2);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> mailbox.messages().size() == 2);
        assertThat(mailbox.messages()).extracting(ExternalBrokerTest::recipient)
                .containsExactlyInAnyOrder(data.email(first), data.email(second));
        assertThat(messages("geolead.deliveries")).isZero();

        // and the app still sends through the restarted broker: the next lead's first mail
        long next = data.lead("10115", "Berlin");
        app.publishLead(next);
        await().atMost(Duration.ofSeconds(30)).until(() -> mailbox.messages().size() == 3);
    }

    @Test
    void aConsumerStalledOnOneMessageHoldsNoOtherMessageBack() throws Exception {
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("geolead.broker.url", failoverUrl());
        // the test consumes geolead.deliveries itself
        props.put("camel.main.auto-startup-exclude-pattern", "lead-delivery");
        app = RunningApp.start(dataDir, props);
        ConnectionFactory factory = app.bean("jmsConnectionFactory", ConnectionFactory.class);

        int sent = 10;
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session sending = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = sending.createProducer(sending.createQueue("geolead.deliveries"));
            for (int i = 0; i < sent; i++) {
                producer.send(sending.createTextMessage(Integer.toString(i)));
            }
            // a slow SMTP consumer: took one message and is stuck on it (its transaction stays open)
            Session slow = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer stalled = slow.createConsumer(slow.createQueue("geolead.deliveries"));
            assertThat(stalled.receive(10_000)).isNotNull();

            Session other = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer taker = other.createConsumer(other.createQueue("geolead.deliveries"));
            List<Message> taken = new ArrayList<>();
            Message message;
            while (taken.size() < sent - 1 && (message = taker.receive(3_000)) != null) {
                taken.add(message);
            }
            other.commit();
            assertThat(taken).as("every message but the stalled consumer's one goes to the other consumer").hasSize(sent - 1);
            slow.rollback();
            stalled.close();
            taker.close();
        }
    }

    @Test
    void deadLettersOfTheExternalBrokerAreCountedInTheMetric() throws Exception {
        app = RunningApp.start(dataDir, Map.of("geolead.broker.url", failoverUrl()));
        MeterRegistry meters = app.context().getRegistry().findSingleByType(MeterRegistry.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters(meters, EmbeddedBroker.DEAD_LETTER_QUEUE) == 0.0);

        ConnectionFactory factory = app.bean("jmsConnectionFactory", ConnectionFactory.class);
        try (Connection connection = factory.createConnection();
             Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            MessageProducer producer = session.createProducer(session.createQueue(EmbeddedBroker.DEAD_LETTER_QUEUE));
            producer.send(session.createTextMessage("1"));
            producer.send(session.createTextMessage("2"));
        }
        // the broker counts a message when it has routed it, which may come after the send returned (seen in CI): wait
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(messages(EmbeddedBroker.DEAD_LETTER_QUEUE)).isEqualTo(2);
            assertThat(deadLetters(meters, EmbeddedBroker.DEAD_LETTER_QUEUE)).isEqualTo(2.0);
        });
        assertThat(deadLetters(meters, EmbeddedBroker.EXPIRY_QUEUE)).isEqualTo(0.0);
    }

    static double deadLetters(MeterRegistry meters, String queue) {
        Gauge gauge = meters.find("geolead.dead.letter.messages").tag("queue", queue).gauge();
        assertThat(gauge).as("gauge for " + queue).isNotNull();
        return gauge.value();
    }

    static String recipient(MimeMessage message) {
        try {
            return message.getAllRecipients()[0].toString();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }
}
