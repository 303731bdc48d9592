-- Issue 13: the retention run and the data-subject search walk the leads not erased yet in id order, and the metric
-- geolead_retention_erased_total counts the erased ones at every scrape: erased rows pile up for good (anonymised,
-- never deleted), so neither may have to read past them.
CREATE INDEX leads_not_erased_idx ON leads (id) WHERE erased_at IS NULL;
CREATE INDEX leads_erased_idx ON leads (erased_reason) WHERE erased_at IS NOT NULL;
