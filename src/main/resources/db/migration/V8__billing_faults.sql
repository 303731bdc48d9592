-- Billing faults (issue 9, items 9 and 10).

-- One agent may have several Stripe customers: Stripe creates a new Customer per Checkout.
-- stripe_customers is the mapping Stripe customer -> agent; subscriptions of any of them count for the agent.
--   origin 'created': Geolead created the agent from this Stripe customer's details
--   origin 'linked' : the Stripe customer was linked to an agent that already existed (same e-mail)
-- A Stripe customer's (unverified) details change the agent's name and e-mail only when the agent was created
-- from it and has no other Stripe customer. customers.stripe_customer_id stays as the agent's first Stripe
-- customer, for reference; lookups go through stripe_customers.
CREATE TABLE stripe_customers (
    stripe_customer_id TEXT PRIMARY KEY,
    customer_id        BIGINT      NOT NULL REFERENCES customers (id),
    origin             TEXT        NOT NULL CHECK (origin IN ('created', 'linked')),
    linked_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX stripe_customers_customer_idx ON stripe_customers (customer_id);

-- Whether an existing agent was created from its Stripe customer is not known: the safe answer is 'linked'.
INSERT INTO stripe_customers (stripe_customer_id, customer_id, origin)
SELECT stripe_customer_id, id, 'linked' FROM customers WHERE stripe_customer_id IS NOT NULL;

-- Events whose processing failed are taken up again by the sweep: attempts and the last attempt (a claim that
-- keeps two sweeps or instances apart), and when the sweep gave up on one (GEOLEAD_STRIPE_EVENT_RETRY_FOR).
ALTER TABLE stripe_events
    ADD COLUMN attempts        INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_attempt_at TIMESTAMPTZ,
    ADD COLUMN given_up_at     TIMESTAMPTZ;
CREATE INDEX stripe_events_unprocessed_idx ON stripe_events (received_at) WHERE status IN ('received', 'failed');
