package de.geolead.distribution;

import de.geolead.db.Database;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The monthly cap: the zone's calendar month, what counts, and the re-check under a lock in the planning transaction
 * (DistributionStore) against the real PostgreSQL.
 */
class MonthlyCapTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    final MonthlyCap cap = new MonthlyCap(BERLIN, Clock.systemUTC());
    final DistributionPlanner planner = new DistributionPlanner(Duration.ofDays(3), DelayMode.ALL_AFTER,
            DeliveryWindow.parse("00:00-24:00", BERLIN));
    final DistributionStore store = new DistributionStore(new Database(db.dataSource()), cap);

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    @Test
    void theMonthStartsAtMidnightOfTheFirstInTheZone() {
        // 1 Nov 2026 00:30 in Berlin is still October in UTC
        assertThat(MonthlyCap.startOfMonth(Instant.parse("2026-10-31T23:30:00Z"), BERLIN)).isEqualTo(Instant.parse("2026-10-31T23:00:00Z"));
        assertThat(MonthlyCap.startOfMonth(Instant.parse("2026-10-31T22:59:59Z"), BERLIN)).isEqualTo(Instant.parse("2026-09-30T22:00:00Z"));
        assertThat(MonthlyCap.startOfMonth(Instant.parse("2026-11-28T19:00:00Z"), ZoneId.of("UTC"))).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(MonthlyCap.startOfMonth(Instant.parse("2026-11-28T19:00:00Z"), ZoneId.of("Pacific/Kiritimati")))
                .isEqualTo(Instant.parse("2026-10-31T10:00:00Z"));
    }

    @Test
    void onlyPlannedAndManualMailsThatArePendingSendingOrSentThisMonthCount() {
        long agent = data.customer("Counted Agent", "paid");
        db.update("UPDATE customers SET monthly_cap = 2 WHERE id = ?", agent);
        Instant now = Instant.now();
        mail(agent, "planned", "skipped", now);
        mail(agent, "planned", "failed", now);
        long sent = mail(agent, "planned", "sent", now);
        db.update("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, kind, resend_of) "
                + "SELECT lead_id, customer_id, now(), 'only', 'sent', 'resend', id FROM lead_distributions WHERE id = ?", sent);
        mail(agent, "manual", "sending", cap.currentMonthStart().minusSeconds(1)); // last month
        List<EligibleAgent> one = List.of(new EligibleAgent(agent, now, null));

        assertThat(withinCap(one)).as("one of two used").hasSize(1);
        mail(agent, "manual", "pending", cap.currentMonthStart());
        assertThat(withinCap(one)).as("two of two used").isEmpty();
        db.update("UPDATE customers SET monthly_cap = NULL WHERE id = ?", agent);
        assertThat(withinCap(one)).as("no cap").hasSize(1);
    }

    /**
     * Two leads of different PLZs planned at the same moment for an agent one below the cap: the second planning waits
     * for the first one's lock on the agent's row and then counts its mail, so only one lead goes to the agent.
     */
    @Test
    void twoLeadsPlannedAtOnceForAnAgentOneBelowTheCapDoNotBothPass() throws Exception {
        long agent = data.customer("Busy Agent", "paid");
        db.update("UPDATE customers SET monthly_cap = 1 WHERE id = ?", agent);
        long first = data.lead("10115", "Berlin");
        long second = data.lead("80331", "München");
        List<EligibleAgent> eligible = List.of(new EligibleAgent(agent, Instant.now().minusSeconds(86_400), null));

        CompletableFuture<DistributionStore.Outcome> one;
        CompletableFuture<DistributionStore.Outcome> two;
        // hold the agent's row as a concurrent planning would, so both plannings are under way at the same time
        try (Connection holder = db.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement("SELECT id FROM customers WHERE id = ? FOR UPDATE")) {
                lock.setLong(1, agent);
                lock.executeQuery().close();
            }
            one = CompletableFuture.supplyAsync(() -> store.save(first, "10115", eligible, agents -> planner.plan(agents, Instant.now())));
            two = CompletableFuture.supplyAsync(() -> store.save(second, "80331", eligible, agents -> planner.plan(agents, Instant.now())));
            await().atMost(Duration.ofSeconds(10)).until(() -> (one.isDone() && two.isDone()) || waitingOnLocks() >= 2);
            holder.commit();
        }

        List<String> statuses = List.of(one.get().leadStatus(), two.get().leadStatus());
        assertThat(statuses).containsExactlyInAnyOrder("distributed", "unassigned");
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE customer_id = ?", agent)).isEqualTo(1);
    }

    private List<EligibleAgent> withinCap(List<EligibleAgent> candidates) {
        return new Database(db.dataSource()).inTransaction(() -> cap.withinCap(new Database(db.dataSource()).sql(), candidates));
    }

    private static long waitingOnLocks() {
        return db.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
    }

    private static long mail(long customerId, String kind, String status, Instant createdAt) {
        long lead = data.lead("10115", "Berlin");
        return (Long) db.row("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, kind, created_at) "
                + "VALUES (?, ?, now(), 'only', ?, ?, ?) RETURNING id", lead, customerId, status, kind, Timestamp.from(createdAt)).get("id");
    }
}
