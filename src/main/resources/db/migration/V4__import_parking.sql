-- Import parking (issue 9): a contact that cannot become a complete lead is kept, never dropped.
--   invalid      the contact itself cannot be stored as it is (e.g. a NUL character in a field: the
--                stored copy has it replaced), or storing it failed unexpectedly; status_reason says why
--   pdf_missing  as before; pdf_failure says whether the PDF failed for a transient reason (5xx, timeout,
--                connection, DNS) or a permanent one (404, not allowed, not a PDF, too large, no reference)
-- pdf_retry_until: until then a pdf_missing lead's PDF is fetched again (transient ones by every import
-- run, any of them when the contact shows up in the feed again); set when the lead was parked pdf_missing
-- (GEOLEAD_PDF_RETRY_FOR later), kept while it stays pdf_missing with the same $version.
ALTER TABLE leads DROP CONSTRAINT leads_status_check;
ALTER TABLE leads ADD CONSTRAINT leads_status_check
    CHECK (status IN ('pending', 'unroutable', 'pdf_missing', 'invalid', 'distributed', 'unassigned', 'expired'));
ALTER TABLE leads
    ADD COLUMN pdf_failure     TEXT CHECK (pdf_failure IN ('transient', 'permanent')),
    ADD COLUMN pdf_retry_until TIMESTAMPTZ;
CREATE INDEX leads_pdf_retry_idx ON leads (pdf_retry_until) WHERE status = 'pdf_missing' AND pdf_failure = 'transient';
