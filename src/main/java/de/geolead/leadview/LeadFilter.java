package de.geolead.leadview;

import de.geolead.api.ApiProblem;
import de.geolead.lead.LeadStatus;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The query of {@code GET /api/leads}, checked: {@code status} one of the lead statuses; {@code plz} 1–5 digits, an
 * exact PLZ or a prefix ({@code 80} = 80000–80999); {@code from}/{@code to} an ISO date ({@code 2026-11-28}, a whole
 * day in GEOLEAD_DELIVERY_ZONE, {@code to} inclusive) or an ISO instant ({@code 2026-11-28T09:00:00Z}, {@code to}
 * inclusive), {@code from} not after {@code to}; {@code limit} 1–200, default 50; {@code cursor} as handed out.
 * Anything else is a 400 naming the parameter.
 */
public record LeadFilter(String status, String plzPrefix, Instant from, Instant toExclusive, int limit, LeadCursor after) {

    /**
     * Every value of {@code leads.status}; 'parked' = kept out of distribution by hand (migration V11), 'no_consent' =
     * without consent in DIALFIRE_CONSENT_FIELD (V14).
     */
    public static final List<String> STATUSES = List.of(LeadStatus.PENDING, LeadStatus.DISTRIBUTED, LeadStatus.UNASSIGNED,
            LeadStatus.EXPIRED, LeadStatus.UNROUTABLE, LeadStatus.PDF_MISSING, LeadStatus.INVALID, "parked", LeadStatus.NO_CONSENT);
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 200;

    private static final Pattern PLZ = Pattern.compile("\\d{1,5}");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    /** Checks the raw query parameters (null or empty = not given). */
    public static LeadFilter of(String status, String plz, String from, String to, String limit, String cursor, ZoneId zone) {
        String s = blankToNull(status);
        if (s != null && !STATUSES.contains(s)) {
            throw ApiProblem.badRequest("status must be one of " + String.join(", ", STATUSES));
        }
        String p = blankToNull(plz);
        if (p != null && !PLZ.matcher(p).matches()) {
            throw ApiProblem.badRequest("plz must be 1 to 5 digits: a PLZ or its beginning (80 = 80000-80999)");
        }
        Instant start = from(blankToNull(from), zone);
        Instant end = toExclusive(blankToNull(to), zone);
        if (start != null && end != null && !start.isBefore(end)) {
            throw ApiProblem.badRequest("from (" + from + ") is after to (" + to + ")");
        }
        return new LeadFilter(s, p, start, end, limit(blankToNull(limit)), LeadCursor.decode(blankToNull(cursor)));
    }

    private static Instant from(String value, ZoneId zone) {
        if (value == null) {
            return null;
        }
        return DATE.matcher(value).matches() ? date("from", value).atStartOfDay(zone).toInstant() : instant("from", value);
    }

    /** The first instant after {@code to}: the next day's start for a date, one microsecond (the stored precision) on for an instant. */
    private static Instant toExclusive(String value, ZoneId zone) {
        if (value == null) {
            return null;
        }
        if (DATE.matcher(value).matches()) {
            return date("to", value).plusDays(1).atStartOfDay(zone).toInstant();
        }
        return instant("to", value).truncatedTo(ChronoUnit.MICROS).plus(1, ChronoUnit.MICROS);
    }

    private static LocalDate date(String name, String value) {
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest(name + " must be an ISO date (2026-11-28) or instant (2026-11-28T09:00:00Z), got " + quoted(value));
        }
    }

    private static Instant instant(String name, String value) {
        try {
            return Instant.parse(value);
        } catch (DateTimeException e) {
            throw ApiProblem.badRequest(name + " must be an ISO date (2026-11-28) or instant (2026-11-28T09:00:00Z), got " + quoted(value));
        }
    }

    private static int limit(String value) {
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT + ", got " + quoted(value));
    }

    /** A caller's value in a detail: at most 40 characters, control characters dropped. */
    static String quoted(String value) {
        String clean = value.replaceAll("\\p{Cntrl}", "");
        return "'" + (clean.length() > 40 ? clean.substring(0, 40) + "…" : clean) + "'";
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
