-- SAT confrontations (issue 6): how a job obtains the opinions, the exchange-file steps, and per
-- item the RFC asked and the opinion answered (kept even when nothing changes, for the reports).
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

ALTER TABLE confrontations ADD COLUMN provider TEXT CHECK (provider IN ('exchange_file', 'online'));
ALTER TABLE confrontations ADD COLUMN exported_at TIMESTAMP;
-- The imported answer file, kept in the attachment store (by SHA-256) as evidence.
ALTER TABLE confrontations ADD COLUMN answers_file_name TEXT;
ALTER TABLE confrontations ADD COLUMN answers_sha256 TEXT;

ALTER TABLE confrontation_items ADD COLUMN rfc TEXT;
-- Comma-separated `RfcWarning` codes.
ALTER TABLE confrontation_items ADD COLUMN rfc_warnings TEXT;
ALTER TABLE confrontation_items ADD COLUMN opinion_folio TEXT;
ALTER TABLE confrontation_items ADD COLUMN opinion_issued_on DATE;
ALTER TABLE confrontation_items ADD COLUMN opinion_valid_until DATE;
CREATE INDEX confrontation_items_rfc ON confrontation_items (confrontation_id, rfc);
CREATE INDEX farmers_rfc ON farmers (rfc);
