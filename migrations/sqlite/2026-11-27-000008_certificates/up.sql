-- RENAPO's web-service certificates (issue 7): each upload parsed and checked, then deployed
-- as the RENAPO client's trust anchor (one at a time), retired when replaced, deployed again
-- on rollback. The chain is kept as PEM text; the details as JSON for the API.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE renapo_certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT REFERENCES requests (id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    -- The chain as PEM, the leaf first: what the client trusts once deployed.
    pem TEXT NOT NULL,
    -- JSON array of the parsed certificates, the leaf first.
    details TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    not_after TIMESTAMP NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('uploaded', 'deployed', 'retired')),
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    deployed_by BIGINT REFERENCES users (id),
    deployed_at TIMESTAMP,
    retired_at TIMESTAMP,
    verified_at TIMESTAMP,
    verified_ok BOOLEAN,
    verification_detail TEXT,
    -- Expiry alerts already sent (30, 15, 7, 0 days), comma-separated.
    alerts_sent TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX renapo_certificates_state ON renapo_certificates (state, deployed_at);
CREATE INDEX renapo_certificates_request ON renapo_certificates (request_id);

-- Notifications may be about RENAPO's certificate (expiry alerts) instead of a request: the
-- request and its event become optional (SQLite rebuilds the table to drop NOT NULL).
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    request_id BIGINT REFERENCES requests (id),
    event_id BIGINT REFERENCES request_events (id),
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    emailed_at TIMESTAMP,
    email_attempts INTEGER NOT NULL,
    certificate_id BIGINT REFERENCES renapo_certificates (id)
);
INSERT INTO notifications_new (id, user_id, request_id, event_id, message, created_at, read_at, emailed_at, email_attempts)
    SELECT id, user_id, request_id, event_id, message, created_at, read_at, emailed_at, email_attempts FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_email ON notifications (emailed_at, email_attempts);
