-- Issue 10: one attempt at a Stripe event at a time, across consumers and instances.
-- startAttempt sets processing_until (now + the lease, longer than the longest chain of Stripe API calls) when it
-- claims an event; marking the outcome clears it. While it lies ahead, no other consumer, sweep or webhook
-- re-queue takes the event; an attempt that died (process killed) leaves it to expire, then the sweep or a
-- redelivery takes the event up again.
ALTER TABLE stripe_events ADD COLUMN processing_until TIMESTAMPTZ;
