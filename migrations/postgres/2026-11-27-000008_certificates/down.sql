DROP TABLE renapo_certificates;
