-- Quotas shared by every instance of a deployment (docs/architecture.md, "Shared quotas"): the
-- schedule of each authority's query slots, and each caller's online consultations in the
-- current minute. Both live in the database so that instances add up to one quota and a
-- restart forgets nothing.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE authority_pace (
    authority TEXT PRIMARY KEY NOT NULL,
    -- When the next free query slot starts: microseconds since the Unix epoch, by the
    -- database's clock (every instance reads the same one).
    next_slot_us BIGINT NOT NULL
);

CREATE TABLE consultation_windows (
    caller TEXT PRIMARY KEY NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    consultations INTEGER NOT NULL
);
