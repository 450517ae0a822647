DROP INDEX farmers_rfc_one_holder;
