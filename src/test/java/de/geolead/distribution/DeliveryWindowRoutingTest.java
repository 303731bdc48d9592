package de.geolead.distribution;

import de.geolead.config.Infrastructure;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.Queue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Business hours: with the window closed right now, mails wait for its next opening instead of going out. */
class DeliveryWindowRoutingTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static DeliveryWindow window;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        // a one-hour window that opens two hours from now (Berlin time): closed while this test runs
        ZonedDateTime now = ZonedDateTime.now(BERLIN);
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        String spec = now.plusHours(2).format(hhmm) + "-" + now.plusHours(3).format(hhmm);
        window = DeliveryWindow.parse(spec, BERLIN);
        mailbox = new Mailbox();
        app = RunningApp.start(dataDir, Map.of(
                "smtp.host", "127.0.0.1",
                "smtp.port", Integer.toString(mailbox.port()),
                "smtp.from", "leads@geolead.test",
                "geolead.delivery.window", spec,
                "geolead.sweep.cron", RunningApp.NEVER));
    }

    @AfterAll
    static void stop() {
        app.close();
        mailbox.close();
    }

    @BeforeEach
    void cleanSlate() throws Exception {
        db.reset();
        mailbox.clear();
        deliveries().deleteAllReferences(); // scheduled messages of the previous test
    }

    static Queue deliveries() {
        return app.bean("infrastructure", Infrastructure.class).embeddedBroker().server().getActiveMQServer()
                .locateQueue(SimpleString.of("geolead.deliveries"));
    }

    @Test
    void aLeadPlannedOutsideTheWindowIsScheduledForItsNextOpening() {
        long agent = data.customer("Window Agent", "paid");
        data.subscription(agent, "80331");
        long lead = data.lead("80331", "München");
        Instant before = Instant.now();

        app.context().createProducerTemplate().sendBody("jms:queue:geolead.leads.new", Long.toString(lead));

        await().atMost(Duration.ofSeconds(10)).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ?", lead) == 1);
        Instant scheduled = ((Timestamp) db.row("SELECT scheduled_for FROM lead_distributions WHERE lead_id = ?", lead).get("scheduled_for")).toInstant();
        assertThat(scheduled).isEqualTo(window.nextOpening(before));
        assertThat(window.isOpen(scheduled)).isTrue();
        assertThat(scheduled).isAfter(before.plus(Duration.ofMinutes(100)));
        await().atMost(Duration.ofSeconds(5)).until(() -> deliveries().getScheduledCount() == 1);
        assertThat(mailbox.messages()).isEmpty();
    }

    @Test
    void aMailDueWhileTheWindowIsClosedIsRescheduledAtSendTime() {
        long agent = data.customer("Late Agent", "paid");
        data.subscription(agent, "10115");
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", lead);
        long distribution = (Long) db.row("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status) "
                + "VALUES (?, ?, now(), 'only', 'pending') RETURNING id", lead, agent).get("id");

        app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries", Long.toString(distribution));

        await().atMost(Duration.ofSeconds(10)).until(() -> ((Timestamp) db.row("SELECT scheduled_for FROM lead_distributions WHERE id = ?", distribution)
                .get("scheduled_for")).toInstant().isAfter(Instant.now().plus(Duration.ofMinutes(100))));
        Instant rescheduled = ((Timestamp) db.row("SELECT scheduled_for FROM lead_distributions WHERE id = ?", distribution).get("scheduled_for")).toInstant();
        assertThat(window.isOpen(rescheduled)).isTrue();
        assertThat(db.row("SELECT status FROM lead_distributions WHERE id = ?", distribution).get("status")).isEqualTo("pending");
        await().atMost(Duration.ofSeconds(5)).until(() -> deliveries().getScheduledCount() == 1);
        assertThat(mailbox.messages()).isEmpty();
    }
}
