package de.geolead.billing;

import com.google.gson.JsonParseException;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Event;
import com.stripe.net.Webhook;
import io.micrometer.core.instrument.Tags;
import org.apache.camel.Body;
import org.apache.camel.Header;

import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * Receives a Stripe webhook call, called by the route {@code stripe-webhook}: verifies the raw body
 * against {@code Stripe-Signature} with every configured secret (comma-separated during a rotation),
 * stores the event once, and says whether it still needs processing.
 */
public class StripeWebhook {

    /** What the route does after receiving: queue the event for processing (and answer), or only answer. */
    public enum Next { QUEUE, ANSWER }

    /** The answer to Stripe. {@code enqueue}: the event must (still) go to processing. */
    public record Receipt(String eventId, String type, boolean duplicate, boolean enqueue) {
        public String answer() {
            return duplicate ? "duplicate" : "ok";
        }

        /** {@link Next#QUEUE} when the event must (still) go to processing, else {@link Next#ANSWER}. */
        public Next next() {
            return enqueue ? Next.QUEUE : Next.ANSWER;
        }
    }

    private final List<String> secrets;
    private final long toleranceSeconds;
    private final Clock clock;
    private final BillingStore store;

    public StripeWebhook(String secrets, long toleranceSeconds, Clock clock, BillingStore store) {
        this.secrets = Arrays.stream(secrets.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        this.toleranceSeconds = toleranceSeconds;
        this.clock = clock;
        this.store = store;
    }

    /** The route's call: the raw body (already text) and the {@code Stripe-Signature} header, bound by annotation. */
    public Receipt receive(@Body String payload, @Header("Stripe-Signature") String signatureHeader) {
        Event event = verify(payload, signatureHeader);
        if (event.getId() == null || event.getType() == null) {
            throw new WebhookRejectedException("event without id or type");
        }
        if (store.recordEvent(event.getId(), event.getType(), event.getApiVersion(), payload)) {
            return new Receipt(event.getId(), event.getType(), false, true);
        }
        // known: processing is still owed if the hand-over to the queue failed last time, or processing failed
        // (Stripe's own retry or a "Resend" then takes it up at once instead of waiting for the sweep) - but not
        // while an attempt is running (leased): the same event posted twice at once is processed once
        return new Receipt(event.getId(), event.getType(), true, store.processingOwed(event.getId()));
    }

    // The route's questions about a receipt, as bean methods bound by annotation: evaluated without the simple
    // language's method calls (${body.next()}), which build a bean expression and copy the exchange per request.

    /** Whether the event goes to the queue ({@link Next#QUEUE}). */
    public boolean queue(@Body Receipt receipt) {
        return receipt.next() == Next.QUEUE;
    }

    /** The event id (the queued message's body). */
    public String eventId(@Body Receipt receipt) {
        return receipt.eventId();
    }

    /** The answer's text ({@code ok}, {@code duplicate}). */
    public String answer(@Body Receipt receipt) {
        return receipt.answer();
    }

    /** The tags of the {@code geolead.webhook.events} counter for this receipt: {@code type} and {@code result}. */
    public Tags metricTags(@Body Receipt receipt) {
        return Tags.of("type", receipt.type(), "result", receipt.answer());
    }

    Event verify(String payload, String signatureHeader) {
        if (signatureHeader == null || signatureHeader.isBlank()) {
            // stripe-java would throw a NullPointerException here
            throw new WebhookRejectedException("missing Stripe-Signature header");
        }
        if (payload == null || payload.isEmpty()) {
            throw new WebhookRejectedException("empty body");
        }
        SignatureVerificationException last = null;
        for (String secret : secrets) {
            try {
                return Webhook.constructEvent(payload, signatureHeader, secret, toleranceSeconds, clock);
            } catch (SignatureVerificationException e) {
                last = e;
            } catch (JsonParseException e) {
                throw new WebhookRejectedException("body is not a Stripe event");
            }
        }
        throw new WebhookRejectedException(last == null ? "no webhook secret configured" : "signature rejected: " + last.getMessage());
    }

    /** A webhook call that is answered 400 with {@link #getMessage()} and changes nothing. */
    public static class WebhookRejectedException extends RuntimeException {
        public WebhookRejectedException(String reason) {
            super(reason);
        }
    }
}
