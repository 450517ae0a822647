-- Facts the server keeps about itself across restarts, e.g. which rule the registry's stored
-- opinion validity days follow (docs/sat-protocol.md, "Validity").
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
