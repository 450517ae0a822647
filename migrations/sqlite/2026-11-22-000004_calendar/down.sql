DROP TABLE non_working_days;
