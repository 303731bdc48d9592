package de.geolead.distribution;

import static de.geolead.distribution.PlannedDelivery.FOLLOWER;
import static de.geolead.distribution.PlannedDelivery.HEAD_START;
import static de.geolead.distribution.PlannedDelivery.ONLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DistributionPlannerTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final Instant NOW = berlin("2025-06-10T10:00");
    private static final Duration HOUR = Duration.ofHours(1);

    private static final Instant JAN = Instant.parse("2024-01-01T00:00:00Z");
    private static final Instant FEB = Instant.parse("2024-02-01T00:00:00Z");
    private static final Instant MAR = Instant.parse("2024-03-01T00:00:00Z");

    private static Instant berlin(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(BERLIN).toInstant();
    }

    private static DistributionPlanner planner(Duration headStart, DelayMode mode) {
        return new DistributionPlanner(headStart, mode, DeliveryWindow.always());
    }

    private static EligibleAgent agent(long id, Instant subscribedSince, Instant lastHeadStartAt) {
        return new EligibleAgent(id, subscribedSince, lastHeadStartAt);
    }

    private static List<Long> customerIds(DistributionPlan plan) {
        return plan.deliveries().stream().map(PlannedDelivery::customerId).toList();
    }

    // --- who gets the lead -----------------------------------------------------------------

    @Test
    void noEligibleAgentLeavesTheLeadUnassigned() {
        DistributionPlan plan = planner(HOUR, DelayMode.ALL_AFTER).plan(List.of(), NOW);

        assertThat(plan.isUnassigned()).isTrue();
        assertThat(plan.deliveries()).isEmpty();
        assertThat(plan.headStart()).isEmpty();
        assertThat(plan.followers()).isEmpty();
        assertThat(plan.exclusiveUntil()).isNull();
    }

    @Test
    void singleAgentGetsTheLeadAloneAndAtOnce() {
        DistributionPlan plan = planner(HOUR, DelayMode.ALL_AFTER).plan(List.of(agent(7, JAN, NOW)), NOW);

        assertThat(plan.isUnassigned()).isFalse();
        assertThat(plan.deliveries()).containsExactly(new PlannedDelivery(7, NOW, ONLY));
        assertThat(plan.headStart()).isEmpty();
        assertThat(plan.followers()).isEmpty();
        assertThat(plan.exclusiveUntil()).isNull();
    }

    @Test
    void headStartGoesToTheAgentWhoNeverHadOne() {
        List<EligibleAgent> eligible = List.of(
                agent(1, JAN, berlin("2025-06-01T09:00")),
                agent(2, MAR, null),
                agent(3, FEB, berlin("2025-05-01T09:00")));

        DistributionPlan plan = planner(HOUR, DelayMode.ALL_AFTER).plan(eligible, NOW);

        assertThat(plan.headStart()).contains(new PlannedDelivery(2, NOW, HEAD_START));
    }

    @Test
    void headStartGoesToTheAgentWhoHadOneLeastRecently() {
        List<EligibleAgent> eligible = List.of(
                agent(1, JAN, berlin("2025-06-01T09:00")),
                agent(2, JAN, berlin("2025-06-09T09:00")),
                agent(3, MAR, berlin("2025-05-01T09:00")));

        DistributionPlan plan = planner(HOUR, DelayMode.ALL_AFTER).plan(eligible, NOW);

        assertThat(customerIds(plan)).containsExactly(3L, 1L, 2L);
    }

    @Test
    void tieOnLastHeadStartGoesToTheOldestSubscription() {
        Instant sameTime = berlin("2025-06-01T09:00");
        List<EligibleAgent> eligible =
                List.of(agent(1, MAR, sameTime), agent(2, JAN, sameTime), agent(3, FEB, sameTime));

        assertThat(customerIds(planner(HOUR, DelayMode.ALL_AFTER).plan(eligible, NOW))).containsExactly(2L, 3L, 1L);
    }

    @Test
    void tieOnEverythingGoesToTheLowestCustomerId() {
        List<EligibleAgent> eligible = List.of(agent(30, JAN, null), agent(10, JAN, null), agent(20, JAN, null));

        assertThat(customerIds(planner(HOUR, DelayMode.ALL_AFTER).plan(eligible, NOW))).containsExactly(10L, 20L, 30L);
    }

    @Test
    void inputOrderDoesNotMatter() {
        Instant lastWeek = NOW.minus(Duration.ofDays(7));
        Instant yesterday = NOW.minus(Duration.ofDays(1));
        List<EligibleAgent> eligible = new ArrayList<>(List.of(
                agent(1, JAN, yesterday),
                agent(2, FEB, lastWeek),
                agent(3, FEB, null),
                agent(4, JAN, lastWeek),
                agent(5, JAN, null),
                agent(6, JAN, null)));
        DistributionPlanner planner = planner(HOUR, DelayMode.STAGGERED);
        DistributionPlan expected = planner.plan(eligible, NOW);

        assertThat(customerIds(expected)).containsExactly(5L, 6L, 3L, 4L, 2L, 1L);
        Random random = new Random(42);
        for (int i = 0; i < 10; i++) {
            Collections.shuffle(eligible, random);
            assertThat(planner.plan(eligible, NOW)).isEqualTo(expected);
        }
    }

    @Test
    void rotationGivesEachAgentTheHeadStartInTurn() {
        Map<Long, Instant> lastHeadStart = new HashMap<>();
        DistributionPlanner planner = planner(HOUR, DelayMode.ALL_AFTER);
        List<Long> headStartAgents = new ArrayList<>();

        for (int lead = 0; lead < 4; lead++) {
            Instant now = NOW.plus(Duration.ofMinutes(10L * lead));
            List<EligibleAgent> eligible = List.of(
                    agent(1, JAN, lastHeadStart.get(1L)),
                    agent(2, FEB, lastHeadStart.get(2L)),
                    agent(3, MAR, lastHeadStart.get(3L)));

            PlannedDelivery headStart = planner.plan(eligible, now).headStart().orElseThrow();
            headStartAgents.add(headStart.customerId());
            lastHeadStart.put(headStart.customerId(), headStart.scheduledFor());
        }

        assertThat(headStartAgents).containsExactly(1L, 2L, 3L, 1L);
    }

    @Test
    void duplicatedCustomerGetsTheLeadOnce() {
        List<EligibleAgent> eligible = List.of(agent(5, JAN, null), agent(6, FEB, null), agent(5, JAN, null));

        DistributionPlan plan = planner(HOUR, DelayMode.STAGGERED).plan(eligible, NOW);

        assertThat(customerIds(plan)).containsExactly(5L, 6L);
        assertThat(plan.followers()).containsExactly(new PlannedDelivery(6, NOW.plus(HOUR), FOLLOWER));
    }

    @Test
    void duplicatedCustomerCountsWithItsOldestSubscriptionAndMostRecentHeadStart() {
        Instant recently = berlin("2025-06-09T09:00");
        List<EligibleAgent> eligible = List.of(
                agent(5, MAR, null), agent(5, JAN, recently), // 5: since JAN, head start recently
                agent(6, FEB, recently.minus(HOUR)));

        assertThat(customerIds(planner(HOUR, DelayMode.ALL_AFTER).plan(eligible, NOW))).containsExactly(6L, 5L);

        List<EligibleAgent> neverHadOne = List.of(agent(5, MAR, null), agent(5, JAN, null), agent(6, FEB, null));
        assertThat(customerIds(planner(HOUR, DelayMode.ALL_AFTER).plan(neverHadOne, NOW))).containsExactly(5L, 6L);
    }

    // --- when ------------------------------------------------------------------------------

    @Test
    void allAfterSendsEveryFollowerOneHeadStartLater() {
        List<EligibleAgent> eligible = List.of(agent(1, JAN, null), agent(2, FEB, null), agent(3, MAR, null));

        DistributionPlan plan = planner(Duration.ofMinutes(30), DelayMode.ALL_AFTER).plan(eligible, NOW);

        Instant later = NOW.plus(Duration.ofMinutes(30));
        assertThat(plan.deliveries()).containsExactly(
                new PlannedDelivery(1, NOW, HEAD_START),
                new PlannedDelivery(2, later, FOLLOWER),
                new PlannedDelivery(3, later, FOLLOWER));
        assertThat(plan.headStart()).contains(plan.deliveries().get(0));
        assertThat(plan.followers()).isEqualTo(plan.deliveries().subList(1, 3));
        assertThat(plan.exclusiveUntil()).isEqualTo(later);
    }

    @Test
    void staggeredSendsTheIthFollowerIHeadStartsLater() {
        List<EligibleAgent> eligible = List.of(
                agent(1, JAN, null), agent(2, FEB, null), agent(3, MAR, null), agent(4, MAR, null));

        DistributionPlan plan = planner(Duration.ofMinutes(20), DelayMode.STAGGERED).plan(eligible, NOW);

        assertThat(plan.deliveries()).containsExactly(
                new PlannedDelivery(1, NOW, HEAD_START),
                new PlannedDelivery(2, NOW.plus(Duration.ofMinutes(20)), FOLLOWER),
                new PlannedDelivery(3, NOW.plus(Duration.ofMinutes(40)), FOLLOWER),
                new PlannedDelivery(4, NOW.plus(Duration.ofMinutes(60)), FOLLOWER));
        assertThat(plan.exclusiveUntil()).isEqualTo(NOW.plus(Duration.ofMinutes(20)));
    }

    @Test
    void zeroHeadStartSendsToEveryoneAtOnceButKeepsTheRoles() {
        List<EligibleAgent> eligible = List.of(agent(1, JAN, null), agent(2, FEB, null), agent(3, MAR, null));

        for (DelayMode mode : DelayMode.values()) {
            DistributionPlan plan = planner(Duration.ZERO, mode).plan(eligible, NOW);

            assertThat(plan.deliveries()).as(mode.name()).containsExactly(
                    new PlannedDelivery(1, NOW, HEAD_START),
                    new PlannedDelivery(2, NOW, FOLLOWER),
                    new PlannedDelivery(3, NOW, FOLLOWER));
            assertThat(plan.exclusiveUntil()).as(mode.name()).isEqualTo(NOW);
        }
    }

    @Test
    void anEveningLeadGoesOutNextMorningAndTheHeadStartCountsFromThere() {
        DeliveryWindow daytime = DeliveryWindow.parse("07:00-20:00", BERLIN);
        DistributionPlanner planner = new DistributionPlanner(HOUR, DelayMode.ALL_AFTER, daytime);
        List<EligibleAgent> eligible = List.of(agent(1, JAN, null), agent(2, FEB, null));

        DistributionPlan plan = planner.plan(eligible, berlin("2025-06-10T21:00"));

        assertThat(plan.deliveries()).containsExactly(
                new PlannedDelivery(1, berlin("2025-06-11T07:00"), HEAD_START),
                new PlannedDelivery(2, berlin("2025-06-11T08:00"), FOLLOWER)); // one hour after the head start mail
    }

    @Test
    void windowMovesOnlyTheFollowersThatFallOutsideIt() {
        DeliveryWindow daytime = DeliveryWindow.parse("07:00-20:00", BERLIN);
        DistributionPlanner planner = new DistributionPlanner(HOUR, DelayMode.STAGGERED, daytime);
        List<EligibleAgent> eligible = List.of(agent(1, JAN, null), agent(2, FEB, null), agent(3, MAR, null));

        DistributionPlan plan = planner.plan(eligible, berlin("2025-06-10T18:30"));

        assertThat(plan.deliveries()).containsExactly(
                new PlannedDelivery(1, berlin("2025-06-10T18:30"), HEAD_START),
                new PlannedDelivery(2, berlin("2025-06-10T19:30"), FOLLOWER),
                new PlannedDelivery(3, berlin("2025-06-11T07:00"), FOLLOWER)); // due at 20:30
    }

    @Test
    void singleAgentOutsideTheWindowGetsTheLeadAtTheNextOpening() {
        DeliveryWindow daytime = DeliveryWindow.parse("07:00-20:00", BERLIN);
        DistributionPlanner planner = new DistributionPlanner(HOUR, DelayMode.ALL_AFTER, daytime);

        DistributionPlan plan = planner.plan(List.of(agent(9, JAN, null)), berlin("2025-06-10T05:15"));

        assertThat(plan.deliveries()).containsExactly(new PlannedDelivery(9, berlin("2025-06-10T07:00"), ONLY));
    }

    @Test
    void negativeHeadStartIsRejected() {
        assertThatThrownBy(() -> new DistributionPlanner(Duration.ofMinutes(-1), DelayMode.ALL_AFTER,
                DeliveryWindow.always()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // --- DelayMode -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"all-after", "ALL-AFTER", " All-After "})
    void delayModeAllAfter(String value) {
        assertThat(DelayMode.parse(value)).isEqualTo(DelayMode.ALL_AFTER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"staggered", "STAGGERED", "\tStaggered\n"})
    void delayModeStaggered(String value) {
        assertThat(DelayMode.parse(value)).isEqualTo(DelayMode.STAGGERED);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"all_after", "ALL_AFTER", "allafter", "stagger", " "})
    void unknownDelayModeNamesTheSettingAndTheAllowedValues(String value) {
        assertThatThrownBy(() -> DelayMode.parse(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GEOLEAD_DELAY_MODE")
                .hasMessageContaining("all-after")
                .hasMessageContaining("staggered");
    }
}
