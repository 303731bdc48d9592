-- Geolead schema, version 1.
-- The seed's four tables keep their names and columns; what the product needs is added around them.
-- Every step is idempotent through a uniqueness constraint.

CREATE TABLE customers (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT        NOT NULL,
    email              TEXT        NOT NULL UNIQUE,
    stripe_customer_id TEXT UNIQUE,
    status             TEXT        NOT NULL DEFAULT 'unpaid',
    last_payment_date  TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    id          BIGSERIAL PRIMARY KEY,
    customer_id BIGINT      NOT NULL REFERENCES customers (id),
    plz         VARCHAR(10) NOT NULL,
    start_date  TIMESTAMPTZ NOT NULL DEFAULT now(),
    end_date    TIMESTAMPTZ,
    status      TEXT        NOT NULL DEFAULT 'active',
    UNIQUE (customer_id, plz)
);

-- One lead per Dialfire contact ($id). Lifecycle:
--   pending      stored with PDF and PLZ, waiting for distribution
--   unroutable   no valid PLZ in the contact field nor in the PDF (status_reason says why)
--   pdf_missing  the lead sheet could not be had: no reference, 404, not a PDF, too large
--   distributed / unassigned / expired   set by the distribution stage
CREATE TABLE leads (
    id               BIGSERIAL PRIMARY KEY,
    plz              VARCHAR(10),
    pdf_url          TEXT,
    dialfire_id      TEXT        NOT NULL UNIQUE,
    dialfire_version TEXT        NOT NULL,
    contact          JSONB       NOT NULL,
    status           TEXT        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'unroutable', 'pdf_missing', 'distributed', 'unassigned', 'expired')),
    status_reason    TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at     TIMESTAMPTZ
);
CREATE INDEX leads_status_idx ON leads (status);

-- The lead sheet, kept apart so that lead queries never drag megabytes along.
CREATE TABLE lead_pdfs (
    lead_id    BIGINT PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
    content    BYTEA       NOT NULL,
    sha256     CHAR(64)    NOT NULL,
    size_bytes INTEGER     NOT NULL CHECK (size_bytes > 0),
    fetched_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE lead_distributions (
    id            BIGSERIAL PRIMARY KEY,
    lead_id       BIGINT      NOT NULL REFERENCES leads (id),
    customer_id   BIGINT      NOT NULL REFERENCES customers (id),
    scheduled_for TIMESTAMPTZ,
    sent_at       TIMESTAMPTZ,
    status        TEXT        NOT NULL DEFAULT 'pending',
    UNIQUE (lead_id, customer_id)
);

-- Where each polling import stands. The watermark only moves after a page's leads are committed.
CREATE TABLE import_watermarks (
    source          TEXT PRIMARY KEY,
    watermark       TIMESTAMPTZ NOT NULL,
    last_success_at TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Stripe webhook events, deduplicated by Stripe's event id (used by the billing stage).
CREATE TABLE stripe_events (
    event_id     TEXT PRIMARY KEY,
    type         TEXT        NOT NULL,
    payload      JSONB,
    status       TEXT        NOT NULL DEFAULT 'received',
    reason       TEXT,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at TIMESTAMPTZ
);
