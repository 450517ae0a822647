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
