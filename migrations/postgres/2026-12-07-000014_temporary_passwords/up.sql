-- A password an administrator reset is temporary: its holder must choose their own before doing
-- anything else (docs/architecture.md, "Roles").
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
