package de.geolead.billing;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.stripe.Stripe;
import com.stripe.exception.StripeException;
import com.stripe.model.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Processes one stored Stripe event. The route {@code stripe-event} reads the event's type
 * ({@link #type}) and calls the method for that kind of event (see {@link StripeEventType}); the Java here does
 * the work of each kind. An event is a trigger, not the truth: the subscription or customer it names is fetched
 * from the Stripe API again, so events that arrive late, twice or out of order all end in Stripe's current state.
 * The ids are read from the raw JSON, which works whatever API version the event was rendered with.
 * <p>
 * Every kind runs as one attempt ({@link #attempt}): only one attempt at an event runs at a time (a lease in the
 * database, see {@link BillingStore#startAttempt}), a second one meanwhile does nothing; a failure (Stripe API,
 * database) marks the event {@code failed} with a reason and is thrown: the broker redelivers the message, and
 * after its last attempt the sweep ({@link StripeEventSweep}) takes the event up again.
 */
public class StripeEventProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(StripeEventProcessor.class);
    static final String SOURCE = "webhook";

    private final StripeSubscriptions stripe;
    private final BillingStore store;
    private final Set<String> versionsWarned = ConcurrentHashMap.newKeySet();

    public StripeEventProcessor(StripeSubscriptions stripe, BillingStore store) {
        this.stripe = stripe;
        this.store = store;
    }

    /** The stored type of an event, what the route dispatches on; {@code unknown} for an event id not stored. */
    public String type(String eventId) {
        return store.eventType(eventId).orElse("unknown");
    }

    /** {@code customer.subscription.created|updated|deleted}: the subscription is re-read and mirrored. */
    public String subscriptionChanged(String eventId) throws EventFailedException {
        return attempt(eventId, (type, object) -> syncSubscription(eventId, text(object, "id")));
    }

    /** {@code customer.updated}: name and e-mail follow Stripe only for an agent created from this Stripe customer alone. */
    public String customerUpdated(String eventId) throws EventFailedException {
        return attempt(eventId, (type, object) -> customerUpdated(eventId, text(object, "id")));
    }

    /** {@code checkout.session.completed}: the Stripe customer is linked to its agent (created if new), then its subscription mirrored. */
    public String checkoutCompleted(String eventId) throws EventFailedException {
        return attempt(eventId, (type, session) -> checkoutCompleted(eventId, session));
    }

    /** {@code invoice.paid}: the invoice's subscription is mirrored and the agent's last payment date recorded. */
    public String invoicePaid(String eventId) throws EventFailedException {
        return attempt(eventId, (type, invoice) -> invoicePaid(eventId, invoice));
    }

    /** {@code invoice.payment_failed}: the invoice's subscription is mirrored (Stripe has made it past due or worse). */
    public String invoicePaymentFailed(String eventId) throws EventFailedException {
        return attempt(eventId, (type, invoice) -> syncSubscription(eventId, invoiceSubscription(invoice)));
    }

    /** Any other type: stored as {@code ignored}, "event type … is not used". */
    public String notUsed(String eventId) throws EventFailedException {
        return attempt(eventId, (type, object) -> ignore(eventId, "event type " + type + " is not used"));
    }

    /** The work of one kind of event on the event's type and {@code data.object}; returns what it did. */
    interface Work {
        String apply(String type, JsonObject object) throws Exception;
    }

    /**
     * One attempt at an event: starts it (the lease), applies {@code work} and returns one log line about it; a
     * failure marks the event {@code failed} with the cleaned reason and is thrown as {@link EventFailedException}.
     */
    String attempt(String eventId, Work work) throws EventFailedException {
        Optional<BillingStore.Attempt> attempt = store.startAttempt(eventId);
        if (attempt.isEmpty()) {
            return "Stripe event " + eventId + ": unknown, nothing to do";
        }
        if (attempt.get().inProgress()) {
            // another consumer or instance is processing it right now; its outcome (or the sweep after its lease) settles it
            return "Stripe event " + eventId + ": in progress in another attempt, nothing to do";
        }
        if (attempt.get().payload() == null) {
            return "Stripe event " + eventId + ": already " + attempt.get().status();
        }
        try {
            JsonObject event = JsonParser.parseString(attempt.get().payload()).getAsJsonObject();
            String type = text(event, "type");
            warnOfApiVersion(text(event, "api_version"));
            String outcome = work.apply(type, event.getAsJsonObject("data").getAsJsonObject("object"));
            return "Stripe event " + eventId + " (" + type + "): " + outcome;
        } catch (Exception e) {
            String reason = failureReason(e);
            EventFailedException failed = new EventFailedException("Stripe event " + eventId + " failed: " + reason);
            try {
                store.markEvent(eventId, "failed", reason);
            } catch (RuntimeException markFailed) {
                failed.addSuppressed(markFailed);
            }
            LOG.warn("Stripe event {}: processing failed, retried later - {}", eventId, reason);
            // Camel and the JMS listener log what is thrown: only the cleaned reason, never Stripe's own message
            throw failed;
        }
    }

    private void warnOfApiVersion(String apiVersion) {
        if (apiVersion != null && !Stripe.API_VERSION.equals(apiVersion) && versionsWarned.add(apiVersion)) {
            LOG.warn("Stripe events arrive with API version {} but stripe-java pins {}: reading them from the raw JSON; "
                    + "set the webhook endpoint's API version to {}", apiVersion, Stripe.API_VERSION, Stripe.API_VERSION);
        }
    }

    /**
     * Why processing failed, for {@code stripe_events.reason} and the log: the kind of error, Stripe's HTTP status,
     * error code and request id — never the message, which may quote an e-mail or a masked key.
     */
    static String failureReason(Throwable e) {
        if (e instanceof StripeException stripe) {
            StringBuilder reason = new StringBuilder("Stripe API: ").append(e.getClass().getSimpleName());
            if (stripe.getStatusCode() != null) {
                reason.append(" HTTP ").append(stripe.getStatusCode());
            }
            if (stripe.getCode() != null) {
                reason.append(" ").append(stripe.getCode());
            }
            if (stripe.getRequestId() != null) {
                reason.append(" (request ").append(stripe.getRequestId()).append(")");
            }
            return reason.toString();
        }
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String state = cause instanceof java.sql.SQLException sql && sql.getSQLState() != null ? " SQLState " + sql.getSQLState() : "";
        return "processing failed: " + e.getClass().getSimpleName()
                + (cause != e ? " caused by " + cause.getClass().getSimpleName() : "") + state;
    }

    private String checkoutCompleted(String eventId, JsonObject session) throws StripeException {
        String customerId = text(session, "customer");
        if (customerId == null) {
            return ignore(eventId, "checkout session without customer");
        }
        long id = linkCustomer(customerId);
        String subscriptionId = text(session, "subscription");
        if (subscriptionId == null) {
            return processed(eventId, "customer " + id + " linked to " + customerId);
        }
        return syncSubscription(eventId, subscriptionId);
    }

    private String invoicePaid(String eventId, JsonObject invoice) throws StripeException {
        String result = syncSubscription(eventId, invoiceSubscription(invoice));
        String customerId = text(invoice, "customer");
        Optional<Long> customer = customerId == null ? Optional.empty() : store.customerIdByStripeId(customerId);
        if (customer.isPresent()) {
            JsonObject transitions = invoice.has("status_transitions") && invoice.get("status_transitions").isJsonObject()
                    ? invoice.getAsJsonObject("status_transitions") : null;
            Long paidAt = transitions == null ? null : number(transitions, "paid_at");
            store.recordPayment(customer.get(), paidAt == null ? Instant.now() : Instant.ofEpochSecond(paidAt));
        }
        return result;
    }

    /** See {@link BillingStore#updateFromStripeCustomer}. */
    private String customerUpdated(String eventId, String customerId) throws StripeException {
        Optional<Long> agent = store.customerIdByStripeId(customerId);
        if (agent.isEmpty()) {
            return ignore(eventId, "customer " + customerId + " is not one of ours");
        }
        StripeSubscriptions.CustomerFacts facts = stripe.customer(customerId);
        return switch (store.updateFromStripeCustomer(customerId, facts.name(), facts.email())) {
            case UPDATED -> processed(eventId, "customer " + agent.get() + " updated from Stripe");
            case UNKNOWN -> ignore(eventId, "customer " + customerId + " is not one of ours");
            case NOT_OWN_DETAILS -> ignore(eventId, "agent " + agent.get() + " keeps its name and e-mail: it was not created from "
                    + customerId + " alone");
            case EMAIL_TAKEN -> ignore(eventId, "agent " + agent.get() + " keeps its e-mail: another agent has the new one");
        };
    }

    /** Re-fetches the subscription and mirrors it; unknown or PLZ-less subscriptions are ignored with a reason. */
    String syncSubscription(String eventId, String subscriptionId) throws StripeException {
        if (subscriptionId == null) {
            return ignore(eventId, "no subscription in the event");
        }
        Optional<Subscription> subscription = stripe.retrieve(subscriptionId);
        if (subscription.isEmpty()) {
            return ignore(eventId, "Stripe does not know subscription " + subscriptionId);
        }
        Optional<String> plz = StripeSubscriptions.plz(subscription.get());
        if (plz.isEmpty()) {
            return ignore(eventId, "subscription " + subscriptionId + " has no valid plz metadata ("
                    + StripeSubscriptions.rawPlz(subscription.get()) + ")");
        }
        long customerId = linkCustomer(subscription.get().getCustomer());
        BillingStore.Applied applied = store.applySubscription(customerId,
                StripeSubscriptions.facts(subscription.get(), plz.get()), SOURCE, eventId);
        if (applied.ignoredReason() != null) {
            return ignore(eventId, applied.ignoredReason());
        }
        return processed(eventId, "subscription " + subscriptionId + " (PLZ " + plz.get() + ") " + applied.oldStatus() + " -> "
                + applied.newStatus() + ", customer " + customerId + " " + applied.customerOldStatus() + " -> " + applied.customerNewStatus());
    }

    /** The agent of a Stripe customer; an unknown one is created or linked by e-mail ({@link BillingStore#linkStripeCustomer}). */
    long linkCustomer(String stripeCustomerId) throws StripeException {
        Optional<Long> known = store.customerIdByStripeId(stripeCustomerId);
        if (known.isPresent()) {
            return known.get();
        }
        StripeSubscriptions.CustomerFacts facts = stripe.customer(stripeCustomerId);
        return store.linkStripeCustomer(stripeCustomerId, facts.name(), facts.email());
    }

    /** Since API version 2025-03-31 an invoice names its subscription under parent.subscription_details. */
    static String invoiceSubscription(JsonObject invoice) {
        JsonElement parent = invoice.get("parent");
        if (parent != null && parent.isJsonObject()) {
            JsonElement details = parent.getAsJsonObject().get("subscription_details");
            if (details != null && details.isJsonObject()) {
                String id = text(details.getAsJsonObject(), "subscription");
                if (id != null) {
                    return id;
                }
            }
        }
        return text(invoice, "subscription"); // older API versions
    }

    private String processed(String eventId, String what) {
        store.markEvent(eventId, "processed", null);
        return what;
    }

    private String ignore(String eventId, String reason) {
        store.markEvent(eventId, "ignored", reason);
        return "ignored - " + reason;
    }

    private static String text(JsonObject object, String key) {
        JsonElement value = object.get(key);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (value.isJsonObject()) { // an expanded object: take its id
            return text(value.getAsJsonObject(), "id");
        }
        return value.getAsString();
    }

    private static Long number(JsonObject object, String key) {
        JsonElement value = object.get(key);
        return value == null || value.isJsonNull() ? null : value.getAsLong();
    }

    /** A failed attempt at one event, carrying only the cleaned reason (no Stripe message, no e-mails, no keys). */
    public static final class EventFailedException extends Exception {
        public EventFailedException(String message) {
            super(message);
        }
    }
}
