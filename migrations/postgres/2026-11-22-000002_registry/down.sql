DROP TABLE farmer_history;
DROP TABLE farmers;
