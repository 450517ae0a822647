ALTER TABLE confrontation_items DROP COLUMN queries;
ALTER TABLE confrontations DROP COLUMN queries;
