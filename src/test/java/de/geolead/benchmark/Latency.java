package de.geolead.benchmark;

import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * Latencies of one measured run, in an HdrHistogram (microsecond resolution, up to one hour), safe to record from
 * several threads. An open-loop generator records from the time a request was <em>scheduled</em>, not sent, so a
 * stalled server is not hidden (no coordinated omission).
 */
public final class Latency {

    private final Histogram histogram = new Histogram(TimeUnit.HOURS.toMicros(1), 3);

    public synchronized void recordNanos(long nanos) {
        histogram.recordValue(Math.max(0, Math.min(TimeUnit.NANOSECONDS.toMicros(nanos), histogram.getHighestTrackableValue())));
    }

    public synchronized long count() {
        return histogram.getTotalCount();
    }

    /** The given percentile (0–100) in milliseconds. */
    public synchronized double percentileMs(double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    public double p50Ms() {
        return percentileMs(50);
    }

    public double p99Ms() {
        return percentileMs(99);
    }

    public synchronized double maxMs() {
        return histogram.getMaxValue() / 1000.0;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "p50 %s ms, p99 %s ms, max %s ms", Report.ms(p50Ms()), Report.ms(p99Ms()), Report.ms(maxMs()));
    }
}
