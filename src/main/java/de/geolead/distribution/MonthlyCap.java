package de.geolead.distribution;

import org.springframework.jdbc.core.simple.JdbcClient;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An agent's monthly cap ({@code customers.monthly_cap}, set through {@code PUT /api/customers/{id}/cap}): how many
 * leads the agent gets per calendar month in GEOLEAD_DELIVERY_ZONE; null = no cap. An agent at the cap is not
 * eligible for new leads until the month ends, so the rotation moves on to the others.
 *
 * <p>What counts: the agent's planned and manual mails ({@code kind <> 'resend'}) created since the start of the
 * month whose status is {@code pending}, {@code sending} or {@code sent} ({@link #COUNTED_MAILS}); a skipped or
 * failed mail and a resend never count. {@code sql/eligible-agents.sql} leaves agents at the cap out (the route
 * passes {@link #monthStart()} as header {@code monthStart}); {@link #withinCap} checks again in the planning
 * transaction under a lock on the capped agents' rows, so two leads of different PLZs planned at the same moment for
 * an agent one below the cap cannot both pass.
 */
public final class MonthlyCap {

    /** The condition on {@code lead_distributions d} that makes a mail count towards the cap (and "leads this month"). */
    public static final String COUNTED_MAILS = "d.kind <> 'resend' AND d.status IN ('pending', 'sending', 'sent')";

    private final ZoneId zone;
    private final Clock clock;

    public MonthlyCap(ZoneId zone, Clock clock) {
        this.zone = Objects.requireNonNull(zone, "zone");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The first instant of the calendar month that {@code now} falls in, in {@code zone}. */
    public static Instant startOfMonth(Instant now, ZoneId zone) {
        LocalDate first = now.atZone(zone).toLocalDate().withDayOfMonth(1);
        return first.atStartOfDay(zone).toInstant();
    }

    /** The start of the current month (for SQL parameters). */
    public Timestamp monthStart() {
        return Timestamp.from(currentMonthStart());
    }

    public Instant currentMonthStart() {
        return startOfMonth(clock.instant(), zone);
    }

    public ZoneId zone() {
        return zone;
    }

    /**
     * The candidates still below their cap. Locks the capped candidates' {@code customers} rows until the
     * transaction ends (in id order, so two plannings never deadlock) and counts their mails of this month after
     * the lock: a plan committed meanwhile by another transaction is counted. Call it inside the planning transaction.
     */
    public List<EligibleAgent> withinCap(JdbcClient sql, List<EligibleAgent> candidates) {
        if (candidates.isEmpty()) {
            return candidates;
        }
        Long[] ids = candidates.stream().map(EligibleAgent::customerId).distinct().sorted().toArray(Long[]::new);
        Map<Long, Integer> caps = new HashMap<>();
        sql.sql("SELECT id, monthly_cap FROM customers WHERE id = ANY (?) AND monthly_cap IS NOT NULL ORDER BY id FOR UPDATE")
                .param(ids)
                .query((rs, n) -> Map.entry(rs.getLong(1), rs.getInt(2)))
                .list().forEach(e -> caps.put(e.getKey(), e.getValue()));
        if (caps.isEmpty()) {
            return candidates;
        }
        Map<Long, Long> counted = new HashMap<>();
        sql.sql("SELECT d.customer_id, count(*) FROM lead_distributions d WHERE d.customer_id = ANY (?) AND "
                        + COUNTED_MAILS + " AND d.created_at >= ? GROUP BY d.customer_id")
                .params(caps.keySet().toArray(Long[]::new), monthStart())
                .query((rs, n) -> Map.entry(rs.getLong(1), rs.getLong(2)))
                .list().forEach(e -> counted.put(e.getKey(), e.getValue()));
        return candidates.stream()
                .filter(a -> !caps.containsKey(a.customerId()) || counted.getOrDefault(a.customerId(), 0L) < caps.get(a.customerId()))
                .toList();
    }
}
