package de.geolead.ops;

import org.quartz.CronExpression;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.TimeZone;

/**
 * Whether the Dialfire import ran successfully recently enough: within twice its schedule's interval
 * (the gap between two consecutive cron fire times). Plain Java, used by a readiness check.
 */
public final class ImportFreshness {

    private final Duration interval;

    public ImportFreshness(Duration interval) {
        this.interval = interval;
    }

    /** The interval of a Quartz cron expression, measured between its next two fire times after {@code from}. */
    public static Duration intervalOf(String cron, Instant from) {
        try {
            CronExpression expression = new CronExpression(cron);
            expression.setTimeZone(TimeZone.getTimeZone("UTC"));
            Date first = expression.getNextValidTimeAfter(Date.from(from));
            Date second = first == null ? null : expression.getNextValidTimeAfter(first);
            if (second == null) {
                return Duration.ofDays(36_500); // a schedule that never fires again
            }
            return Duration.between(first.toInstant(), second.toInstant());
        } catch (ParseException e) {
            throw new IllegalArgumentException("GEOLEAD_IMPORT_CRON is not a Quartz cron expression: " + cron, e);
        }
    }

    /**
     * Null when fine, else why not: the last success is older than 2× the interval, or there was none
     * although the application has been up for longer than that.
     */
    public String problem(Instant lastSuccess, Instant startedAt, Instant now) {
        Duration allowed = interval.multipliedBy(2);
        if (lastSuccess == null) {
            return Duration.between(startedAt, now).compareTo(allowed) > 0
                    ? "no successful Dialfire import since the start " + Duration.between(startedAt, now).toMinutes() + " min ago"
                    : null;
        }
        Duration age = Duration.between(lastSuccess, now);
        return age.compareTo(allowed) > 0
                ? "last successful Dialfire import " + age.toMinutes() + " min ago (allowed: " + allowed.toMinutes() + " min)"
                : null;
    }
}
