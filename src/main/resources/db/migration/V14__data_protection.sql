-- Issue 13: data protection and proof (package de.geolead.privacy, routes/data-protection.camel.yaml).

-- Encryption at rest (GEOLEAD_DATA_KEYS). A sealed contact is in contact_sealed (AES-256-GCM, the lead id as
-- associated data) and leads.contact then holds '{}'; contact_key names the key it was sealed with.
-- NULL key = stored plain (no GEOLEAD_DATA_KEYS when it was written). The same for the PDF in lead_pdfs.content.
ALTER TABLE leads
    ADD COLUMN contact_sealed BYTEA,
    ADD COLUMN contact_key    TEXT,
    ADD CONSTRAINT leads_contact_sealed_check CHECK ((contact_sealed IS NULL) = (contact_key IS NULL));
ALTER TABLE lead_pdfs ADD COLUMN content_key TEXT;

-- Retention and erasure: the contact is replaced by '{}', the PDF and the return notes are deleted, pdf_url is
-- cleared; PLZ, dates, statuses, the distribution history and the receipts stay.
--   retention  GEOLEAD_RETENTION after the lead's last mail or parking (route data-retention)
--   request    a data-subject erasure through the operations API (who asked is in audit_log)
-- An erased lead is never imported again, whatever Dialfire sends for its contact later.
ALTER TABLE leads
    ADD COLUMN erased_at     TIMESTAMPTZ,
    ADD COLUMN erased_reason TEXT CHECK (erased_reason IN ('retention', 'request')),
    ADD CONSTRAINT leads_erased_check CHECK ((erased_at IS NULL) = (erased_reason IS NULL));

-- Consent (DIALFIRE_CONSENT_FIELD): the field's value and the Dialfire transaction time it was read at.
-- A lead without a truthy value is parked no_consent and never mailed.
ALTER TABLE leads
    ADD COLUMN consent_value TEXT,
    ADD COLUMN consent_at    TIMESTAMPTZ;
ALTER TABLE leads DROP CONSTRAINT leads_status_check;
ALTER TABLE leads ADD CONSTRAINT leads_status_check
    CHECK (status IN ('pending', 'unroutable', 'pdf_missing', 'invalid', 'distributed', 'unassigned', 'expired',
                      'parked', 'no_consent'));

-- Signed delivery receipts: one per mail, a hash chain over all of them (seq 1, 2, 3 … without gaps), each
-- signed with Ed25519 under GEOLEAD_RECEIPT_KEY. body is the exact canonical JSON that was hashed and signed.
CREATE TABLE receipt_keys (
    key_id     TEXT PRIMARY KEY,
    public_key TEXT        NOT NULL,
    first_used TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE receipt_keys IS 'Ed25519 public keys (base64 X.509) that signed receipts; key_id = first 16 hex of SHA-256 of the key';
CREATE TABLE delivery_receipts (
    seq             BIGINT PRIMARY KEY CHECK (seq > 0),
    distribution_id BIGINT      NOT NULL UNIQUE REFERENCES lead_distributions (id),
    lead_id         BIGINT      NOT NULL REFERENCES leads (id),
    body            TEXT        NOT NULL,
    hash            CHAR(64)    NOT NULL UNIQUE,
    prev_hash       CHAR(64),
    signature       TEXT        NOT NULL,
    key_id          TEXT        NOT NULL REFERENCES receipt_keys (key_id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT delivery_receipts_chain_check CHECK ((seq = 1) = (prev_hash IS NULL))
);
CREATE INDEX delivery_receipts_lead_idx ON delivery_receipts (lead_id);
