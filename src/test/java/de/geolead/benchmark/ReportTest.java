package de.geolead.benchmark;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The harness's own output format (a plain unit test: runs in the normal suite, takes milliseconds). */
class ReportTest {

    @Test
    void aLineNamesBothRatesTheRatioAndTheLatencies() {
        Latency latency = new Latency();
        for (int i = 1; i <= 100; i++) {
            latency.recordNanos(i * 1_000_000L);
        }
        Report.Row row = new Report.Row("webhook", 1800, 3600, "/s", latency, "≥ 0.5", "16 connections");
        assertThat(row.line()).isEqualTo("BENCHMARK webhook: geolead 1800/s, raw 3600/s, ratio 0.50, p50 50.0 ms, p99 99.0 ms, 16 connections");
        assertThat(row.tableRow()).isEqualTo("| webhook | 1800/s | 3600/s | 0.50 | 50.0 | 99.0 | ≥ 0.5 | 16 connections |");
    }

    @Test
    void aStageWithoutBaselineOrLatenciesSaysSo() {
        Report.Row row = new Report.Row("start-to-ready", 3.2, Double.NaN, " s", null, "< 5 s", null);
        assertThat(row.line()).isEqualTo("BENCHMARK start-to-ready: geolead 3.2 s");
        assertThat(row.tableRow()).isEqualTo("| start-to-ready | 3.2 s | – | – | – | – | < 5 s |  |");
    }
}
