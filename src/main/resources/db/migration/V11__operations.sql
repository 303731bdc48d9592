-- Issue 12: the operations API and agent controls (routes/operations-api.camel.yaml).

-- Every write through the API, with who did it and the entity before and after (JSON, no homeowner data).
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor     TEXT        NOT NULL,
    action    TEXT        NOT NULL,
    entity    TEXT        NOT NULL CHECK (entity IN ('lead', 'customer', 'return')),
    entity_id BIGINT      NOT NULL,
    before    JSONB,
    after     JSONB
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);
COMMENT ON TABLE audit_log IS 'One row per write through the operations API: actor = API token name';

-- Leads per calendar month (GEOLEAD_DELIVERY_ZONE); NULL = no cap
ALTER TABLE customers ADD COLUMN monthly_cap INTEGER CHECK (monthly_cap IS NULL OR monthly_cap >= 0);

-- A lead parked by hand: kept out of distribution until unparked
ALTER TABLE leads DROP CONSTRAINT leads_status_check;
ALTER TABLE leads ADD CONSTRAINT leads_status_check
    CHECK (status IN ('pending', 'unroutable', 'pdf_missing', 'invalid', 'distributed', 'unassigned', 'expired', 'parked'));

-- Manual hand-outs and resends are mails like the planned ones (same claim, retries and exactly-once rules).
-- planned: by the distribution; manual: POST /api/leads/{id}/assign; resend: POST /api/leads/{id}/resend.
-- An agent has at most one planned or manual mail per lead; resends are extra rows pointing at that mail.
ALTER TABLE lead_distributions
    ADD COLUMN kind         TEXT NOT NULL DEFAULT 'planned' CHECK (kind IN ('planned', 'manual', 'resend')),
    ADD COLUMN resend_of    BIGINT REFERENCES lead_distributions (id),
    ADD COLUMN requested_by TEXT,
    ADD CONSTRAINT lead_distributions_resend_check CHECK ((kind = 'resend') = (resend_of IS NOT NULL));
ALTER TABLE lead_distributions DROP CONSTRAINT lead_distributions_lead_id_customer_id_key;
CREATE UNIQUE INDEX lead_distributions_one_per_agent ON lead_distributions (lead_id, customer_id) WHERE kind <> 'resend';
CREATE INDEX lead_distributions_month_idx ON lead_distributions (customer_id, created_at) WHERE kind <> 'resend';

-- Returns (Reklamation): one per lead and agent, filed through the API or the signed link in the lead mail.
CREATE TABLE lead_returns (
    id              BIGSERIAL PRIMARY KEY,
    lead_id         BIGINT      NOT NULL REFERENCES leads (id),
    customer_id     BIGINT      NOT NULL REFERENCES customers (id),
    distribution_id BIGINT      NOT NULL REFERENCES lead_distributions (id),
    reason          TEXT        NOT NULL
        CHECK (reason IN ('no_request', 'unreachable', 'wrong_data', 'duplicate', 'wrong_region', 'other')),
    note            TEXT,
    channel         TEXT        NOT NULL CHECK (channel IN ('api', 'link')),
    filed_by        TEXT        NOT NULL,
    filed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    status          TEXT        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    decided_at      TIMESTAMPTZ,
    decided_by      TEXT,
    decision_note   TEXT,
    credit_cents    INTEGER,
    stripe_credit_id TEXT,
    UNIQUE (lead_id, customer_id)
);
CREATE INDEX lead_returns_open_idx ON lead_returns (filed_at) WHERE status = 'open';
CREATE INDEX lead_returns_customer_idx ON lead_returns (customer_id, filed_at);
