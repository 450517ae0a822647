-- Farmer registry (padrón de productores) and its per-field history.
-- Kept in lockstep with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE farmers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    curp TEXT NOT NULL UNIQUE,
    rfc TEXT,
    given_names TEXT NOT NULL,
    first_surname TEXT NOT NULL,
    second_surname TEXT,
    -- Upper case without accents, for searching by name as people type it.
    search_name TEXT NOT NULL,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('H', 'M')),
    birth_state TEXT NOT NULL,
    state TEXT,
    municipality TEXT,
    producer_folio TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'deceased', 'deregistered')),
    last_proof_of_life_at TIMESTAMP,
    sat_opinion TEXT,
    sat_folio TEXT,
    sat_issued_on DATE,
    sat_valid_until DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX farmers_state ON farmers (state);
CREATE INDEX farmers_status ON farmers (status);
CREATE INDEX farmers_search_name ON farmers (search_name);

-- One row per changed field: nothing is lost, every change can be traced and reverted.
CREATE TABLE farmer_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    farmer_id BIGINT NOT NULL REFERENCES farmers (id),
    field TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT,
    source TEXT NOT NULL CHECK (source IN ('demo', 'import', 'edit', 'confrontation')),
    source_ref TEXT,
    comment TEXT,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX farmer_history_farmer ON farmer_history (farmer_id, id);
