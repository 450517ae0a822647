DELETE FROM notifications WHERE request_id IS NULL OR event_id IS NULL;
ALTER TABLE notifications DROP COLUMN certificate_id;
ALTER TABLE notifications ALTER COLUMN request_id SET NOT NULL;
ALTER TABLE notifications ALTER COLUMN event_id SET NOT NULL;
DROP TABLE renapo_certificates;
