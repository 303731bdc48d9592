-- Billing: Stripe subscriptions mirrored one-to-one, and every status change on record.

-- One Stripe subscription per (customer, PLZ). Our subscription status:
--   active (Stripe active, trialing), past_due, inactive (unpaid, incomplete, paused), canceled (canceled, incomplete_expired)
ALTER TABLE subscriptions
    ADD COLUMN stripe_subscription_id TEXT UNIQUE,
    ADD COLUMN stripe_status          TEXT,
    ADD COLUMN current_period_end     TIMESTAMPTZ,
    ADD COLUMN updated_at             TIMESTAMPTZ NOT NULL DEFAULT now();

-- Who changed what, when and why: old → new, from a webhook event or the daily check.
CREATE TABLE status_history (
    id          BIGSERIAL PRIMARY KEY,
    entity      TEXT        NOT NULL CHECK (entity IN ('customer', 'subscription')),
    entity_id   BIGINT      NOT NULL,
    old_status  TEXT,
    new_status  TEXT        NOT NULL,
    source      TEXT        NOT NULL CHECK (source IN ('webhook', 'daily-check')),
    event_id    TEXT,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX status_history_entity_idx ON status_history (entity, entity_id, changed_at);

-- stripe_events.status: received → processed | ignored (with reason) | failed (with reason)
ALTER TABLE stripe_events
    ADD COLUMN api_version TEXT,
    ADD CONSTRAINT stripe_events_status_check CHECK (status IN ('received', 'processed', 'ignored', 'failed'));

-- When the daily payment check last completed (for ops and health).
CREATE TABLE job_runs (
    job             TEXT PRIMARY KEY,
    last_success_at TIMESTAMPTZ,
    last_summary    TEXT
);
