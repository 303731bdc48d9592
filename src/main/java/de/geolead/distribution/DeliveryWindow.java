package de.geolead.distribution;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Business hours in which leads may be delivered, as wall-clock times in one time zone,
 * e.g. {@code 07:00-20:00} in Europe/Berlin. The start is inclusive, the end exclusive.
 *
 * <p>{@code 00:00-24:00} means always open. A start after the end is an overnight window:
 * {@code 22:00-06:00} is open from 22:00 until 06:00 the next morning.
 */
public final class DeliveryWindow {

    /** The zone of {@link #always()}; the business runs on German time. */
    public static final ZoneId DEFAULT_ZONE = ZoneId.of("Europe/Berlin");

    private static final int MINUTES_PER_DAY = 24 * 60;

    private static final Pattern SPEC = Pattern.compile("(\\d{2}):(\\d{2})-(\\d{2}):(\\d{2})");

    private static final String EXPECTED =
            "GEOLEAD_DELIVERY_WINDOW must be HH:MM-HH:MM, e.g. 07:00-20:00, 22:00-06:00 (overnight)"
                    + " or 00:00-24:00 (always open)";

    /** Minutes after midnight, 0..1439. */
    private final int startMinute;
    /** Minutes after midnight, 0..1440 (24:00). */
    private final int endMinute;
    private final ZoneId zone;

    private DeliveryWindow(int startMinute, int endMinute, ZoneId zone) {
        this.startMinute = startMinute;
        this.endMinute = endMinute;
        this.zone = zone;
    }

    /**
     * Parses {@code HH:MM-HH:MM} (surrounding whitespace ignored). The start is 00:00..23:59,
     * the end 00:00..24:00, and they must differ.
     *
     * @throws IllegalArgumentException naming GEOLEAD_DELIVERY_WINDOW and the expected format
     */
    public static DeliveryWindow parse(String spec, ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        Matcher m = SPEC.matcher(spec == null ? "" : spec.strip());
        if (!m.matches()) {
            throw invalid(spec);
        }
        int start = minuteOfDay(m.group(1), m.group(2));
        int end = minuteOfDay(m.group(3), m.group(4));
        if (start < 0 || start >= MINUTES_PER_DAY || end < 0 || start == end) {
            throw invalid(spec);
        }
        return new DeliveryWindow(start, end, zone);
    }

    /** A window that is always open: {@code 00:00-24:00} in {@link #DEFAULT_ZONE}. */
    public static DeliveryWindow always() {
        return new DeliveryWindow(0, MINUTES_PER_DAY, DEFAULT_ZONE);
    }

    /** True if the wall-clock time of {@code t} in this window's zone lies inside the window. */
    public boolean isOpen(Instant t) {
        ZonedDateTime local = t.atZone(zone);
        // The boundaries are whole minutes, so comparing whole minutes is exact.
        int minute = local.getHour() * 60 + local.getMinute();
        if (startMinute < endMinute) {
            return minute >= startMinute && minute < endMinute;
        }
        return minute >= startMinute || minute < endMinute; // overnight
    }

    /**
     * {@code t} itself if the window is open then, otherwise the next instant at which it opens.
     * If the opening time falls into the hour skipped when clocks go forward, the window opens
     * at the first instant after the skip; if it falls into the hour repeated when clocks go
     * back, it opens at the first of the two.
     */
    public Instant nextOpening(Instant t) {
        if (isOpen(t)) {
            return t;
        }
        LocalDate day = LocalDate.ofInstant(t, zone);
        // Today's opening may be past already; tomorrow's may lie in a skipped hour; the day after is certain.
        for (int i = 0; i <= 2; i++) {
            for (Instant opening : openingsOn(day.plusDays(i))) {
                if (opening.isAfter(t) && isOpen(opening)) {
                    return opening;
                }
            }
        }
        throw new IllegalStateException("No opening of " + this + " within two days after " + t);
    }

    /** For example {@code "07:00-20:00 Europe/Berlin"}. */
    @Override
    public String toString() {
        return format(startMinute) + "-" + format(endMinute) + " " + zone.getId();
    }

    /**
     * The instants at which the start time occurs on {@code day}: usually one, the first instant
     * after the skip if the start time is skipped, and both occurrences if it is repeated.
     */
    private List<Instant> openingsOn(LocalDate day) {
        LocalDateTime opening = day.atTime(LocalTime.of(startMinute / 60, startMinute % 60));
        ZoneOffsetTransition transition = zone.getRules().getTransition(opening);
        if (transition == null) {
            return List.of(opening.atZone(zone).toInstant());
        }
        if (transition.isGap()) {
            return List.of(transition.getInstant());
        }
        return List.of(opening.toInstant(transition.getOffsetBefore()),
                opening.toInstant(transition.getOffsetAfter()));
    }

    /** Minutes after midnight, or -1 if the time is not 00:00..24:00. */
    private static int minuteOfDay(String hours, String minutes) {
        int h = Integer.parseInt(hours);
        int m = Integer.parseInt(minutes);
        if (m > 59 || h > 24 || (h == 24 && m != 0)) {
            return -1;
        }
        return h * 60 + m;
    }

    private static String format(int minuteOfDay) {
        return String.format("%02d:%02d", minuteOfDay / 60, minuteOfDay % 60);
    }

    private static IllegalArgumentException invalid(String spec) {
        return new IllegalArgumentException(EXPECTED + "; start and end must differ; got '" + spec + "'");
    }
}
