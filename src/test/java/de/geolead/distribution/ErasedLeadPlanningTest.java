package de.geolead.distribution;

import de.geolead.db.Database;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A lead erased while it waited for an agent (a data-subject erasure of a pending or unassigned lead) is never planned
 * again: neither the distribution nor the sweep hands an empty lead to anybody.
 */
class ErasedLeadPlanningTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    final Database database = new Database(db.dataSource());
    final DistributionPlanner planner = new DistributionPlanner(Duration.ofDays(3), DelayMode.ALL_AFTER,
            DeliveryWindow.parse("00:00-24:00", BERLIN));
    final DistributionStore store = new DistributionStore(database, new MonthlyCap(BERLIN, Clock.systemUTC()));
    final DistributionSweep sweep = new DistributionSweep(database, Duration.ofDays(7), Duration.ZERO, 100);

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    @Test
    void anErasedPendingOrUnassignedLeadIsNeitherPlannedNorSweptUp() {
        long agent = data.customer("Covering Agent", "paid");
        data.subscription(agent, "10115");
        long pending = data.lead("10115", "Berlin");
        long unassigned = data.lead("10115", "Berlin");
        long untouched = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'unassigned', unassigned_since = now() WHERE id = ?", unassigned);
        db.update("UPDATE leads SET erased_at = now(), erased_reason = 'request', updated_at = now() - interval '1 hour' WHERE id IN (?, ?)",
                pending, unassigned);
        db.update("UPDATE leads SET updated_at = now() - interval '1 hour' WHERE id = ?", untouched);
        List<EligibleAgent> eligible = List.of(new EligibleAgent(agent, Instant.now().minusSeconds(86_400), null));

        assertThat(sweep.leadsToPlan()).as("the sweep publishes only the lead not erased").containsExactly(untouched);
        for (long erased : List.of(pending, unassigned)) {
            DistributionStore.Outcome outcome = store.save(erased, "10115", eligible, agents -> planner.plan(agents, Instant.now()));
            assertThat(outcome.newlyPlanned()).isFalse();
            assertThat(outcome.leadStatus()).isEqualTo(DistributionStore.ERASED);
        }
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id IN (" + pending + ", " + unassigned + ")")).isZero();
        assertThat(store.save(untouched, "10115", eligible, agents -> planner.plan(agents, Instant.now())).newlyPlanned()).isTrue();
    }
}
