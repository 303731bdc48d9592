package de.geolead.customers;

import de.geolead.distribution.MonthlyCap;
import de.geolead.testing.ApiClient;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a pause and a monthly cap set through the operations API mean for distribution and delivery, end to end with
 * the real routes, PostgreSQL, embedded Artemis and SMTP (GreenMail). The head start is 60 s, so a follower's mail
 * within 10 s was released by a skipped head start. The delivery zone is UTC+14, so the caps' month is the zone's.
 */
class CustomerDistributionTest {

    static final ZoneId ZONE = ZoneId.of("Pacific/Kiritimati");
    static final Duration HEAD_START = Duration.ofSeconds(60);

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static ApiClient admin;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.putAll(ApiClient.settings(dataDir));
        props.put("geolead.head.start", HEAD_START.toString());
        props.put("geolead.delivery.zone", ZONE.getId());
        app = RunningApp.start(dataDir, props);
        admin = ApiClient.admin(app);
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

    /** Paid agents subscribed to {@code plz}, in order of subscription (the rotation's order for newcomers). */
    static List<Long> agents(String plz, String... names) {
        return Arrays.stream(names).map(name -> {
            long agent = data.customer(name, "paid");
            data.subscription(agent, plz);
            return agent;
        }).toList();
    }

    static void publish(long leadId) {
        app.publishLead(leadId);
    }

    static List<Map<String, Object>> distributions(long leadId) {
        return db.rows("SELECT * FROM lead_distributions WHERE lead_id = ? ORDER BY id", leadId);
    }

    static List<Map<String, Object>> awaitPlanned(long leadId, int rows) {
        await().atMost(Duration.ofSeconds(10)).until(() -> distributions(leadId).size() == rows
                && "distributed".equals(db.row("SELECT status FROM leads WHERE id = ?", leadId).get("status")));
        return distributions(leadId);
    }

    static long withRole(List<Map<String, Object>> rows, String role) {
        return rows.stream().filter(r -> role.equals(r.get("role"))).map(r -> (Long) r.get("customer_id")).findFirst().orElseThrow();
    }

    static int mailsTo(long customerId) {
        return mailbox.messagesTo(data.email(customerId)).size();
    }

    static String rowStatus(long leadId, long customerId) {
        return (String) db.row("SELECT status FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", leadId, customerId).get("status");
    }

    /** A planned mail of another lead, already sent, created at {@code createdAt}: it counts towards the agent's month. */
    static void earlierMail(long customerId, String plz, Instant createdAt) {
        long lead = data.lead(plz, "Früher");
        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", lead);
        db.update("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, created_at, sent_at) "
                + "VALUES (?, ?, ?, 'only', 'sent', ?, ?)", lead, customerId, Timestamp.from(createdAt), Timestamp.from(createdAt), Timestamp.from(createdAt));
    }

    static void cap(long customerId, String monthly) {
        ApiClient.Answer answer = admin.put("/api/customers/" + customerId + "/cap", "{\"monthly\": " + monthly + "}");
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    }

    static void pause(long customerId) {
        ApiClient.Answer answer = admin.put("/api/customers/" + customerId + "/pause",
                "{\"until\": \"" + LocalDate.now(ZONE).plusDays(14) + "\"}");
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    }

    static void unpause(long customerId) {
        ApiClient.Answer answer = admin.delete("/api/customers/" + customerId + "/pause");
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    }

    /** Plans the lead with the delivery route held, so nothing is sent before {@code change} ran. */
    static List<Map<String, Object>> planHeld(long leadId, int rows, Runnable change) throws Exception {
        app.context().getRouteController().stopRoute("lead-delivery");
        try {
            publish(leadId);
            awaitPlanned(leadId, rows);
            change.run();
            return distributions(leadId);
        } finally {
            app.context().getRouteController().startRoute("lead-delivery");
        }
    }

    @Test
    void anAgentAtTheCapIsLeftOutSoTheNextAgentGetsTheHeadStartAndNoCapIsUnlimited() {
        List<Long> abc = agents("10115", "Cap A", "Cap B", "Cap C");
        long a = abc.get(0);
        earlierMail(a, "10115", Instant.now());
        cap(a, "1");

        long lead = data.lead("10115", "Berlin");
        publish(lead);

        List<Map<String, Object>> rows = awaitPlanned(lead, 2);
        assertThat(withRole(rows, "head_start")).as("A is first in the rotation but at the cap").isEqualTo(abc.get(1));
        assertThat(withRole(rows, "follower")).isEqualTo(abc.get(2));
        assertThat(rows).extracting(r -> r.get("customer_id")).doesNotContain(a);
        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(abc.get(1)) == 1);
        assertThat(mailsTo(a)).isZero();
        assertThat(admin.get("/api/customers/" + a).json().getAsJsonObject().get("leadsThisMonth").getAsLong()).isEqualTo(1);

        cap(a, "null");
        long next = data.lead("10115", "Berlin");
        publish(next);

        List<Map<String, Object>> again = awaitPlanned(next, 3);
        assertThat(withRole(again, "head_start")).as("no cap: A gets leads again, its turn").isEqualTo(a);
    }

    @Test
    void theCapsMonthStartsAtMidnightInTheDeliveryZoneAndACapOfZeroMeansNoLeads() {
        Instant monthStart = MonthlyCap.startOfMonth(Instant.now(), ZONE);
        List<Long> agents = agents("80331", "Last Month", "This Month", "Zero Cap", "Uncapped");
        long lastMonth = agents.get(0);
        long thisMonth = agents.get(1);
        long zero = agents.get(2);
        earlierMail(lastMonth, "80331", monthStart.minusSeconds(1));
        earlierMail(thisMonth, "80331", monthStart);
        cap(lastMonth, "1");
        cap(thisMonth, "1");
        cap(zero, "0");

        long lead = data.lead("80331", "München");
        publish(lead);

        List<Map<String, Object>> rows = awaitPlanned(lead, 2);
        assertThat(rows).extracting(r -> r.get("customer_id")).as("last month's mail does not count, this month's first instant does")
                .containsExactlyInAnyOrder(lastMonth, agents.get(3));
        assertThat(withRole(rows, "head_start")).isEqualTo(lastMonth);
    }

    /** sql/eligible-agents.sql itself (as the route runs it) leaves agents at their cap out; the lock re-checks it. */
    @Test
    void theEligibleAgentsQueryLeavesOutAgentsAtTheirCap() {
        List<Long> agents = agents("04109", "Full", "Room Left", "No Cap");
        earlierMail(agents.get(0), "04109", Instant.now());
        earlierMail(agents.get(1), "04109", Instant.now());
        cap(agents.get(0), "1");
        cap(agents.get(1), "2");
        earlierMail(agents.get(2), "04109", Instant.now());

        List<?> rows = app.context().createProducerTemplate().requestBodyAndHeaders(
                "sql:classpath:sql/eligible-agents.sql?outputType=SelectList", null,
                Map.of("plzPrefixes", List.of("0", "04", "041", "0410", "04109"),
                        "monthStart", app.bean("monthlyCap", MonthlyCap.class).monthStart()), List.class);

        List<Object> eligible = rows.stream().map(row -> ((Map<?, ?>) row).get("customer_id")).map(Object.class::cast).toList();
        assertThat(eligible).containsExactlyInAnyOrder(agents.get(1), agents.get(2));
    }

    @Test
    void aPausedAgentGetsNoNewLeadsUntilThePauseEnds() {
        List<Long> ab = agents("20095", "Pause A", "Pause B");
        long a = ab.get(0);
        long b = ab.get(1);
        pause(a);

        long lead = data.lead("20095", "Hamburg");
        publish(lead);

        List<Map<String, Object>> rows = awaitPlanned(lead, 1);
        assertThat(rows.get(0).get("customer_id")).isEqualTo(b);
        assertThat(rows.get(0).get("role")).isEqualTo("only");
        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(b) == 1);
        assertThat(mailsTo(a)).isZero();

        unpause(a);
        long next = data.lead("20095", "Hamburg");
        publish(next);

        List<Map<String, Object>> again = awaitPlanned(next, 2);
        assertThat(withRole(again, "head_start")).isEqualTo(a);
        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(a) == 1);
    }

    @Test
    void aPausedHeadStartsDueMailIsSkippedAndReleasesTheFollowersAtOnce() throws Exception {
        agents("50667", "Release A", "Release B", "Release C");
        long lead = data.lead("50667", "Köln");
        long[] headStart = new long[1];
        Instant planned = Instant.now();

        List<Map<String, Object>> rows = planHeld(lead, 3, () -> {
            headStart[0] = withRole(distributions(lead), "head_start");
            pause(headStart[0]);
        });
        List<Long> followers = rows.stream().filter(r -> "follower".equals(r.get("role"))).map(r -> (Long) r.get("customer_id")).toList();

        await().atMost(Duration.ofSeconds(10)).until(() -> followers.stream().allMatch(f -> mailsTo(f) == 1));
        assertThat(Instant.now()).as("released, not after the 60 s head start").isBefore(planned.plus(HEAD_START));
        assertThat(mailsTo(headStart[0])).isZero();
        Map<String, Object> skipped = db.row("SELECT status, status_reason FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", lead, headStart[0]);
        assertThat(skipped.get("status")).isEqualTo("skipped");
        assertThat((String) skipped.get("status_reason")).contains("paused until");
    }

    @Test
    void aLeadLeftWithoutMailByAPauseIsPlannedAgainAmongTheOthers() throws Exception {
        List<Long> ab = agents("70173", "Only A", "Later B");
        long a = ab.get(0);
        long b = ab.get(1);
        pause(b);
        long lead = data.lead("70173", "Stuttgart");

        planHeld(lead, 1, () -> {
            pause(a);
            unpause(b);
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(b) == 1);
        assertThat(mailsTo(a)).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> "sent".equals(rowStatus(lead, b)));
        assertThat(rowStatus(lead, a)).isEqualTo("skipped");
        assertThat(db.row("SELECT role FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", lead, b).get("role")).isEqualTo("only");
    }
}
