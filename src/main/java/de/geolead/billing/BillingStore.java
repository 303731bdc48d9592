package de.geolead.billing;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Customers, subscriptions, Stripe events and the status history in PostgreSQL. Every status change
 * of a customer or a subscription is written to {@code status_history} in the same transaction.
 */
public class BillingStore {

    /** What applying a subscription changed; {@code ignoredReason} is set when nothing was applied. */
    public record Applied(long subscriptionRowId, String oldStatus, String newStatus, String customerOldStatus,
                          String customerNewStatus, String ignoredReason) {
        public boolean changed() {
            return ignoredReason == null && (!newStatus.equals(oldStatus) || !customerNewStatus.equals(customerOldStatus));
        }
    }

    private final DataSource dataSource;

    public BillingStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    // ------------------------------------------------------------------ events

    /** Stores a verified event; false if its id is known already (Stripe delivers twice). */
    public boolean recordEvent(String eventId, String type, String apiVersion, String payload) {
        String sql = "INSERT INTO stripe_events (event_id, type, api_version, payload) VALUES (?, ?, ?, ?::jsonb) ON CONFLICT (event_id) DO NOTHING";
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, eventId);
                ps.setString(2, type);
                ps.setString(3, apiVersion);
                ps.setString(4, payload);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** The stored status of an event ({@code received}, {@code processed}, …), if known. */
    public Optional<String> eventStatus(String eventId) {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT status FROM stripe_events WHERE event_id = ?")) {
                ps.setString(1, eventId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    public Optional<String> eventPayload(String eventId) {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT payload::text FROM stripe_events WHERE event_id = ?")) {
                ps.setString(1, eventId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    public void markEvent(String eventId, String status, String reason) {
        run(c -> update(c, "UPDATE stripe_events SET status = ?, reason = ?, processed_at = now() WHERE event_id = ?",
                status, reason, eventId));
    }

    // ------------------------------------------------------------------ customers

    /**
     * Creates or links the customer with this Stripe id: by Stripe id, else by e-mail (an agent known
     * before the checkout), else new. Returns the customer's id.
     */
    public long upsertCustomer(String stripeCustomerId, String name, String email) {
        String address = email == null || email.isBlank() ? stripeCustomerId + "@stripe.invalid" : email.trim().toLowerCase();
        String displayName = name == null || name.isBlank() ? address : name.trim();
        return run(c -> {
            Optional<Long> byStripe = id(c, "SELECT id FROM customers WHERE stripe_customer_id = ? FOR UPDATE", stripeCustomerId);
            if (byStripe.isPresent()) {
                update(c, "UPDATE customers SET name = ?, email = ? WHERE id = ? AND NOT EXISTS "
                        + "(SELECT 1 FROM customers o WHERE o.email = ? AND o.id <> ?)", displayName, address, byStripe.get(), address, byStripe.get());
                return byStripe.get();
            }
            Optional<Long> byEmail = id(c, "SELECT id FROM customers WHERE lower(email) = ? AND stripe_customer_id IS NULL FOR UPDATE", address);
            if (byEmail.isPresent()) {
                update(c, "UPDATE customers SET stripe_customer_id = ?, name = ? WHERE id = ?", stripeCustomerId, displayName, byEmail.get());
                return byEmail.get();
            }
            return id(c, "INSERT INTO customers (name, email, stripe_customer_id) VALUES (?, ?, ?) RETURNING id",
                    displayName, address, stripeCustomerId).orElseThrow();
        });
    }

    public Optional<Long> customerIdByStripeId(String stripeCustomerId) {
        return run(c -> id(c, "SELECT id FROM customers WHERE stripe_customer_id = ?", stripeCustomerId));
    }

    public void recordPayment(long customerId, Instant paidAt) {
        run(c -> update(c, "UPDATE customers SET last_payment_date = GREATEST(COALESCE(last_payment_date, ?), ?) WHERE id = ?",
                Timestamp.from(paidAt), Timestamp.from(paidAt), customerId));
    }

    /** Customers linked to Stripe: id → Stripe customer id. */
    public List<Map.Entry<Long, String>> stripeCustomers() {
        return run(c -> {
            List<Map.Entry<Long, String>> customers = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, stripe_customer_id FROM customers WHERE stripe_customer_id IS NOT NULL ORDER BY id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    customers.add(Map.entry(rs.getLong(1), rs.getString(2)));
                }
            }
            return customers;
        });
    }

    // ------------------------------------------------------------------ subscriptions

    /**
     * Mirrors one Stripe subscription into its row (keyed by Stripe id, else by customer and PLZ) and
     * recomputes the customer's status, in one transaction, with history rows for every change.
     * A worse subscription never replaces a better one that another Stripe subscription holds for the same PLZ.
     */
    public Applied applySubscription(long customerId, SubscriptionFacts facts, String source, String eventId) {
        return run(c -> {
            String newStatus = facts.ourStatus();
            Row row = row(c, "SELECT id, status, stripe_subscription_id FROM subscriptions WHERE stripe_subscription_id = ? FOR UPDATE",
                    facts.stripeSubscriptionId());
            if (row == null) {
                row = row(c, "SELECT id, status, stripe_subscription_id FROM subscriptions WHERE customer_id = ? AND plz = ? FOR UPDATE",
                        customerId, facts.plz());
                if (row != null && row.stripeId != null && StripeStatus.rank(row.status) > StripeStatus.rank(newStatus)) {
                    String customerStatus = customerStatus(c, customerId);
                    return new Applied(row.id, row.status, row.status, customerStatus, customerStatus,
                            "PLZ " + facts.plz() + " is held by the better subscription " + row.stripeId);
                }
            }
            long rowId;
            String oldStatus;
            if (row == null) {
                rowId = id(c, "INSERT INTO subscriptions (customer_id, plz, start_date, end_date, status, stripe_subscription_id, stripe_status, current_period_end) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        customerId, facts.plz(), ts(facts.startDate() == null ? Instant.now() : facts.startDate()), ts(facts.endDate()),
                        newStatus, facts.stripeSubscriptionId(), facts.stripeStatus(), ts(facts.currentPeriodEnd())).orElseThrow();
                oldStatus = null;
            } else {
                rowId = row.id;
                oldStatus = row.status;
                update(c, "UPDATE subscriptions SET customer_id = ?, plz = ?, start_date = COALESCE(?, start_date), end_date = ?, status = ?, "
                                + "stripe_subscription_id = ?, stripe_status = ?, current_period_end = ?, updated_at = now() WHERE id = ?",
                        customerId, facts.plz(), ts(facts.startDate()), ts(facts.endDate()), newStatus, facts.stripeSubscriptionId(),
                        facts.stripeStatus(), ts(facts.currentPeriodEnd()), rowId);
            }
            if (!newStatus.equals(oldStatus)) {
                history(c, "subscription", rowId, oldStatus, newStatus, source, eventId);
            }
            String customerOld = customerStatus(c, customerId);
            String customerNew = recomputeCustomer(c, customerId, source, eventId);
            return new Applied(rowId, oldStatus, newStatus, customerOld, customerNew, null);
        });
    }

    /** Recomputes a customer's status from its subscriptions; true if it changed. */
    public boolean recomputeCustomer(long customerId, String source, String eventId) {
        return run(c -> {
            String before = customerStatus(c, customerId);
            return !recomputeCustomer(c, customerId, source, eventId).equals(before);
        });
    }

    private String recomputeCustomer(Connection c, long customerId, String source, String eventId) throws SQLException {
        String current = customerStatus(c, customerId);
        List<String> statuses = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT status FROM subscriptions WHERE customer_id = ?")) {
            ps.setLong(1, customerId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    statuses.add(rs.getString(1));
                }
            }
        }
        String computed = StripeStatus.customer(statuses);
        if (!computed.equals(current)) {
            update(c, "UPDATE customers SET status = ? WHERE id = ?", computed, customerId);
            history(c, "customer", customerId, current, computed, source, eventId);
        }
        return computed;
    }

    public void recordJobRun(String job, String summary) {
        run(c -> update(c, "INSERT INTO job_runs (job, last_success_at, last_summary) VALUES (?, now(), ?) "
                + "ON CONFLICT (job) DO UPDATE SET last_success_at = now(), last_summary = EXCLUDED.last_summary", job, summary));
    }

    // ------------------------------------------------------------------ plumbing

    private static String customerStatus(Connection c, long customerId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT status FROM customers WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, customerId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalArgumentException("No customer " + customerId);
                }
                return rs.getString(1);
            }
        }
    }

    private static void history(Connection c, String entity, long id, String oldStatus, String newStatus, String source, String eventId) throws SQLException {
        update(c, "INSERT INTO status_history (entity, entity_id, old_status, new_status, source, event_id) VALUES (?, ?, ?, ?, ?, ?)",
                entity, id, oldStatus, newStatus, source, eventId);
    }

    private record Row(long id, String status, String stripeId) {}

    private static Row row(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new Row(rs.getLong(1), rs.getString(2), rs.getString(3)) : null;
        }
    }

    private static Optional<Long> id(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
        }
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }

    private static Timestamp ts(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }

    private interface Work<T> {
        T apply(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction. */
    private <T> T run(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Billing database work failed: " + e.getMessage(), e);
        }
    }
}
