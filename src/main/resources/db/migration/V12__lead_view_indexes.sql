-- Issue 12, reading leads (GET /api/leads, GET /api/leads/{id}; de.geolead.leadview.LeadView).

-- The list pages newest first by (created_at, id) with a keyset cursor: one index range scan per page,
-- also when filtered by status.
CREATE INDEX leads_created_idx ON leads (created_at DESC, id DESC);
CREATE INDEX leads_status_created_idx ON leads (status, created_at DESC, id DESC);
-- plz=801 is a prefix filter (plz LIKE '801%'): needs the pattern operator class under any collation.
CREATE INDEX leads_plz_prefix_idx ON leads (plz varchar_pattern_ops);
-- A lead's mails (the list's mailsSent, the detail's mails and timeline), resends included: the unique index
-- lead_distributions_one_per_agent leaves resend rows out.
CREATE INDEX lead_distributions_lead_idx ON lead_distributions (lead_id);
