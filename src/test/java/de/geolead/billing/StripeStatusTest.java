package de.geolead.billing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StripeStatusTest {

    @ParameterizedTest
    @CsvSource({"active,active", "trialing,active", "past_due,past_due", "unpaid,inactive", "incomplete,inactive",
            "paused,inactive", "canceled,canceled", "incomplete_expired,canceled", "some_future_status,inactive"})
    void mapsStripeSubscriptionStatuses(String stripe, String ours) {
        assertThat(StripeStatus.subscription(stripe)).isEqualTo(ours);
    }

    @Test
    void aCustomerIsPaidIfAnySubscriptionIsActiveElsePastDueElseUnpaid() {
        assertThat(StripeStatus.customer(List.of("canceled", "active", "past_due"))).isEqualTo("paid");
        assertThat(StripeStatus.customer(List.of("canceled", "past_due", "inactive"))).isEqualTo("past_due");
        assertThat(StripeStatus.customer(List.of("canceled", "inactive"))).isEqualTo("unpaid");
        assertThat(StripeStatus.customer(List.of())).isEqualTo("unpaid");
    }

    @Test
    void ranksFromActiveDownToCanceled() {
        assertThat(StripeStatus.rank("active")).isGreaterThan(StripeStatus.rank("past_due"));
        assertThat(StripeStatus.rank("past_due")).isGreaterThan(StripeStatus.rank("inactive"));
        assertThat(StripeStatus.rank("inactive")).isGreaterThan(StripeStatus.rank("canceled"));
        assertThat(StripeStatus.subscription(null)).isEqualTo("inactive");
    }
}
