package de.geolead.returns;

import de.geolead.db.Database;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

/**
 * An agent's return rate, the one definition the abuse guard ({@link ReturnDesk}), the returns' answers and the agent's
 * detail ({@code GET /api/customers/{id}}) share: the returns the agent filed in the last {@link #PERIOD} divided by
 * the leads sent to them in that time (planned or manual mails that are {@code sent}; resends do not count), rounded
 * half up to 3 decimals; 0 without leads.
 */
public final class ReturnRate {

    public static final Duration PERIOD = Duration.ofDays(90);

    /** The two counts and their rate. */
    public record Counts(long returns, long leads) {
        public BigDecimal rate() {
            return ReturnRate.rate(returns, leads);
        }
    }

    private ReturnRate() {
    }

    /** SQL: the returns filed by the agent {@code customerId} (an SQL expression) since the one parameter it takes. */
    static String returnsSince(String customerId) {
        return "(SELECT count(*) FROM lead_returns rr WHERE rr.customer_id = " + customerId + " AND rr.filed_at >= ?)";
    }

    /** SQL: the leads sent to the agent {@code customerId} (an SQL expression) since the one parameter it takes. */
    static String leadsSince(String customerId) {
        return "(SELECT count(*) FROM lead_distributions rd WHERE rd.customer_id = " + customerId
                + " AND rd.kind <> 'resend' AND rd.status = 'sent' AND rd.sent_at >= ?)";
    }

    /** Where the period of a rate read at {@code now} begins. */
    static Timestamp since(Instant now) {
        return Timestamp.from(now.minus(PERIOD));
    }

    /** The agent's counts over the {@link #PERIOD} before {@code now}. */
    public static Counts of(Database db, long customerId, Instant now) {
        Timestamp since = since(now);
        return db.sql().sql("SELECT " + returnsSince("?") + ", " + leadsSince("?"))
                .params(customerId, since, customerId, since)
                .query((rs, n) -> new Counts(rs.getLong(1), rs.getLong(2))).single();
    }

    /** returns / leads rounded half up to 3 decimals; 0 without leads. */
    public static BigDecimal rate(long returns, long leads) {
        return leads == 0 ? BigDecimal.ZERO.setScale(3)
                : BigDecimal.valueOf(returns).divide(BigDecimal.valueOf(leads), 3, RoundingMode.HALF_UP);
    }
}
