DROP INDEX confrontation_items_curp;
