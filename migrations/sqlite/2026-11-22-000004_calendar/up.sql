-- Non-working days the admin declares (DOF agreements of the ministry: Holy Thursday and Friday,
-- election days…), on top of Saturdays, Sundays and the LFT art. 74 days computed in code.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TABLE non_working_days (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day DATE NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
