package de.geolead.distribution;

import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.apache.activemq.artemis.core.server.Queue;
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
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 9 item 8: a lead is never lost when its recipients are skipped at send time. Real routes, PostgreSQL,
 * embedded Artemis (scheduled delivery) and SMTP (GreenMail). The head start is 60 s, so a follower mail
 * that arrives within 10 s was released by the skipped head start; the last test restarts the app with a
 * 5 s head start to let the followers' original delayed messages fire.
 *
 * <p>An agent is made ineligible "before its mail is due" by holding the delivery route while the lead is
 * planned, then changing the agent, then letting the route consume the messages.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplanTest {

    static final Duration LONG_HEAD_START = Duration.ofSeconds(60);
    static final Duration SHORT_HEAD_START = Duration.ofSeconds(5);

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        app = startApp(LONG_HEAD_START);
    }

    static RunningApp startApp(Duration headStart) {
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("geolead.head.start", headStart.toString());
        props.put("geolead.sweep.grace", "PT1S");
        return RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        mailbox.close();
    }

    /** The previous test's messages would hit new rows with the same ids (RESTART IDENTITY): none may be left. */
    @BeforeEach
    void cleanSlate() throws Exception {
        app.emptyWorkQueues(Duration.ofSeconds(20));
        db.reset();
        mailbox.clear();
    }

    static Queue queue(String name) {
        return app.queue(name);
    }

    static void publish(long leadId) {
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.leads.new", Long.toString(leadId));
    }

    /** Plans the lead with the delivery route held, so nothing is sent before {@code change} ran. */
    static List<Map<String, Object>> planHeld(long leadId, int rows, Runnable change) throws Exception {
        app.context().getRouteController().stopRoute("lead-delivery");
        try {
            publish(leadId);
            await().atMost(Duration.ofSeconds(10)).until(() -> distributions(leadId).size() == rows);
            change.run();
            return distributions(leadId);
        } finally {
            app.context().getRouteController().startRoute("lead-delivery");
        }
    }

    static List<Map<String, Object>> distributions(long leadId) {
        return db.rows("SELECT * FROM lead_distributions WHERE lead_id = ? ORDER BY id", leadId);
    }

    static long customerWithRole(List<Map<String, Object>> rows, String role) {
        return rows.stream().filter(r -> role.equals(r.get("role"))).map(r -> (Long) r.get("customer_id")).findFirst().orElseThrow();
    }

    static String leadStatus(long leadId) {
        return (String) db.row("SELECT status FROM leads WHERE id = ?", leadId).get("status");
    }

    static String rowStatus(long leadId, long customerId) {
        return (String) db.row("SELECT status FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", leadId, customerId).get("status");
    }

    static int mailsTo(long customerId) {
        return mailbox.messagesTo(data.email(customerId)).size();
    }

    /** Paid agents subscribed to {@code plz}, in order of subscription. */
    static List<Long> agents(String plz, String... names) {
        return Arrays.stream(names).map(name -> {
            long agent = data.customer(name, "paid");
            data.subscription(agent, plz);
            return agent;
        }).toList();
    }

    static void sweep() {
        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);
    }

    @Test
    @Order(1)
    @Tag("faults")
    void theOnlyAgentStopsPayingBeforeItsMailAndTheLeadGoesToAnotherAgentNowEligibleOnce() throws Exception {
        long gone = data.customer("Gone Agent", "paid");
        data.subscription(gone, "80331");
        long lead = data.lead("80331", "München");
        long[] next = new long[1];

        planHeld(lead, 1, () -> {
            db.update("UPDATE customers SET status = 'past_due' WHERE id = ?", gone);
            next[0] = data.customer("Next Agent", "paid");
            data.subscription(next[0], "803");
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(next[0]) >= 1);
        assertThat(mailsTo(next[0])).isEqualTo(1);
        assertThat(mailsTo(gone)).isZero();
        assertThat(Mailbox.text(mailbox.messagesTo(data.email(next[0])).get(0))).contains("nur an Sie");
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(rowStatus(lead, next[0])));
        assertThat(rowStatus(lead, gone)).isEqualTo("skipped");
        assertThat(db.row("SELECT role FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", lead, next[0]).get("role")).isEqualTo("only");
        assertThat(leadStatus(lead)).isEqualTo("distributed");
        // the planning message was consumed once: nothing else is queued for this lead
        await().atMost(Duration.ofSeconds(5)).until(() -> queue("geolead.deliveries").getMessageCount() == 0
                && queue("geolead.leads.new").getMessageCount() == 0);
        assertThat(mailbox.messages()).hasSize(1);
    }

    @Test
    @Order(2)
    @Tag("faults")
    void theOnlyAgentPausesAndNobodyElseCoversThePlzSoTheLeadIsUnassignedAndLaterExpires() throws Exception {
        long holiday = data.customer("Holiday Agent", "paid");
        data.subscription(holiday, "20095");
        long lead = data.lead("20095", "Hamburg");

        planHeld(lead, 1, () -> db.update("UPDATE customers SET paused_until = now() + interval '14 days' WHERE id = ?", holiday));

        await().atMost(Duration.ofSeconds(10)).until(() -> "unassigned".equals(leadStatus(lead)));
        Map<String, Object> row = db.row("SELECT status_reason, unassigned_since FROM leads WHERE id = ?", lead);
        assertThat((String) row.get("status_reason")).contains("skipped");
        assertThat(row.get("unassigned_since")).isNotNull();
        assertThat(rowStatus(lead, holiday)).isEqualTo("skipped");

        // the sweep retries it (still nobody), then expires it after GEOLEAD_UNASSIGNED_RETRY
        db.update("UPDATE leads SET updated_at = now() - interval '1 hour' WHERE id = ?", lead);
        sweep();
        // its planning message consumed (committed after the database): still nobody
        await().atMost(Duration.ofSeconds(10)).until(() -> queue("geolead.leads.new").getMessageCount() == 0
                && queue("geolead.leads.new").getDeliveringCount() == 0);
        assertThat(leadStatus(lead)).isEqualTo("unassigned");
        assertThat(distributions(lead)).hasSize(1);
        db.update("UPDATE leads SET unassigned_since = now() - interval '8 days' WHERE id = ?", lead);
        sweep();
        assertThat(leadStatus(lead)).isEqualTo("expired");
        assertThat(mailbox.messages()).isEmpty();
    }

    @Test
    @Order(10)
    @Tag("faults")
    void aLeadUnassignedLongAgoThatComesBackToUnassignedGetsTheFullRetryPeriodAgain() throws Exception {
        long agent = data.customer("Returning Agent", "paid");
        data.subscription(agent, "28195");
        long lead = data.lead("28195", "Bremen");
        // nobody covered it for eight days; now an agent does
        db.update("UPDATE leads SET status = 'unassigned', unassigned_since = now() - interval '8 days' WHERE id = ?", lead);

        planHeld(lead, 1, () -> db.update("UPDATE customers SET paused_until = now() + interval '14 days' WHERE id = ?", agent));

        await().atMost(Duration.ofSeconds(10)).until(() -> "unassigned".equals(leadStatus(lead)));
        sweep();
        assertThat(leadStatus(lead)).as("its retry period starts again, not from the first time it was unassigned").isEqualTo("unassigned");
        assertThat(db.count("SELECT count(*) FROM leads WHERE id = ? AND unassigned_since > now() - interval '1 hour'", lead)).isEqualTo(1);
    }

    @Test
    @Order(3)
    @Tag("faults")
    void aSkippedHeadStartReleasesTheFollowersAtOnce() throws Exception {
        agents("10115", "Release A", "Release B", "Release C");
        long lead = data.lead("10115", "Berlin");
        long[] headStart = new long[1];
        Instant planned = Instant.now();

        List<Map<String, Object>> rows = planHeld(lead, 3, () -> {
            headStart[0] = customerWithRole(distributions(lead), "head_start");
            db.update("UPDATE customers SET paused_until = now() + interval '7 days' WHERE id = ?", headStart[0]);
        });
        List<Long> followers = rows.stream().filter(r -> "follower".equals(r.get("role"))).map(r -> (Long) r.get("customer_id")).toList();
        assertThat(followers).hasSize(2);

        // the head start is 60 s: mails within 10 s were released by the skip
        await().atMost(Duration.ofSeconds(10)).until(() -> followers.stream().allMatch(f -> mailsTo(f) >= 1));
        assertThat(Instant.now()).isBefore(planned.plus(LONG_HEAD_START));
        for (long follower : followers) {
            assertThat(mailsTo(follower)).isEqualTo(1);
            String text = Mailbox.text(mailbox.messagesTo(data.email(follower)).get(0));
            assertThat(text).as("shared with the other follower, no exclusivity promised").contains("auch an Sie")
                    .doesNotContain("Vorsprung").doesNotContain("nur an Sie");
        }
        assertThat(mailsTo(headStart[0])).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> followers.stream().allMatch(f -> "sent".equals(rowStatus(lead, f))));
        assertThat(rowStatus(lead, headStart[0])).isEqualTo("skipped");
        assertThat(db.rows("SELECT role FROM lead_distributions WHERE lead_id = ? AND status = 'sent'", lead))
                .extracting(r -> r.get("role")).containsOnly("follower");
    }

    @Test
    @Order(4)
    @Tag("faults")
    void aSkippedHeadStartWasNotThatAgentsTurnInTheRotation() throws Exception {
        List<Long> xy = agents("50667", "Turn X", "Turn Y");
        long first = data.lead("50667", "Köln");
        long[] skipped = new long[1];

        planHeld(first, 2, () -> {
            skipped[0] = customerWithRole(distributions(first), "head_start");
            db.update("UPDATE customers SET status = 'past_due' WHERE id = ?", skipped[0]);
        });
        long other = xy.stream().filter(agent -> agent != skipped[0]).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(other) >= 1);
        assertThat(rowStatus(first, skipped[0])).isEqualTo("skipped");
        // the single follower left had the lead alone: its mail said so
        assertThat(Mailbox.text(mailbox.messagesTo(data.email(other)).get(0))).contains("nur an Sie");
        db.update("UPDATE customers SET status = 'paid' WHERE id = ?", skipped[0]); // pays again

        long second = data.lead("50667", "Köln");
        publish(second);

        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(skipped[0]) >= 1);
        assertThat(mailsTo(skipped[0])).as("still its turn: the head start mail").isEqualTo(1);
        assertThat(customerWithRole(distributions(second), "head_start")).isEqualTo(skipped[0]);
    }

    @Test
    @Order(5)
    @Tag("faults")
    void theSweepPlansAgainADistributedLeadWhoseMailsWereAllSkippedOrFailed() {
        long lost = data.customer("Lost Agent", "past_due");
        long taker = data.customer("Taker Agent", "paid");
        data.subscription(taker, "70173");
        long skippedLead = data.lead("70173", "Stuttgart");
        long failedLead = data.lead("70173", "Stuttgart");
        long servedLead = data.lead("70173", "Stuttgart");
        long helper = data.customer("Served Agent", "paid");
        for (long lead : List.of(skippedLead, failedLead, servedLead)) {
            db.update("UPDATE leads SET status = 'distributed', updated_at = now() - interval '1 hour' WHERE id = ?", lead);
        }
        db.update("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, status_reason) "
                + "VALUES (?, ?, now() - interval '1 hour', 'head_start', 'skipped', 'customer is past_due at send time')", skippedLead, lost);
        db.update("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, status_reason) "
                + "VALUES (?, ?, now() - interval '1 hour', 'only', 'failed', '550 mailbox unavailable')", failedLead, lost);
        db.update("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status) "
                + "VALUES (?, ?, now() - interval '1 hour', 'head_start', 'skipped')", servedLead, lost);
        db.update("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status) "
                + "VALUES (?, ?, now() - interval '1 hour', 'only', 'sent')", servedLead, helper);

        sweep();

        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(taker) >= 2);
        assertThat(mailsTo(taker)).isEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(rowStatus(skippedLead, taker)) && "sent".equals(rowStatus(failedLead, taker)));
        assertThat(distributions(servedLead)).as("one agent has it: nothing to do").hasSize(2);
        assertThat(mailbox.messages()).hasSize(2);
    }

    @Test
    @Order(6)
    @Tag("faults")
    void aLeadPlannedAgainPromisesOnlyTheExclusivityItsNewPlanKeeps() throws Exception {
        List<Long> firstRound = agents("04109", "Round1 A", "Round1 B", "Round1 C");
        long lead = data.lead("04109", "Leipzig");
        long[] second = new long[2];

        planHeld(lead, 3, () -> {
            firstRound.forEach(agent -> db.update("UPDATE customers SET status = 'canceled' WHERE id = ?", agent));
            List<Long> secondRound = agents("04109", "Round2 D", "Round2 E");
            second[0] = secondRound.get(0);
            second[1] = secondRound.get(1);
        });

        // head start skipped → followers released → skipped too → planned again: one of D, E at once
        await().atMost(Duration.ofSeconds(10)).until(() -> mailbox.messages().size() >= 1);
        long newHeadStart = (Long) db.row("SELECT customer_id FROM lead_distributions WHERE lead_id = ? AND role = 'head_start' "
                + "AND customer_id IN (?, ?)", lead, second[0], second[1]).get("customer_id");
        String text = Mailbox.text(mailbox.messagesTo(data.email(newHeadStart)).get(0));
        assertThat(text).as("one agent follows, not the three skipped ones").contains("Vorsprung").contains("einen weiteren Makler");
        Instant followerDue = ((Timestamp) db.row("SELECT scheduled_for FROM lead_distributions WHERE lead_id = ? AND role = 'follower' AND status = 'pending'",
                lead).get("scheduled_for")).toInstant();
        assertThat(followerDue).isAfter(Instant.now().plus(Duration.ofSeconds(30)));
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'skipped'", lead)).isEqualTo(3);

        // a late duplicate of the first plan's skipped head start must not release the new plan's follower
        long oldHeadStart = (Long) db.row("SELECT id FROM lead_distributions WHERE lead_id = ? AND role = 'head_start' AND status = 'skipped'",
                lead).get("id");
        long acknowledged = queue("geolead.deliveries").getMessagesAcknowledged();
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries", Long.toString(oldHeadStart));
        await().atMost(Duration.ofSeconds(10)).until(() -> queue("geolead.deliveries").getMessagesAcknowledged() > acknowledged);
        assertThat(((Timestamp) db.row("SELECT scheduled_for FROM lead_distributions WHERE lead_id = ? AND role = 'follower' AND status = 'pending'",
                lead).get("scheduled_for")).toInstant()).isEqualTo(followerDue);
        assertThat(mailbox.messages()).hasSize(1);
    }

    /**
     * The delivery route's permanent-failure path calls {@code direct:mail-given-up} too: a head start that
     * failed for good (here marked so directly) releases its follower, and the lead is not planned again.
     */
    @Test
    @Order(7)
    @Tag("faults")
    void aHeadStartThatFailedForGoodReleasesTheFollowerThroughMailGivenUp() throws Exception {
        List<Long> ab = agents("01067", "Bounce A", "Bounce B");
        long lead = data.lead("01067", "Dresden");
        long[] failed = new long[1];

        planHeld(lead, 2, () -> {
            Map<String, Object> headStart = distributions(lead).stream().filter(r -> "head_start".equals(r.get("role"))).findFirst().orElseThrow();
            failed[0] = (Long) headStart.get("customer_id");
            db.update("UPDATE lead_distributions SET status = 'failed', status_reason = '550 no such user' WHERE id = ?", headStart.get("id"));
            app.context().createProducerTemplate().sendBodyAndHeader("direct:mail-given-up", null, "distributionId", headStart.get("id"));
        });
        long follower = ab.stream().filter(agent -> agent != failed[0]).findFirst().orElseThrow();

        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(follower) >= 1);
        assertThat(mailsTo(follower)).isEqualTo(1);
        assertThat(mailsTo(failed[0])).isZero();
        assertThat(distributions(lead)).as("the follower has it: not planned again").hasSize(2);
    }

    /**
     * The skip was committed but the JMS transaction that carried the re-plan message rolled back (seen when a
     * consumer's session fails over): the redelivered message finds the row already skipped and follows up.
     */
    @Test
    @Order(8)
    @Tag("faults")
    void aSkipWhoseFollowUpMessageWasRolledBackIsFollowedUpByTheRedelivery() {
        long gone = data.customer("Rolled Back Agent", "past_due");
        long taker = agents("60311", "Redelivery Taker").get(0);
        long lead = data.lead("60311", "Frankfurt am Main");
        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", lead);
        long skipped = (Long) db.row("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, status_reason) "
                + "VALUES (?, ?, now(), 'only', 'skipped', 'customer is past_due at send time') RETURNING id", lead, gone).get("id");

        app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries", Long.toString(skipped));

        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(taker) >= 1);
        assertThat(mailsTo(taker)).isEqualTo(1);
        assertThat(mailbox.messages()).hasSize(1);
    }

    /** Runs last: restarts the app with a short head start so the followers' original messages fire. */
    @Test
    @Order(9)
    @Tag("faults")
    void releasedFollowersGetOneMailEachAlsoAfterTheirOriginalDelayedMessagesFired() throws Exception {
        app.close();
        app = startApp(SHORT_HEAD_START);
        agents("28195", "Short A", "Short B", "Short C");
        long lead = data.lead("28195", "Bremen");
        long[] headStart = new long[1];

        List<Map<String, Object>> rows = planHeld(lead, 3, () -> {
            headStart[0] = customerWithRole(distributions(lead), "head_start");
            db.update("UPDATE customers SET status = 'past_due' WHERE id = ?", headStart[0]);
        });
        Instant originalDue = ((Timestamp) rows.stream().filter(r -> "follower".equals(r.get("role"))).findFirst().orElseThrow()
                .get("scheduled_for")).toInstant();
        List<Long> followers = rows.stream().filter(r -> "follower".equals(r.get("role"))).map(r -> (Long) r.get("customer_id")).toList();

        await().atMost(Duration.ofSeconds(10)).until(() -> followers.stream().allMatch(f -> mailsTo(f) >= 1));
        // released: rescheduled to before the original time (else the original message sent them)
        assertThat(db.rows("SELECT scheduled_for FROM lead_distributions WHERE lead_id = ? AND role = 'follower'", lead))
                .extracting(r -> ((Timestamp) r.get("scheduled_for")).toInstant()).allMatch(t -> t.isBefore(originalDue));
        // the original delayed messages fire and are consumed: the queue is empty, nothing scheduled
        await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().isAfter(originalDue)
                && queue("geolead.deliveries").getScheduledCount() == 0
                && queue("geolead.deliveries").getMessageCount() == 0
                && queue("geolead.deliveries").getDeliveringCount() == 0);
        for (long follower : followers) {
            assertThat(mailsTo(follower)).as("one mail each").isEqualTo(1);
        }
        assertThat(mailsTo(headStart[0])).isZero();
        assertThat(mailbox.messages()).hasSize(2);
    }

}
