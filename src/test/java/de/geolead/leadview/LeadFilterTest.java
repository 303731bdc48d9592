package de.geolead.leadview;

import de.geolead.api.ApiProblem;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeadFilterTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void nothingGivenIsEverythingFiftyAtATime() {
        LeadFilter filter = LeadFilter.of(null, "", null, null, null, null, BERLIN);
        assertThat(filter).isEqualTo(new LeadFilter(null, null, null, null, 50, null));
    }

    @Test
    void datesAreWholeDaysInTheDeliveryZoneAndToIsInclusive() {
        LeadFilter filter = LeadFilter.of("parked", "801", "2026-11-01", "2026-11-28", "200", null, BERLIN);
        assertThat(filter.status()).isEqualTo("parked");
        assertThat(filter.plzPrefix()).isEqualTo("801");
        assertThat(filter.from()).isEqualTo(Instant.parse("2026-10-31T23:00:00Z"));
        assertThat(filter.toExclusive()).isEqualTo(Instant.parse("2026-11-28T23:00:00Z"));
        assertThat(filter.limit()).isEqualTo(200);
        // summer time: a day starts at 22:00 UTC
        assertThat(LeadFilter.of(null, null, "2026-07-01", "2026-07-01", null, null, BERLIN).toExclusive())
                .isEqualTo(Instant.parse("2026-07-01T22:00:00Z"));
    }

    @Test
    void instantsAreTakenAsTheyAreAndToIncludesItsOwnMicrosecond() {
        LeadFilter filter = LeadFilter.of(null, null, "2026-11-28T09:00:00Z", "2026-11-28T09:00:00Z", "1", null, BERLIN);
        assertThat(filter.from()).isEqualTo(Instant.parse("2026-11-28T09:00:00Z"));
        assertThat(filter.toExclusive()).isEqualTo(Instant.parse("2026-11-28T09:00:00.000001Z"));
    }

    @Test
    void badValuesAreBadRequestsNamingTheParameter() {
        assertBad(() -> LeadFilter.of("sent", null, null, null, null, null, BERLIN), "status must be one of pending, distributed, unassigned, expired, unroutable, pdf_missing, invalid, parked, no_consent");
        assertBad(() -> LeadFilter.of("PENDING", null, null, null, null, null, BERLIN), "status must be one of");
        for (String plz : new String[] {"8011a", "123456", "80%", "_", " 80", "1,2"}) {
            assertBad(() -> LeadFilter.of(null, plz, null, null, null, null, BERLIN), "plz must be 1 to 5 digits");
        }
        for (String date : new String[] {"2026-02-30", "28.11.2026", "2026-11-28T09:00", "yesterday", "2026-13-01"}) {
            assertBad(() -> LeadFilter.of(null, null, date, null, null, null, BERLIN), "from must be an ISO date");
            assertBad(() -> LeadFilter.of(null, null, null, date, null, null, BERLIN), "to must be an ISO date");
        }
        assertBad(() -> LeadFilter.of(null, null, "2026-11-29", "2026-11-28", null, null, BERLIN), "from (2026-11-29) is after to (2026-11-28)");
        assertBad(() -> LeadFilter.of(null, null, "2026-11-28T09:00:00.000001Z", "2026-11-28T09:00:00Z", null, null, BERLIN), "is after to");
        for (String limit : new String[] {"0", "201", "-1", "ten", "1.5", "99999999999"}) {
            assertBad(() -> LeadFilter.of(null, null, null, null, limit, null, BERLIN), "limit must be a whole number from 1 to 200");
        }
        assertBad(() -> LeadFilter.of(null, null, null, null, null, "garbage", BERLIN), "cursor");
    }

    private static void assertBad(Runnable call, String detail) {
        assertThatThrownBy(call::run).isInstanceOf(ApiProblem.class).hasMessageContaining(detail)
                .satisfies(e -> assertThat(((ApiProblem) e).status()).isEqualTo(400));
    }
}
