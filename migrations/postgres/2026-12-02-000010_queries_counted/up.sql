-- Every query sent to the authority, per item and per job (docs/architecture.md,
-- "Confrontations"): retries, and answers a lost lease threw away, included — RENAPO counts them
-- all against the agency's quota.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

ALTER TABLE confrontations ADD COLUMN queries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE confrontation_items ADD COLUMN queries INTEGER NOT NULL DEFAULT 0;
