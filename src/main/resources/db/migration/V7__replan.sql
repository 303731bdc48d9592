-- A lead whose every mail was skipped or failed is planned again; the sweep looks for such leads
-- among the few given-up rows instead of all distributed leads.
CREATE INDEX lead_distributions_given_up_idx ON lead_distributions (lead_id) WHERE status IN ('skipped', 'failed');
