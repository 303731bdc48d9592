package de.geolead.customers;

import de.geolead.api.ApiProblem;
import de.geolead.billing.StripeStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rules of the agent controls without a database: the end of a pause, the answers' numbers and log lines. */
class CustomerControlsTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final Instant NOW = Instant.parse("2026-11-28T19:00:00Z");

    @Test
    void aDateIsTheStartOfThatDayInTheZoneAndAnInstantKeepsItsOffset() {
        assertThat(CustomerControls.pauseUntil("2026-12-24", BERLIN, NOW)).isEqualTo(Instant.parse("2026-12-23T23:00:00Z"));
        assertThat(CustomerControls.pauseUntil("2026-07-01", ZoneId.of("UTC"), Instant.parse("2026-06-01T00:00:00Z")))
                .isEqualTo(Instant.parse("2026-07-01T00:00:00Z"));
    }

    @Test
    void instantsWithZOrAnOffsetAreAccepted() {
        assertThat(CustomerControls.pauseUntil("2026-12-01T08:00:00Z", BERLIN, NOW)).isEqualTo(Instant.parse("2026-12-01T08:00:00Z"));
        assertThat(CustomerControls.pauseUntil("2026-12-01T09:00:00+01:00", BERLIN, NOW)).isEqualTo(Instant.parse("2026-12-01T08:00:00Z"));
        assertThat(CustomerControls.pauseUntil("2026-12-01T08:00:00.123456789Z", BERLIN, NOW)).as("as PostgreSQL keeps it")
                .isEqualTo(Instant.parse("2026-12-01T08:00:00.123456Z"));
    }

    @Test
    void thePastTodayGarbageAndTheFarFutureAre400() {
        for (String bad : new String[]{"2026-11-28T18:59:59Z", "2026-11-28T19:00:00Z", "2026-11-28", "2026-11-01",
                "2026-13-01", "2026-02-30", "tomorrow", "2026-12-01T08:00:00", "", " ", "2037-01-01"}) {
            assertThatThrownBy(() -> CustomerControls.pauseUntil(bad, BERLIN, NOW)).as(bad)
                    .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
        assertThatThrownBy(() -> CustomerControls.pauseUntil(null, BERLIN, NOW)).isInstanceOf(ApiProblem.class);
        assertThat(CustomerControls.pauseUntil("2036-11-27", BERLIN, NOW)).as("within ten years").isNotNull();
    }

    @Test
    void theListsStatusFilterKnowsEveryStatusBillingGivesAnAgent() {
        List<String> subscription = List.of(StripeStatus.ACTIVE, StripeStatus.PAST_DUE, StripeStatus.INACTIVE, StripeStatus.CANCELED);
        Set<String> given = new TreeSet<>();
        for (int mask = 0; mask < 1 << subscription.size(); mask++) {
            List<String> statuses = new ArrayList<>();
            for (int i = 0; i < subscription.size(); i++) {
                if ((mask & 1 << i) != 0) {
                    statuses.add(subscription.get(i));
                }
            }
            given.add(StripeStatus.customer(statuses));
        }
        assertThat(given).containsExactlyInAnyOrderElementsOf(CustomerView.STATUSES);
    }

    @Test
    void customerIdsAreNumbers() {
        assertThat(CustomerIds.parse("42")).isEqualTo(42);
        for (String bad : new String[]{"abc", "-1", "4.2", "", "1234567890123456789012"}) {
            assertThatThrownBy(() -> CustomerIds.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
        assertThatThrownBy(() -> CustomerIds.parse(null)).isInstanceOf(ApiProblem.class);
    }

    @Test
    void theLogLineSaysWhatChangedWithIdsOnly() {
        assertThat(new CustomerChange("customer.cap", 7, "ops-admin", true, "no monthly cap", "monthly cap 10").describe())
                .isEqualTo("API customer.cap customer 7 by ops-admin: no monthly cap -> monthly cap 10");
        assertThat(new CustomerChange("customer.unpause", 7, "ops-admin", false, "not paused", "not paused").describe())
                .isEqualTo("API customer.unpause customer 7 by ops-admin: unchanged (not paused)");
    }
}
