DROP TABLE confrontation_items;
DROP TABLE confrontations;
