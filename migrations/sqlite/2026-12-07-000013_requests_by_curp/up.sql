-- The request list finds the requests whose confrontations asked for a CURP (docs/architecture.md, "The request procedure").
CREATE INDEX confrontation_items_curp ON confrontation_items (curp);
