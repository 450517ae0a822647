-- Confrontations (DESIGN §8): one job per run of a request's layout against an authority, and
-- one item per layout row. Items are leased in chunks by the engine instances (lease owner and
-- expiry), so a dead instance's work is taken over; results are fenced by the lease.
-- The job's counters move in the same transaction as the items they count.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE confrontations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    authority TEXT NOT NULL CHECK (authority IN ('renapo', 'sat')),
    state TEXT NOT NULL CHECK (state IN ('running', 'waiting_authority', 'paused', 'cancelled', 'finished')),
    waiting_reason TEXT,
    layout_attachment_id BIGINT NOT NULL REFERENCES attachments (id),
    to_process BIGINT NOT NULL,
    processed BIGINT NOT NULL,
    to_update BIGINT NOT NULL,
    no_update BIGINT NOT NULL,
    cannot_update BIGINT NOT NULL,
    deceased BIGINT NOT NULL,
    found BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    applied_at TIMESTAMP,
    reverted_at TIMESTAMP,
    version INTEGER NOT NULL
);
CREATE INDEX confrontations_request ON confrontations (request_id, id);
CREATE INDEX confrontations_state ON confrontations (state);
CREATE INDEX confrontations_finished ON confrontations (finished_at);

CREATE TABLE confrontation_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    confrontation_id BIGINT NOT NULL REFERENCES confrontations (id),
    row_number INTEGER NOT NULL,
    curp TEXT NOT NULL,
    farmer_id BIGINT REFERENCES farmers (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done')),
    lease_owner TEXT,
    lease_until TIMESTAMP,
    attempts INTEGER NOT NULL,
    classification TEXT CHECK (classification IN ('no_update', 'update', 'cannot_update')),
    reason TEXT,
    deceased BOOLEAN NOT NULL,
    found BOOLEAN NOT NULL,
    authority_status TEXT,
    -- JSON array of {field, before, after}.
    changes TEXT,
    processed_at TIMESTAMP,
    -- The engine instance whose result was stored.
    processed_by TEXT,
    applied_at TIMESTAMP,
    reverted_at TIMESTAMP,
    apply_conflict TEXT,
    UNIQUE (confrontation_id, row_number)
);
CREATE INDEX confrontation_items_work ON confrontation_items (confrontation_id, state, id);
CREATE INDEX confrontation_items_class ON confrontation_items (confrontation_id, classification, row_number);
