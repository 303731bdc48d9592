package de.geolead.customers;

import de.geolead.api.ApiProblem;
import de.geolead.api.ApiUser;
import de.geolead.api.AuditLog;
import de.geolead.api.Requests;
import de.geolead.db.Database;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent controls of the operations API: pause ({@code PUT /api/customers/{id}/pause} {@code {until}}), end a pause
 * ({@code DELETE …/pause}) and the monthly cap ({@code PUT …/cap} {@code {monthly}}). Each change and its
 * {@code audit_log} row are written in one transaction on the locked customer row; bad input is a 400 and a missing
 * agent a 404, and then nothing is written.
 *
 * <p>What a pause means is the distribution's rule (view {@code eligible_coverage}, {@code DeliveryCheck}): a paused
 * agent gets no new leads, and their pending mails that fall due during the pause are skipped and passed on.
 * What the cap means: {@link de.geolead.distribution.MonthlyCap}.
 */
public final class CustomerControls {

    public static final String PAUSE = "customer.pause";
    public static final String UNPAUSE = "customer.unpause";
    public static final String CAP = "customer.cap";
    /** The highest monthly cap; more is a typo. */
    public static final int MAX_CAP = 100_000;
    /** The longest pause: further ahead is a typo (and beyond PostgreSQL's timestamps soon enough). */
    public static final Duration MAX_PAUSE = Duration.ofDays(3653);

    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");
    private static final String UNTIL_FORMATS = "an ISO-8601 instant (2026-12-24T08:00:00Z, or with an offset) "
            + "or a date (2026-12-24: the start of that day in GEOLEAD_DELIVERY_ZONE)";

    private final Database db;
    private final AuditLog audit;
    private final ZoneId zone;
    private final Clock clock;

    public CustomerControls(Database db, AuditLog audit, ZoneId zone, Clock clock) {
        this.db = db;
        this.audit = audit;
        this.zone = zone;
        this.clock = clock;
    }

    /** Pauses the agent until {@code body.until}, which must lie in the future. */
    public CustomerChange pause(String id, Object body, ApiUser actor) {
        long customerId = CustomerIds.parse(id);
        if (!(body instanceof Requests.Pause request)) {
            throw ApiProblem.badRequest("send a JSON body {\"until\": …}: " + UNTIL_FORMATS);
        }
        Instant until = pauseUntil(request.until(), zone, clock.instant());
        return db.inTransaction("Pausing customer " + customerId, () -> {
            Instant before = lockPausedUntil(customerId).orElse(null);
            if (until.equals(before)) {
                return new CustomerChange(PAUSE, customerId, actor.name(), false, paused(before), paused(until));
            }
            db.sql().sql("UPDATE customers SET paused_until = ? WHERE id = ?").params(Timestamp.from(until), customerId).update();
            audit.record(actor, PAUSE, AuditLog.CUSTOMER, customerId, state("pausedUntil", iso(before)), state("pausedUntil", iso(until)));
            return new CustomerChange(PAUSE, customerId, actor.name(), true, paused(before), paused(until));
        });
    }

    /** Ends the agent's pause; an agent without one is left as it is (no audit row). */
    public CustomerChange unpause(String id, ApiUser actor) {
        long customerId = CustomerIds.parse(id);
        return db.inTransaction("Ending the pause of customer " + customerId, () -> {
            Instant before = lockPausedUntil(customerId).orElse(null);
            if (before == null) {
                return new CustomerChange(UNPAUSE, customerId, actor.name(), false, paused(null), paused(null));
            }
            db.sql().sql("UPDATE customers SET paused_until = NULL WHERE id = ?").param(customerId).update();
            audit.record(actor, UNPAUSE, AuditLog.CUSTOMER, customerId, state("pausedUntil", iso(before)), state("pausedUntil", null));
            return new CustomerChange(UNPAUSE, customerId, actor.name(), true, paused(before), paused(null));
        });
    }

    /** Sets the agent's monthly cap: an integer 0…{@value #MAX_CAP}, or null for no cap. */
    public CustomerChange cap(String id, Object body, ApiUser actor) {
        long customerId = CustomerIds.parse(id);
        if (!(body instanceof Requests.Cap request)) {
            throw ApiProblem.badRequest("send a JSON body {\"monthly\": …}: an integer from 0 to " + MAX_CAP + ", or null for no cap");
        }
        Integer monthly = request.monthly();
        if (monthly != null && (monthly < 0 || monthly > MAX_CAP)) {
            throw ApiProblem.badRequest("monthly must be an integer from 0 to " + MAX_CAP + ", or null for no cap; got " + monthly);
        }
        return db.inTransaction("Capping customer " + customerId, () -> {
            Optional<Optional<Integer>> row = db.sql().sql("SELECT monthly_cap FROM customers WHERE id = ? FOR UPDATE").param(customerId)
                    .query((rs, n) -> {
                        int cap = rs.getInt(1);
                        return rs.wasNull() ? Optional.<Integer>empty() : Optional.of(cap);
                    }).optional();
            Integer before = row.orElseThrow(() -> ApiProblem.notFound("customer", customerId)).orElse(null);
            if (java.util.Objects.equals(before, monthly)) {
                return new CustomerChange(CAP, customerId, actor.name(), false, capped(before), capped(monthly));
            }
            db.sql().sql("UPDATE customers SET monthly_cap = ? WHERE id = ?").params(monthly, customerId).update();
            audit.record(actor, CAP, AuditLog.CUSTOMER, customerId, state("monthlyCap", before), state("monthlyCap", monthly));
            return new CustomerChange(CAP, customerId, actor.name(), true, capped(before), capped(monthly));
        });
    }

    /**
     * The end of a pause from the request: an ISO-8601 instant (with Z or an offset) or an ISO date (the start of that day
     * in {@code zone}), to the microsecond; it must lie after {@code now} and at most {@link #MAX_PAUSE} ahead, else 400.
     */
    static Instant pauseUntil(String until, ZoneId zone, Instant now) {
        if (until == null || until.isBlank()) {
            throw ApiProblem.badRequest("until is required: " + UNTIL_FORMATS);
        }
        Instant at;
        try {
            // PostgreSQL keeps microseconds: the same value sent again is then recognised as unchanged
            at = DATE.matcher(until).matches() ? LocalDate.parse(until).atStartOfDay(zone).toInstant()
                    : OffsetDateTime.parse(until).toInstant().truncatedTo(ChronoUnit.MICROS);
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest("until must be " + UNTIL_FORMATS + "; got '" + CustomerView.shorten(until) + "'");
        }
        if (!at.isAfter(now)) {
            throw ApiProblem.badRequest("until must be in the future; " + until + " is " + at + ", now is " + now);
        }
        if (at.isAfter(now.plus(MAX_PAUSE))) {
            throw ApiProblem.badRequest("until must be at most 10 years ahead; got " + at);
        }
        return at;
    }

    /** Locks the customer row until commit and reads its pause; 404 if there is no such customer. */
    private Optional<Instant> lockPausedUntil(long customerId) {
        return db.sql().sql("SELECT paused_until FROM customers WHERE id = ? FOR UPDATE").param(customerId)
                .query((rs, n) -> Optional.ofNullable(rs.getTimestamp(1)).map(Timestamp::toInstant)).optional()
                .orElseThrow(() -> ApiProblem.notFound("customer", customerId));
    }

    private static Map<String, Object> state(String key, Object value) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put(key, value);
        return state;
    }

    private static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static String paused(Instant until) {
        return until == null ? "not paused" : "paused until " + until;
    }

    private static String capped(Integer monthly) {
        return monthly == null ? "no monthly cap" : "monthly cap " + monthly;
    }
}
