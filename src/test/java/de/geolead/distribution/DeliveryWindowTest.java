package de.geolead.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DeliveryWindowTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final DeliveryWindow DAYTIME = DeliveryWindow.parse("07:00-20:00", BERLIN);

    /** An instant given as Berlin wall-clock time, e.g. "2025-06-10T07:00". Not for ambiguous DST hours. */
    private static Instant berlin(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(BERLIN).toInstant();
    }

    // --- parse and toString ----------------------------------------------------------------

    @Test
    void toStringShowsTimesAndZone() {
        assertThat(DAYTIME).hasToString("07:00-20:00 Europe/Berlin");
        assertThat(DeliveryWindow.parse(" 22:00-06:00 ", ZoneId.of("UTC"))).hasToString("22:00-06:00 UTC");
        assertThat(DeliveryWindow.always()).hasToString("00:00-24:00 Europe/Berlin");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"7-20", "25:00-26:00", "07:00-07:00", "00:00-00:00", "24:00-06:00", "07:60-20:00",
            "07:00-24:01", "7:00-20:00", "07:00 - 20:00", "07:00", "always"})
    void invalidSpecsAreRejectedWithTheSettingAndFormat(String spec) {
        assertThatThrownBy(() -> DeliveryWindow.parse(spec, BERLIN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GEOLEAD_DELIVERY_WINDOW")
                .hasMessageContaining("HH:MM-HH:MM");
    }

    // --- isOpen ----------------------------------------------------------------------------

    @Test
    void startIsInclusiveAndEndExclusive() {
        assertThat(DAYTIME.isOpen(berlin("2025-06-10T06:59:59"))).isFalse();
        assertThat(DAYTIME.isOpen(berlin("2025-06-10T07:00"))).isTrue();
        assertThat(DAYTIME.isOpen(berlin("2025-06-10T12:00"))).isTrue();
        assertThat(DAYTIME.isOpen(berlin("2025-06-10T19:59:59"))).isTrue();
        assertThat(DAYTIME.isOpen(berlin("2025-06-10T20:00"))).isFalse();
        assertThat(DAYTIME.isOpen(berlin("2025-06-10T23:00"))).isFalse();
    }

    @Test
    void isOpenUsesTheWindowsZone() {
        Instant sevenBerlinSummer = Instant.parse("2025-06-10T05:00:00Z");

        assertThat(DAYTIME.isOpen(sevenBerlinSummer)).isTrue();
        assertThat(DeliveryWindow.parse("07:00-20:00", ZoneId.of("UTC")).isOpen(sevenBerlinSummer)).isFalse();
    }

    @Test
    void windowUntilMidnight() {
        DeliveryWindow untilMidnight = DeliveryWindow.parse("07:00-24:00", BERLIN);

        assertThat(untilMidnight.isOpen(berlin("2025-06-10T23:59:59"))).isTrue();
        assertThat(untilMidnight.isOpen(berlin("2025-06-11T00:00"))).isFalse();
        assertThat(untilMidnight.nextOpening(berlin("2025-06-11T00:00"))).isEqualTo(berlin("2025-06-11T07:00"));
    }

    // --- nextOpening -----------------------------------------------------------------------

    @Test
    void nextOpeningOfAnOpenInstantIsThatInstant() {
        Instant noon = berlin("2025-06-10T12:34:56");

        assertThat(DAYTIME.nextOpening(noon)).isEqualTo(noon);
        assertThat(DAYTIME.nextOpening(berlin("2025-06-10T07:00"))).isEqualTo(berlin("2025-06-10T07:00"));
    }

    @Test
    void nextOpeningInTheEveningIsSevenTheNextMorning() {
        assertThat(DAYTIME.nextOpening(berlin("2025-06-10T21:00"))).isEqualTo(berlin("2025-06-11T07:00"));
        assertThat(DAYTIME.nextOpening(berlin("2025-06-10T20:00"))).isEqualTo(berlin("2025-06-11T07:00"));
    }

    @Test
    void nextOpeningAtNightIsSevenTheSameMorning() {
        assertThat(DAYTIME.nextOpening(berlin("2025-06-10T03:00"))).isEqualTo(berlin("2025-06-10T07:00"));
        assertThat(DAYTIME.nextOpening(berlin("2025-06-10T00:00"))).isEqualTo(berlin("2025-06-10T07:00"));
    }

    @Test
    void nextOpeningOnNewYearsEveCrossesIntoTheNextYear() {
        assertThat(DAYTIME.nextOpening(berlin("2025-12-31T22:00"))).isEqualTo(berlin("2026-01-01T07:00"));
    }

    @Test
    void overnightWindowIsOpenAcrossMidnight() {
        DeliveryWindow overnight = DeliveryWindow.parse("22:00-06:00", BERLIN);

        assertThat(overnight.isOpen(berlin("2025-06-10T21:59:59"))).isFalse();
        assertThat(overnight.isOpen(berlin("2025-06-10T22:00"))).isTrue();
        assertThat(overnight.isOpen(berlin("2025-06-10T23:59:59"))).isTrue();
        assertThat(overnight.isOpen(berlin("2025-06-11T00:00"))).isTrue();
        assertThat(overnight.isOpen(berlin("2025-06-11T05:59:59"))).isTrue();
        assertThat(overnight.isOpen(berlin("2025-06-11T06:00"))).isFalse();
        assertThat(overnight.isOpen(berlin("2025-06-11T12:00"))).isFalse();
    }

    @Test
    void overnightWindowOpensAtItsStartTheSameEvening() {
        DeliveryWindow overnight = DeliveryWindow.parse("22:00-06:00", BERLIN);

        assertThat(overnight.nextOpening(berlin("2025-06-10T06:00"))).isEqualTo(berlin("2025-06-10T22:00"));
        assertThat(overnight.nextOpening(berlin("2025-06-10T12:00"))).isEqualTo(berlin("2025-06-10T22:00"));
        assertThat(overnight.nextOpening(berlin("2025-06-11T03:00"))).isEqualTo(berlin("2025-06-11T03:00"));
    }

    @Test
    void alwaysIsOpenAtEveryTime() {
        DeliveryWindow always = DeliveryWindow.always();

        for (String t : new String[] {"2025-06-10T00:00", "2025-06-10T03:00", "2025-06-10T12:00",
                "2025-06-10T23:59:59"}) {
            assertThat(always.isOpen(berlin(t))).as(t).isTrue();
            assertThat(always.nextOpening(berlin(t))).as(t).isEqualTo(berlin(t));
        }
        assertThat(DeliveryWindow.parse("00:00-24:00", BERLIN).isOpen(berlin("2025-06-10T00:00"))).isTrue();
    }

    // --- daylight saving time: 2025-03-30 02:00 CET -> 03:00 CEST, 2025-10-26 03:00 CEST -> 02:00 CET ---

    @Test
    void springForwardNightIsAnHourShorter() {
        // Saturday 21:00 CET (UTC+1) to Sunday 07:00 CEST (UTC+2): 9 hours, not 10.
        Instant saturdayEvening = Instant.parse("2025-03-29T20:00:00Z");

        assertThat(DAYTIME.nextOpening(saturdayEvening)).isEqualTo(Instant.parse("2025-03-30T05:00:00Z"));
        assertThat(DAYTIME.isOpen(Instant.parse("2025-03-30T04:59:59Z"))).isFalse();
        assertThat(DAYTIME.isOpen(Instant.parse("2025-03-30T17:59:59Z"))).isTrue();
        assertThat(DAYTIME.isOpen(Instant.parse("2025-03-30T18:00:00Z"))).isFalse();
    }

    @Test
    void openingInsideTheSkippedHourMovesToTheFirstValidInstant() {
        DeliveryWindow window = DeliveryWindow.parse("02:30-06:00", BERLIN);
        Instant oneAmCet = Instant.parse("2025-03-30T00:00:00Z");
        Instant threeAmCest = Instant.parse("2025-03-30T01:00:00Z");

        assertThat(window.nextOpening(oneAmCet)).isEqualTo(threeAmCest);
        assertThat(window.isOpen(threeAmCest)).isTrue();
        assertThat(window.isOpen(threeAmCest.minusSeconds(1))).isFalse();
    }

    @Test
    void windowEntirelyInsideTheSkippedHourOpensTheNextDay() {
        DeliveryWindow window = DeliveryWindow.parse("02:00-02:30", BERLIN);

        assertThat(window.nextOpening(Instant.parse("2025-03-30T00:00:00Z")))
                .isEqualTo(Instant.parse("2025-03-31T00:00:00Z")); // Monday 02:00 CEST
    }

    @Test
    void fallBackNightIsAnHourLonger() {
        // Saturday 21:00 CEST (UTC+2) to Sunday 07:00 CET (UTC+1): 11 hours, not 10.
        Instant saturdayEvening = Instant.parse("2025-10-25T19:00:00Z");

        assertThat(DAYTIME.nextOpening(saturdayEvening)).isEqualTo(Instant.parse("2025-10-26T06:00:00Z"));
        assertThat(DAYTIME.isOpen(Instant.parse("2025-10-26T05:59:59Z"))).isFalse();
        assertThat(DAYTIME.isOpen(Instant.parse("2025-10-26T18:59:59Z"))).isTrue();
        assertThat(DAYTIME.isOpen(Instant.parse("2025-10-26T19:00:00Z"))).isFalse();
    }

    @Test
    void openingInsideTheRepeatedHourHappensAtBothOccurrences() {
        DeliveryWindow window = DeliveryWindow.parse("02:15-02:45", BERLIN);
        Instant firstTwoFifteen = Instant.parse("2025-10-26T00:15:00Z"); // CEST
        Instant secondTwoFifteen = Instant.parse("2025-10-26T01:15:00Z"); // CET

        assertThat(window.nextOpening(Instant.parse("2025-10-25T23:00:00Z"))).isEqualTo(firstTwoFifteen);
        assertThat(window.isOpen(Instant.parse("2025-10-26T00:50:00Z"))).isFalse(); // 02:50 CEST
        assertThat(window.nextOpening(Instant.parse("2025-10-26T00:50:00Z"))).isEqualTo(secondTwoFifteen);
        assertThat(window.nextOpening(Instant.parse("2025-10-26T01:50:00Z"))) // 02:50 CET
                .isEqualTo(Instant.parse("2025-10-27T01:15:00Z"));
    }
}
