-- Issue 12, lead actions (POST /api/leads/{id}/assign): a manual hand-out made with force=true goes to an agent whose
-- subscriptions do not cover the lead's PLZ, so the send-time check must not ask for a covering subscription.
ALTER TABLE lead_distributions
    ADD COLUMN forced BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT lead_distributions_forced_check CHECK (NOT forced OR kind = 'manual');

COMMENT ON COLUMN lead_distributions.forced IS 'A manual hand-out with force=true: no covering subscription is needed at send time';
