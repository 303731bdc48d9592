package de.geolead.billing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

/**
 * The safety net for Stripe events, called by the route {@code stripe-event-sweep-run} on GEOLEAD_SWEEP_CRON:
 * events still {@code received} or {@code failed} (the broker's redeliveries ran out during a Stripe outage, the
 * message was lost, the app stopped) are processed again, directly, for {@code retryFor} after they were received.
 * An event is only taken when nothing has tried it for {@code grace}, and taking it is a claim in the database,
 * so two sweeps (or instances) do not work on the same event; processing is idempotent anyway (it re-reads
 * Stripe). After {@code retryFor} an event stays {@code failed} with its reason, and one ERROR line says so.
 * Each event is processed the way a queued one is: by the route {@code stripe-event}, which dispatches on its type
 * (wired in GeoleadConfiguration).
 */
public class StripeEventSweep {

    private static final Logger LOG = LoggerFactory.getLogger(StripeEventSweep.class);

    /** What one sweep did. */
    public record Summary(int processed, int failed, int givenUp) {
        public String describe() {
            return "Stripe event sweep: " + processed + " event(s) processed, " + failed + " failed again, " + givenUp + " given up";
        }
    }

    /** Processes one stored event and returns its log line; a failure is thrown (the event is then marked failed). */
    @FunctionalInterface
    public interface Processing {
        String process(String eventId) throws Exception;
    }

    private final Processing processor;
    private final BillingStore store;
    private final Duration retryFor;
    private final Duration grace;
    private final int batchSize;

    public StripeEventSweep(Processing processor, BillingStore store, Duration retryFor, Duration grace, int batchSize) {
        this.processor = processor;
        this.store = store;
        this.retryFor = retryFor;
        this.grace = grace;
        this.batchSize = batchSize;
    }

    public Summary run() {
        int givenUp = 0;
        for (BillingStore.GivenUp event : store.giveUpOldEvents(retryFor)) {
            givenUp++;
            LOG.error("Stripe event {} ({}) given up after {} attempt(s), {} after it was received; it stays failed: {}",
                    event.eventId(), event.type(), event.attempts(), BillingStore.iso(retryFor), event.reason());
        }
        int processed = 0;
        int failed = 0;
        boolean more = true;
        while (more) {
            List<String> claimed = store.claimUnprocessedEvents(retryFor, grace, batchSize);
            int failedBefore = failed;
            for (String eventId : claimed) {
                try {
                    LOG.info("{} (sweep)", processor.process(eventId));
                    processed++;
                } catch (Exception e) {
                    failed++; // marked failed with the reason by the processor; the next sweep tries again
                }
            }
            // a full batch that went through: there may be more; after a failure the next sweep goes on
            more = claimed.size() == batchSize && failed == failedBefore;
        }
        return new Summary(processed, failed, givenUp);
    }
}
