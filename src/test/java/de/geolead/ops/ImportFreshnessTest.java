package de.geolead.ops;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImportFreshnessTest {

    static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    @Test
    void theIntervalComesFromTheCron() {
        assertThat(ImportFreshness.intervalOf("0 0/15 * * * ?", NOW)).isEqualTo(Duration.ofMinutes(15));
        assertThat(ImportFreshness.intervalOf("0 0 3 * * ?", NOW)).isEqualTo(Duration.ofDays(1));
        assertThatThrownBy(() -> ImportFreshness.intervalOf("every minute", NOW)).hasMessageContaining("GEOLEAD_IMPORT_CRON");
    }

    @Test
    void freshWithinTwiceTheIntervalStaleAfter() {
        ImportFreshness freshness = new ImportFreshness(Duration.ofMinutes(15));
        Instant started = NOW.minus(Duration.ofHours(5));
        assertThat(freshness.problem(NOW.minus(Duration.ofMinutes(29)), started, NOW)).isNull();
        assertThat(freshness.problem(NOW.minus(Duration.ofMinutes(31)), started, NOW)).contains("31 min ago");
    }

    @Test
    void noRunYetIsFineOnlyWhileTheAppIsYoung() {
        ImportFreshness freshness = new ImportFreshness(Duration.ofMinutes(15));
        assertThat(freshness.problem(null, NOW.minus(Duration.ofMinutes(10)), NOW)).isNull();
        assertThat(freshness.problem(null, NOW.minus(Duration.ofMinutes(45)), NOW)).contains("no successful Dialfire import");
    }
}
