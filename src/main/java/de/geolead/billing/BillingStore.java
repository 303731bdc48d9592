package de.geolead.billing;

import de.geolead.db.Database;
import de.geolead.db.JobRuns;
import org.springframework.jdbc.core.RowMapper;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Customers, subscriptions, Stripe events and the status history in PostgreSQL, through the shared {@link Database}.
 * Every status change of a customer or a subscription is written to {@code status_history} in the same transaction.
 * A database failure is thrown with only its SQLState: PostgreSQL's message may quote values (an agent's e-mail).
 */
public class BillingStore {

    /** What applying a subscription changed; {@code ignoredReason} is set when nothing was applied. */
    public record Applied(long subscriptionRowId, String oldStatus, String newStatus, String customerOldStatus,
                          String customerNewStatus, String ignoredReason) {
        public boolean changed() {
            return ignoredReason == null && (!newStatus.equals(oldStatus) || !customerNewStatus.equals(customerOldStatus));
        }
    }

    /** The lease of an attempt at a Stripe event when none is given: longer than the default chain of Stripe calls. */
    public static final Duration DEFAULT_EVENT_LEASE = Duration.ofMinutes(10);

    private final Database database;
    private final Duration eventLease;

    public BillingStore(Database database) {
        this(database, DEFAULT_EVENT_LEASE);
    }

    /**
     * @param eventLease how long a started attempt at a Stripe event belongs to it ({@code processing_until}): no other
     *                   consumer, sweep or instance takes the event meanwhile; it must be longer than the longest chain
     *                   of Stripe API calls of one event, so only an attempt that died lets it expire
     */
    public BillingStore(Database database, Duration eventLease) {
        this.database = database;
        this.eventLease = eventLease;
    }

    /** SQL: the event is not leased by a running attempt. */
    private static final String NOT_LEASED = "(processing_until IS NULL OR processing_until <= now())";

    // ------------------------------------------------------------------ events

    /** Stores a verified event; false if its id is known already (Stripe delivers twice). */
    public boolean recordEvent(String eventId, String type, String apiVersion, String payload) {
        return single(() -> update("INSERT INTO stripe_events (event_id, type, api_version, payload) VALUES (?, ?, ?, ?::jsonb) "
                + "ON CONFLICT (event_id) DO NOTHING", eventId, type, apiVersion, payload) == 1);
    }

    /** The type of a stored event (what the route {@code stripe-event} dispatches on); empty for an unknown id. */
    public Optional<String> eventType(String eventId) {
        return run(() -> database.sql().sql("SELECT type FROM stripe_events WHERE event_id = ?").param(eventId)
                .query(String.class).optional());
    }

    /**
     * An event to process: its payload; or (payload null) the status that says it needs nothing more, or
     * {@code inProgress}: another attempt holds it right now.
     */
    public record Attempt(String status, String payload, boolean inProgress) {}

    /**
     * Starts an attempt at an event that still needs processing ({@code received} or {@code failed}) and nobody else
     * works on: counts it, leases the event to it for the event lease and returns its payload. For an event leased by
     * a running attempt, a finished or an unknown event: only its status (or empty). {@link #markEvent} ends the lease.
     */
    public Optional<Attempt> startAttempt(String eventId) {
        return run(() -> {
            Optional<Attempt> started = rows((rs, n) -> new Attempt(rs.getString(1), rs.getString(2), false),
                    "UPDATE stripe_events SET attempts = attempts + 1, last_attempt_at = now(), "
                            + "processing_until = now() + ?::interval WHERE event_id = ? AND status IN ('received', 'failed') AND "
                            + NOT_LEASED + " RETURNING status, payload::text", interval(eventLease), eventId).stream().findFirst();
            if (started.isPresent()) {
                return started;
            }
            return rows((rs, n) -> new Attempt(rs.getString(1), null, rs.getBoolean(2)),
                    "SELECT status, status IN ('received', 'failed') AND NOT " + NOT_LEASED + " FROM stripe_events WHERE event_id = ?",
                    eventId).stream().findFirst();
        });
    }

    /**
     * Whether an event still needs processing and nobody works on it now: {@code received} or {@code failed}
     * (the hand-over to the queue or the processing failed) and not leased by a running attempt.
     */
    public boolean processingOwed(String eventId) {
        return single(() -> id("SELECT 1 FROM stripe_events WHERE event_id = ? AND status IN ('received', 'failed') AND "
                + NOT_LEASED, eventId).isPresent());
    }

    /**
     * Claims up to {@code limit} events for the sweep: {@code received} or {@code failed}, received within
     * {@code retryFor}, not attempted (or received) within {@code grace}, and not leased by a running attempt (one
     * that died is taken once its lease ran out). The claim sets the last attempt, so a second sweep (another
     * instance) leaves them alone for {@code grace}.
     */
    public List<String> claimUnprocessedEvents(Duration retryFor, Duration grace, int limit) {
        String sql = "UPDATE stripe_events SET last_attempt_at = now() WHERE event_id IN ("
                + "SELECT event_id FROM stripe_events WHERE status IN ('received', 'failed') AND given_up_at IS NULL "
                + "AND received_at >= now() - ?::interval AND COALESCE(last_attempt_at, received_at) <= now() - ?::interval "
                + "AND " + NOT_LEASED + " ORDER BY received_at LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING event_id";
        return run(() -> rows((rs, n) -> rs.getString(1), sql, interval(retryFor), interval(grace), limit));
    }

    /** An event the sweep gave up on. */
    public record GivenUp(String eventId, String type, int attempts, String reason) {}

    /**
     * Gives up on events still {@code received} or {@code failed} more than {@code retryFor} after they were
     * received: they stay {@code failed} with the reason and {@code given_up_at}. Each is returned once.
     */
    public List<GivenUp> giveUpOldEvents(Duration retryFor) {
        String sql = "UPDATE stripe_events SET status = 'failed', given_up_at = now(), "
                + "reason = COALESCE(reason, 'never processed') || ' - given up ' || ? || ' after it was received' "
                + "WHERE status IN ('received', 'failed') AND given_up_at IS NULL AND received_at < now() - ?::interval "
                + "AND " + NOT_LEASED + " RETURNING event_id, type, attempts, reason";
        return run(() -> rows((rs, n) -> new GivenUp(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4)),
                sql, iso(retryFor), interval(retryFor)));
    }

    /** The outcome of an attempt; it ends the attempt's lease. */
    public void markEvent(String eventId, String status, String reason) {
        run(() -> update("UPDATE stripe_events SET status = ?, reason = ?, processed_at = now(), processing_until = NULL WHERE event_id = ?",
                status, reason, eventId));
    }

    // ------------------------------------------------------------------ customers

    /** Thrown inside {@link #linkStripeCustomer}'s transaction to roll it back: another event linked the customer meanwhile. */
    private static final class LinkedConcurrently extends RuntimeException {
        LinkedConcurrently() {
            super(null, null, false, false);
        }
    }

    /**
     * The agent of a Stripe customer, creating or linking it: known Stripe customer → its agent; else an agent
     * with the same e-mail (the agent's second checkout, or an agent known before the checkout) → linked to it,
     * the agent's name and e-mail unchanged; else a new agent from the Stripe customer's details.
     */
    public long linkStripeCustomer(String stripeCustomerId, String name, String email) {
        String address = address(stripeCustomerId, email);
        String displayName = displayName(name, address);
        try {
            return run(() -> {
                Optional<Long> known = agentOf(stripeCustomerId);
                if (known.isPresent()) {
                    return known.get();
                }
                Optional<Long> byEmail = id("SELECT id FROM customers WHERE lower(email) = ? ORDER BY id LIMIT 1 FOR UPDATE", address);
                String origin = "linked";
                long customerId;
                if (byEmail.isPresent()) {
                    customerId = byEmail.get();
                    update("UPDATE customers SET stripe_customer_id = ? WHERE id = ? AND stripe_customer_id IS NULL", stripeCustomerId, customerId);
                } else {
                    // ON CONFLICT: another Stripe customer with this e-mail was linked at the same moment
                    Optional<Long> created = id("INSERT INTO customers (name, email, stripe_customer_id) VALUES (?, ?, ?) "
                            + "ON CONFLICT (email) DO NOTHING RETURNING id", displayName, address, stripeCustomerId);
                    customerId = created.isPresent() ? created.get()
                            : id("SELECT id FROM customers WHERE email = ?", address).orElseThrow();
                    origin = created.isPresent() ? "created" : "linked";
                }
                int inserted = update("INSERT INTO stripe_customers (stripe_customer_id, customer_id, origin) VALUES (?, ?, ?) "
                        + "ON CONFLICT (stripe_customer_id) DO NOTHING", stripeCustomerId, customerId, origin);
                if (inserted == 0) { // linked concurrently by another event of the same Stripe customer: roll back
                    throw new LinkedConcurrently();
                }
                return customerId;
            });
        } catch (LinkedConcurrently e) {
            return customerIdByStripeId(stripeCustomerId).orElseThrow();
        }
    }

    /** What taking over a Stripe customer's details did. */
    public enum DetailsUpdate { UPDATED, UNKNOWN, NOT_OWN_DETAILS, EMAIL_TAKEN }

    /**
     * Takes a Stripe customer's (unverified) name and e-mail over into its agent, but only if the agent was created
     * from this Stripe customer and has no other one: a checkout or customer portal must never re-point the mail
     * address of an agent that exists apart from it. An e-mail that another agent has is not taken either.
     */
    public DetailsUpdate updateFromStripeCustomer(String stripeCustomerId, String name, String email) {
        String address = address(stripeCustomerId, email);
        String displayName = displayName(name, address);
        return run(() -> {
            Optional<Long> agent = agentOf(stripeCustomerId);
            if (agent.isEmpty()) {
                return DetailsUpdate.UNKNOWN;
            }
            long customerId = agent.get();
            Optional<Long> others = id("SELECT count(*) FROM stripe_customers WHERE customer_id = ? AND stripe_customer_id <> ?",
                    customerId, stripeCustomerId);
            Optional<Long> own = id("SELECT 1 FROM stripe_customers WHERE stripe_customer_id = ? AND origin = 'created'", stripeCustomerId);
            if (own.isEmpty() || others.orElse(0L) > 0) {
                return DetailsUpdate.NOT_OWN_DETAILS;
            }
            int updated = update("UPDATE customers SET name = ?, email = ? WHERE id = ? AND NOT EXISTS "
                    + "(SELECT 1 FROM customers o WHERE lower(o.email) = ? AND o.id <> ?)", displayName, address, customerId, address, customerId);
            return updated == 1 ? DetailsUpdate.UPDATED : DetailsUpdate.EMAIL_TAKEN;
        });
    }

    public Optional<Long> customerIdByStripeId(String stripeCustomerId) {
        return run(() -> agentOf(stripeCustomerId));
    }

    public void recordPayment(long customerId, Instant paidAt) {
        run(() -> update("UPDATE customers SET last_payment_date = GREATEST(COALESCE(last_payment_date, ?), ?) WHERE id = ?",
                Timestamp.from(paidAt), Timestamp.from(paidAt), customerId));
    }

    /** An agent linked to Stripe and its Stripe customer ids (oldest link first): one item of the payment check. */
    public record StripeAgent(long customerId, List<String> stripeCustomerIds) {}

    /** Agents linked to Stripe, by agent id. */
    public List<StripeAgent> stripeAgents() {
        Map<Long, List<String>> agents = new LinkedHashMap<>();
        run(() -> database.sql().sql("SELECT customer_id, stripe_customer_id FROM stripe_customers ORDER BY customer_id, linked_at, stripe_customer_id")
                .query(rs -> {
                    agents.computeIfAbsent(rs.getLong(1), id -> new ArrayList<>()).add(rs.getString(2));
                }));
        return agents.entrySet().stream().map(e -> new StripeAgent(e.getKey(), List.copyOf(e.getValue()))).toList();
    }

    // ------------------------------------------------------------------ subscriptions

    /**
     * Mirrors one Stripe subscription into its row (keyed by Stripe id, else by customer and PLZ) and
     * recomputes the customer's status, in one transaction, with history rows for every change.
     * A worse subscription never replaces a better one that another Stripe subscription holds for the same PLZ.
     */
    public Applied applySubscription(long customerId, SubscriptionFacts facts, String source, String eventId) {
        return run(() -> {
            String newStatus = facts.ourStatus();
            Row row = row("SELECT id, status, stripe_subscription_id FROM subscriptions WHERE stripe_subscription_id = ? FOR UPDATE",
                    facts.stripeSubscriptionId());
            if (row == null) {
                row = row("SELECT id, status, stripe_subscription_id FROM subscriptions WHERE customer_id = ? AND plz = ? FOR UPDATE",
                        customerId, facts.plz());
                if (row != null && row.stripeId != null && StripeStatus.rank(row.status) > StripeStatus.rank(newStatus)) {
                    String customerStatus = customerStatus(customerId);
                    return new Applied(row.id, row.status, row.status, customerStatus, customerStatus,
                            "PLZ " + facts.plz() + " is held by the better subscription " + row.stripeId);
                }
            }
            long rowId;
            String oldStatus;
            if (row == null) {
                rowId = id("INSERT INTO subscriptions (customer_id, plz, start_date, end_date, status, stripe_subscription_id, stripe_status, current_period_end) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        customerId, facts.plz(), ts(facts.startDate() == null ? Instant.now() : facts.startDate()), ts(facts.endDate()),
                        newStatus, facts.stripeSubscriptionId(), facts.stripeStatus(), ts(facts.currentPeriodEnd())).orElseThrow();
                oldStatus = null;
            } else {
                rowId = row.id;
                oldStatus = row.status;
                update("UPDATE subscriptions SET customer_id = ?, plz = ?, start_date = COALESCE(?, start_date), end_date = ?, status = ?, "
                                + "stripe_subscription_id = ?, stripe_status = ?, current_period_end = ?, updated_at = now() WHERE id = ?",
                        customerId, facts.plz(), ts(facts.startDate()), ts(facts.endDate()), newStatus, facts.stripeSubscriptionId(),
                        facts.stripeStatus(), ts(facts.currentPeriodEnd()), rowId);
            }
            if (!newStatus.equals(oldStatus)) {
                history("subscription", rowId, oldStatus, newStatus, source, eventId);
            }
            String customerOld = customerStatus(customerId);
            String customerNew = recompute(customerId, source, eventId);
            return new Applied(rowId, oldStatus, newStatus, customerOld, customerNew, null);
        });
    }

    /** Recomputes a customer's status from its subscriptions; true if it changed. */
    public boolean recomputeCustomer(long customerId, String source, String eventId) {
        return run(() -> {
            String before = customerStatus(customerId);
            return !recompute(customerId, source, eventId).equals(before);
        });
    }

    private String recompute(long customerId, String source, String eventId) {
        String current = customerStatus(customerId);
        List<String> statuses = rows((rs, n) -> rs.getString(1), "SELECT status FROM subscriptions WHERE customer_id = ?", customerId);
        String computed = StripeStatus.customer(statuses);
        if (!computed.equals(current)) {
            update("UPDATE customers SET status = ? WHERE id = ?", computed, customerId);
            history("customer", customerId, current, computed, source, eventId);
        }
        return computed;
    }

    public void recordJobRun(String job, String summary) {
        new JobRuns(database).succeeded(job, summary);
    }

    // ------------------------------------------------------------------ plumbing
    // Statements run through Database.sql(); inside run(...) they share its transaction.

    private String customerStatus(long customerId) {
        return database.sql().sql("SELECT status FROM customers WHERE id = ? FOR UPDATE").param(customerId)
                .query(String.class).optional()
                .orElseThrow(() -> new IllegalArgumentException("No customer " + customerId));
    }

    private void history(String entity, long id, String oldStatus, String newStatus, String source, String eventId) {
        update("INSERT INTO status_history (entity, entity_id, old_status, new_status, source, event_id) VALUES (?, ?, ?, ?, ?, ?)",
                entity, id, oldStatus, newStatus, source, eventId);
    }

    private record Row(long id, String status, String stripeId) {}

    private Row row(String sql, Object... args) {
        return rows((rs, n) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3)), sql, args).stream().findFirst().orElse(null);
    }

    /** The agent a Stripe customer is linked to. */
    private Optional<Long> agentOf(String stripeCustomerId) {
        return id("SELECT customer_id FROM stripe_customers WHERE stripe_customer_id = ?", stripeCustomerId);
    }

    private <T> List<T> rows(RowMapper<T> mapper, String sql, Object... args) {
        return database.sql().sql(sql).params(args).query(mapper).list();
    }

    private Optional<Long> id(String sql, Object... args) {
        return rows((rs, n) -> rs.getLong(1), sql, args).stream().findFirst();
    }

    private int update(String sql, Object... args) {
        return database.sql().sql(sql).params(args).update();
    }

    private static String address(String stripeCustomerId, String email) {
        return email == null || email.isBlank() ? stripeCustomerId + "@stripe.invalid" : email.trim().toLowerCase();
    }

    private static String displayName(String name, String address) {
        return name == null || name.isBlank() ? address : name.trim();
    }

    /** A duration as ISO-8601 the way settings are written: whole days as {@code P3D}, else {@code PT…}. */
    static String iso(Duration duration) {
        long seconds = duration.toSeconds();
        return seconds > 0 && seconds % 86_400 == 0 && duration.toNanosPart() == 0 ? "P" + seconds / 86_400 + "D" : duration.toString();
    }

    /** A duration as a PostgreSQL interval literal (whole milliseconds). */
    private static String interval(Duration duration) {
        return duration.toMillis() + " milliseconds";
    }

    private static Timestamp ts(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }

    /** Runs {@code work} in one transaction. */
    private <T> T run(java.util.function.Supplier<T> work) {
        return database.inTransaction("Billing database work", work);
    }

    /**
     * One statement, atomic by itself: it commits on its own, without the BEGIN/COMMIT round trips of a transaction
     * (the webhook's hot path); failures are reported like {@link #run}'s.
     */
    private <T> T single(java.util.function.Supplier<T> statement) {
        try {
            return statement.get();
        } catch (org.springframework.dao.DataAccessException e) {
            throw Database.failure("Billing database work", e);
        }
    }

    private void run(Runnable work) {
        run(() -> {
            work.run();
            return null;
        });
    }

}
