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
 * Processes one stored Stripe event, called by the route {@code stripe-events}. An event is a trigger,
 * not the truth: the subscription or customer it names is fetched from the Stripe API again, so events
 * that arrive late, twice or out of order all end in Stripe's current state. The ids are read from the
 * raw JSON, which works whatever API version the event was rendered with.
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

    /** Applies the event and returns one log line about it. Stripe API failures are thrown (the message is redelivered). */
    public String process(String eventId) throws StripeException {
        Optional<String> payload = store.eventPayload(eventId);
        if (payload.isEmpty()) {
            return "Stripe event " + eventId + ": unknown, nothing to do";
        }
        Optional<String> status = store.eventStatus(eventId).filter(s -> !"received".equals(s));
        if (status.isPresent()) {
            return "Stripe event " + eventId + ": already " + status.get();
        }
        JsonObject event = JsonParser.parseString(payload.get()).getAsJsonObject();
        String type = text(event, "type");
        String apiVersion = text(event, "api_version");
        if (apiVersion != null && !Stripe.API_VERSION.equals(apiVersion) && versionsWarned.add(apiVersion)) {
            LOG.warn("Stripe events arrive with API version {} but stripe-java pins {}: reading them from the raw JSON; "
                    + "set the webhook endpoint's API version to {}", apiVersion, Stripe.API_VERSION, Stripe.API_VERSION);
        }
        JsonObject object = event.getAsJsonObject("data").getAsJsonObject("object");
        String outcome = switch (type) {
            case "checkout.session.completed" -> checkoutCompleted(eventId, object);
            case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted" ->
                    syncSubscription(eventId, text(object, "id"));
            case "invoice.paid" -> invoicePaid(eventId, object);
            case "invoice.payment_failed" -> syncSubscription(eventId, invoiceSubscription(object));
            case "customer.updated" -> customerUpdated(eventId, text(object, "id"));
            default -> ignore(eventId, "event type " + type + " is not used");
        };
        return "Stripe event " + eventId + " (" + type + "): " + outcome;
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

    private String customerUpdated(String eventId, String customerId) throws StripeException {
        if (store.customerIdByStripeId(customerId).isEmpty()) {
            return ignore(eventId, "customer " + customerId + " is not one of ours");
        }
        StripeSubscriptions.CustomerFacts facts = stripe.customer(customerId);
        long id = store.upsertCustomer(customerId, facts.name(), facts.email());
        return processed(eventId, "customer " + id + " updated from Stripe");
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

    private long linkCustomer(String stripeCustomerId) throws StripeException {
        Optional<Long> known = store.customerIdByStripeId(stripeCustomerId);
        if (known.isPresent()) {
            return known.get();
        }
        StripeSubscriptions.CustomerFacts facts = stripe.customer(stripeCustomerId);
        return store.upsertCustomer(stripeCustomerId, facts.name(), facts.email());
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
}
