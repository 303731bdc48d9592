package de.geolead.customers;

import de.geolead.api.ApiProblem;
import de.geolead.db.Database;
import de.geolead.returns.ReturnRate;
import de.geolead.distribution.MonthlyCap;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;

/**
 * What the operations API shows of the agents ({@code GET /api/customers}, {@code GET /api/customers/{id}}): status,
 * pause, monthly cap, this month's leads, subscriptions and returns. Read-only; times are ISO-8601 strings.
 *
 * <p>{@code leadsThisMonth} counts what the monthly cap counts ({@link MonthlyCap#COUNTED_MAILS}: planned and manual
 * mails created this calendar month in GEOLEAD_DELIVERY_ZONE that are pending, sending or sent). {@code pausedUntil}
 * is null when the agent is not paused, also when a pause has run out. The returns are those the agent filed in the
 * last 90 days against the leads sent to them in the last 90 days (resends not counted), rate rounded to 3 decimals.
 */
public final class CustomerView {

    /** The customer statuses billing writes ({@code StripeStatus.customer}); the list's {@code status} filter. */
    public static final List<String> STATUSES = List.of("paid", "past_due", "unpaid");

    public record Summary(long id, String name, String status, String pausedUntil, Integer monthlyCap, long leadsThisMonth) {
    }

    public record Subscription(String plz, String status, String startDate, String endDate, String currentPeriodEnd) {
    }

    public record Returns(long last90Days, long leadsLast90Days, double rate) {
    }

    public record Detail(long id, String name, String email, String status, String lastPaymentDate, String pausedUntil,
                         Integer monthlyCap, long leadsThisMonth, List<Subscription> subscriptions, Returns returns) {
    }

    private static final String PAUSED_UNTIL = "CASE WHEN c.paused_until > now() THEN c.paused_until END";
    private static final String LEADS_THIS_MONTH = "(SELECT count(*) FROM lead_distributions d WHERE d.customer_id = c.id AND "
            + MonthlyCap.COUNTED_MAILS + " AND d.created_at >= ?)";

    private final Database db;
    private final MonthlyCap monthlyCap;

    public CustomerView(Database db, MonthlyCap monthlyCap) {
        this.db = db;
        this.monthlyCap = monthlyCap;
    }

    /** Every agent, or those with this billing status, ordered by name and id: {@code {items: [...]}}. */
    public Map<String, List<Summary>> list(String status) {
        String sql = "SELECT c.id, c.name, c.status, " + PAUSED_UNTIL + " AS paused_until, c.monthly_cap, "
                + LEADS_THIS_MONTH + " AS leads_this_month FROM customers c ";
        List<Summary> items;
        if (status == null || status.isEmpty()) {
            items = db.sql().sql(sql + "ORDER BY c.name, c.id").param(monthlyCap.monthStart()).query(CustomerView::summary).list();
        } else {
            if (!STATUSES.contains(status)) {
                throw ApiProblem.badRequest("status must be one of " + String.join(", ", STATUSES) + ", got '" + shorten(status) + "'");
            }
            items = db.sql().sql(sql + "WHERE c.status = ? ORDER BY c.name, c.id").params(monthlyCap.monthStart(), status)
                    .query(CustomerView::summary).list();
        }
        return Map.of("items", items);
    }

    /** One agent with subscriptions and returns; 400 for an id that is no number, 404 for an unknown one. */
    public Detail detail(String id) {
        long customerId = CustomerIds.parse(id);
        record Contact(Summary summary, String email, String lastPaymentDate) {
        }
        Contact agent = db.sql().sql("SELECT c.id, c.name, c.status, " + PAUSED_UNTIL + " AS paused_until, c.monthly_cap, "
                        + LEADS_THIS_MONTH + " AS leads_this_month, c.email, c.last_payment_date FROM customers c WHERE c.id = ?")
                .params(monthlyCap.monthStart(), customerId)
                .query((rs, n) -> new Contact(summary(rs, n), rs.getString("email"), iso(rs.getTimestamp("last_payment_date"))))
                .optional().orElseThrow(() -> ApiProblem.notFound("customer", customerId));
        List<Subscription> subscriptions = db.sql().sql("SELECT plz, status, start_date, end_date, current_period_end "
                        + "FROM subscriptions WHERE customer_id = ? ORDER BY plz, id").param(customerId)
                .query((rs, n) -> new Subscription(rs.getString(1), rs.getString(2), iso(rs.getTimestamp(3)),
                        iso(rs.getTimestamp(4)), iso(rs.getTimestamp(5)))).list();
        ReturnRate.Counts counts = ReturnRate.of(db, customerId, Instant.now());
        Returns returns = new Returns(counts.returns(), counts.leads(), counts.rate().doubleValue());
        Summary s = agent.summary();
        return new Detail(s.id(), s.name(), agent.email(), s.status(), agent.lastPaymentDate(), s.pausedUntil(), s.monthlyCap(),
                s.leadsThisMonth(), subscriptions, returns);
    }

    private static Summary summary(ResultSet rs, int n) throws SQLException {
        int cap = rs.getInt("monthly_cap");
        Integer monthlyCap = rs.wasNull() ? null : cap;
        return new Summary(rs.getLong("id"), rs.getString("name"), rs.getString("status"), iso(rs.getTimestamp("paused_until")),
                monthlyCap, rs.getLong("leads_this_month"));
    }

    static String iso(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant().toString();
    }

    /** A caller's value quoted in an answer, cut short. */
    static String shorten(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "…" : value;
    }
}
