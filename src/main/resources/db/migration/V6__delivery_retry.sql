-- Delivery retries and claim leases (issue 9, items 6 and 7).
--
-- A transient SMTP failure puts the row back to 'pending' with the time of its next attempt (and a new
-- scheduled message on geolead.deliveries for that time); retries stop GEOLEAD_MAIL_RETRY_FOR after due_at.
-- A claim ('sending') holds a lease: the sweep takes a row back only when its lease has run out (outcome
-- unknown), and the result of an attempt is only recorded while the row still carries that attempt's number
-- (attempts = the claim token), so an attempt that outlived its lease cannot overwrite a newer one.
ALTER TABLE lead_distributions
    ADD COLUMN due_at          TIMESTAMPTZ,
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN lease_until     TIMESTAMPTZ;

COMMENT ON COLUMN lead_distributions.due_at IS 'When the mail first fell due (scheduled_for at its first attempt); retries end GEOLEAD_MAIL_RETRY_FOR later';
COMMENT ON COLUMN lead_distributions.next_attempt_at IS 'When the next SMTP attempt after a transient failure is scheduled';
COMMENT ON COLUMN lead_distributions.lease_until IS 'Until when the current claim (status sending) is held by a live attempt';
