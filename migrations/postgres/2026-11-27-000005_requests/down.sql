DROP TABLE notifications;
DROP TABLE sequences;
DROP TABLE sla_policies;
DROP TABLE request_sla_targets;
DROP TABLE attachments;
DROP TABLE request_events;
DROP TABLE requests;
