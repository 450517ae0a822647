-- Service requests (DESIGN §5): the request, its timeline, documents, service-level targets,
-- numbering and notifications. Times are UTC.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_type TEXT NOT NULL CHECK (request_type IN ('renapo', 'sat', 'certificate')),
    state TEXT NOT NULL CHECK (state IN ('submitted', 'observed', 'forwarded', 'rejected',
        'in_progress', 'resolved', 'closed', 'cancelled')),
    ticket_number TEXT NOT NULL UNIQUE,
    folio TEXT UNIQUE,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    requested_by BIGINT NOT NULL REFERENCES users (id),
    subject TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    signer_position TEXT NOT NULL,
    version INTEGER NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX requests_unit ON requests (unit_id, submitted_at);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_submitted ON requests (submitted_at);

-- Every action and event, with who, when and why; the service-level clocks are computed from it.
CREATE TABLE request_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    event TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    comment TEXT,
    -- JSON array of the observation's items (observe only).
    items TEXT,
    folio TEXT
);
CREATE INDEX request_events_request ON request_events (request_id, id);

-- Documents; the files are on disk, named by their SHA-256. Versions of a kind are kept.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    event_id BIGINT NOT NULL REFERENCES request_events (id),
    kind TEXT NOT NULL CHECK (kind IN ('oficio', 'layout', 'response_letter', 'report', 'certificate')),
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    -- JSON of the layout check's totals (layouts only).
    layout_totals TEXT,
    UNIQUE (request_id, kind, version)
);
CREATE INDEX attachments_event ON attachments (event_id);

-- The targets in force when each request was submitted (DESIGN §6: snapshotted).
CREATE TABLE request_sla_targets (
    request_id BIGINT NOT NULL REFERENCES requests (id),
    clock TEXT NOT NULL CHECK (clock IN ('first_contact', 'attention', 'certificate_deployment')),
    business_days INTEGER NOT NULL,
    at_risk_days INTEGER NOT NULL,
    PRIMARY KEY (request_id, clock)
);

CREATE TABLE sla_policies (
    request_type TEXT NOT NULL CHECK (request_type IN ('renapo', 'sat', 'certificate')),
    clock TEXT NOT NULL CHECK (clock IN ('first_contact', 'attention', 'certificate_deployment')),
    business_days INTEGER NOT NULL,
    at_risk_days INTEGER NOT NULL,
    updated_by TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_type, clock)
);
-- The service cards' times: first contact 5 business days; attention 10 (RENAPO) and 27 (SAT);
-- certificate deployment 1 business day after receipt.
INSERT INTO sla_policies (request_type, clock, business_days, at_risk_days, updated_at) VALUES
    ('renapo', 'first_contact', 5, 1, CURRENT_TIMESTAMP),
    ('renapo', 'attention', 10, 2, CURRENT_TIMESTAMP),
    ('sat', 'first_contact', 5, 1, CURRENT_TIMESTAMP),
    ('sat', 'attention', 27, 5, CURRENT_TIMESTAMP),
    ('certificate', 'first_contact', 5, 1, CURRENT_TIMESTAMP),
    ('certificate', 'certificate_deployment', 1, 0, CURRENT_TIMESTAMP);

-- Gap-free numbers (tickets, folios) per series and year: the counter moves in the transaction
-- that uses the number, so a rolled-back action gives its number back.
CREATE TABLE sequences (
    name TEXT PRIMARY KEY NOT NULL,
    last_value BIGINT NOT NULL
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    request_id BIGINT NOT NULL REFERENCES requests (id),
    event_id BIGINT NOT NULL REFERENCES request_events (id),
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    -- E-mail delivery (when configured): sent time, or failed attempts so far.
    emailed_at TIMESTAMP,
    email_attempts INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_email ON notifications (emailed_at, email_attempts);
