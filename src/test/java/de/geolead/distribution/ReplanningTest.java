package de.geolead.distribution;

import de.geolead.distribution.DistributionStore.Scheduled;
import de.geolead.distribution.Replanning.Waiting;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The new times and roles of the followers a skipped head start releases. */
class ReplanningTest {

    static final Instant NOW = Instant.parse("2026-03-10T09:00:00Z");
    static final Duration HEAD_START = Duration.ofDays(3);
    static final DeliveryWindow ALWAYS = DeliveryWindow.always();

    static Waiting waiting(long id, Instant due) {
        return new Waiting(id, 100 + id, due);
    }

    @Test
    void allAfterFollowersAreAllDueNowAndStayFollowers() {
        Instant due = NOW.plus(HEAD_START).minusSeconds(60);
        List<Scheduled> released = Replanning.release(List.of(waiting(1, due), waiting(2, due)), false, NOW, ALWAYS);

        assertThat(released).extracting(Scheduled::scheduledFor).containsOnly(NOW);
        assertThat(released).extracting(Scheduled::role).containsOnly(PlannedDelivery.FOLLOWER);
    }

    @Test
    void staggeredFollowersMoveUpKeepingTheirSpacingAndTheFirstTakesTheHeadStart() {
        Instant first = NOW.plus(HEAD_START);
        List<Scheduled> released = Replanning.release(List.of(waiting(1, first), waiting(2, first.plus(HEAD_START)),
                waiting(3, first.plus(HEAD_START.multipliedBy(2)))), false, NOW, ALWAYS);

        assertThat(released).extracting(Scheduled::scheduledFor).containsExactly(NOW, NOW.plus(HEAD_START), NOW.plus(HEAD_START.multipliedBy(2)));
        assertThat(released).extracting(Scheduled::role).containsExactly(PlannedDelivery.HEAD_START, PlannedDelivery.FOLLOWER, PlannedDelivery.FOLLOWER);
    }

    @Test
    void theOneFollowerLeftBecomesTheOnlyRecipient() {
        List<Scheduled> released = Replanning.release(List.of(waiting(1, NOW.plus(HEAD_START))), false, NOW, ALWAYS);

        assertThat(released).singleElement().satisfies(s -> {
            assertThat(s.scheduledFor()).isEqualTo(NOW);
            assertThat(s.role()).isEqualTo(PlannedDelivery.ONLY);
        });
    }

    @Test
    void rolesStayWhenAnotherAgentHasTheLeadAlready() {
        Instant first = NOW.plus(HEAD_START);
        List<Scheduled> released = Replanning.release(List.of(waiting(1, first), waiting(2, first.plus(HEAD_START))), true, NOW, ALWAYS);

        assertThat(released).extracting(Scheduled::role).containsOnly(PlannedDelivery.FOLLOWER);
    }

    @Test
    void followersAlreadyDueAreNotTouched() {
        assertThat(Replanning.release(List.of(waiting(1, NOW.minusSeconds(1)), waiting(2, NOW.plus(HEAD_START))), false, NOW, ALWAYS)).isEmpty();
        assertThat(Replanning.release(List.of(), false, NOW, ALWAYS)).isEmpty();
    }

    @Test
    void newTimesRespectTheDeliveryWindow() {
        DeliveryWindow window = DeliveryWindow.parse("07:00-20:00", ZoneId.of("Europe/Berlin"));
        Instant evening = Instant.parse("2026-03-10T18:30:00Z"); // 19:30 in Berlin
        // staggered by 1 h: the second would be due at 20:30 Berlin, the window moves it to 07:00 the next day
        List<Scheduled> released = Replanning.release(List.of(waiting(1, evening.plus(Duration.ofHours(5))),
                waiting(2, evening.plus(Duration.ofHours(6)))), false, evening, window);

        assertThat(released).extracting(Scheduled::scheduledFor)
                .containsExactly(evening, Instant.parse("2026-03-11T06:00:00Z"));
        assertThat(released.get(0).role()).isEqualTo(PlannedDelivery.HEAD_START);
    }
}
