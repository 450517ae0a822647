DELETE FROM notifications WHERE request_id IS NULL OR event_id IS NULL;
CREATE TABLE notifications_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    request_id BIGINT NOT NULL REFERENCES requests (id),
    event_id BIGINT NOT NULL REFERENCES request_events (id),
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    emailed_at TIMESTAMP,
    email_attempts INTEGER NOT NULL
);
INSERT INTO notifications_old SELECT id, user_id, request_id, event_id, message, created_at, read_at, emailed_at, email_attempts FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_email ON notifications (emailed_at, email_attempts);
DROP TABLE renapo_certificates;
