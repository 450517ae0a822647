-- Registry imports (upsert by CURP from .xlsx/.csv) and the rows they refused.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE registry_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('xlsx', 'csv')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'finished', 'failed')),
    percent INTEGER NOT NULL,
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    failure TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX registry_imports_status ON registry_imports (status);

CREATE TABLE registry_import_rejections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id BIGINT NOT NULL REFERENCES registry_imports (id),
    row_number BIGINT NOT NULL,
    curp TEXT,
    reason TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX registry_import_rejections_import ON registry_import_rejections (import_id, row_number);
