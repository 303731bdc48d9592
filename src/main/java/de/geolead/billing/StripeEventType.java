package de.geolead.billing;

import java.util.Arrays;
import java.util.List;

/**
 * The Stripe event types Geolead uses, each with the {@link StripeEventProcessor} method the route
 * {@code stripe-event} ({@code routes/stripe-webhook.camel.yaml}) calls for it. The route's {@code choice}
 * compares the stored type against these names (listed in the file's header comment too); any other type goes to
 * {@code notUsed}. {@code StripeWebhookRoutesTest} checks that the route and this list agree.
 */
public enum StripeEventType {
    CHECKOUT_SESSION_COMPLETED("checkout.session.completed", "checkoutCompleted"),
    SUBSCRIPTION_CREATED("customer.subscription.created", "subscriptionChanged"),
    SUBSCRIPTION_UPDATED("customer.subscription.updated", "subscriptionChanged"),
    SUBSCRIPTION_DELETED("customer.subscription.deleted", "subscriptionChanged"),
    CUSTOMER_UPDATED("customer.updated", "customerUpdated"),
    INVOICE_PAID("invoice.paid", "invoicePaid"),
    INVOICE_PAYMENT_FAILED("invoice.payment_failed", "invoicePaymentFailed");

    /** The processor method for every type not listed. */
    public static final String NOT_USED = "notUsed";

    private final String stripeName;
    private final String method;

    StripeEventType(String stripeName, String method) {
        this.stripeName = stripeName;
        this.method = method;
    }

    /** The type as Stripe names it ({@code event.type}). */
    public String stripeName() {
        return stripeName;
    }

    /** The {@link StripeEventProcessor} method for it. */
    public String method() {
        return method;
    }

    /** Every type Geolead uses, by Stripe name. */
    public static List<String> stripeNames() {
        return Arrays.stream(values()).map(StripeEventType::stripeName).toList();
    }
}
