-- Distribution: who gets a lead, when, and what happened to each mail.

-- An agent can pause deliveries (holiday) without cancelling the subscription.
ALTER TABLE customers ADD COLUMN paused_until TIMESTAMPTZ;

ALTER TABLE leads ADD COLUMN unassigned_since TIMESTAMPTZ;
CREATE INDEX leads_plz_idx ON leads (plz);

-- The lookup goes by the lead PLZ's prefixes ('8', '80', '803', '8033', '80331') IN (…),
-- so one index range scan per prefix stays fast with 100 000 subscriptions.
CREATE INDEX subscriptions_active_plz_idx ON subscriptions (plz) WHERE status = 'active';

-- The one definition of "may receive leads for this PLZ prefix now": an active subscription
-- that has started and not ended, of a paid customer who is not paused. Used when planning
-- and again at send time.
CREATE VIEW eligible_coverage AS
SELECT s.customer_id, s.plz, s.start_date AS subscribed_since
  FROM subscriptions s
  JOIN customers c ON c.id = s.customer_id
 WHERE s.status = 'active'
   AND s.start_date <= now()
   AND (s.end_date IS NULL OR s.end_date > now())
   AND c.status = 'paid'
   AND (c.paused_until IS NULL OR c.paused_until <= now());

-- Lifecycle of one mail: pending → sending (claimed by a consumer) → sent | skipped | failed.
ALTER TABLE lead_distributions
    ADD COLUMN role          TEXT        NOT NULL DEFAULT 'only' CHECK (role IN ('only', 'head_start', 'follower')),
    ADD COLUMN status_reason TEXT,
    ADD COLUMN message_id    TEXT,
    ADD COLUMN attempts      INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN claimed_at    TIMESTAMPTZ,
    ADD COLUMN enqueued_at   TIMESTAMPTZ,
    ADD COLUMN created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT lead_distributions_status_check CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed'));
CREATE INDEX lead_distributions_open_idx ON lead_distributions (scheduled_for) WHERE status IN ('pending', 'sending');
CREATE INDEX lead_distributions_customer_idx ON lead_distributions (customer_id, role);
