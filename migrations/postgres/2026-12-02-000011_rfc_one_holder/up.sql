-- One RFC is one person's (docs/sat-protocol.md, "Whose RFC it is"): no two farmers hold the
-- same RFC, the generic ones (público en general, extranjero) aside. An RFC that several
-- farmers already hold is not theirs to keep until someone decides whose it is: it is removed
-- from each of them, with a history row that keeps the value and says why, and one audit row.
-- Kept in lockstep with the other backend's migrations (a test compares the resulting schemas).

CREATE TEMPORARY TABLE shared_rfcs AS
    SELECT rfc FROM farmers
    WHERE rfc IS NOT NULL AND rfc NOT IN ('XAXX010101000', 'XEXX010101000')
    GROUP BY rfc HAVING COUNT(*) > 1;

INSERT INTO farmer_history (farmer_id, field, before_value, after_value, source, source_ref, comment, actor, at)
    SELECT id, 'rfc', rfc, NULL, 'edit', NULL,
        'RFC retirado: lo tenían varios productores. Asígnelo al productor que corresponda.',
        'system', (now() AT TIME ZONE 'UTC')
    FROM farmers WHERE rfc IN (SELECT rfc FROM shared_rfcs);

INSERT INTO audit_log (at, actor, action, entity, entity_id, detail)
    SELECT (now() AT TIME ZONE 'UTC'), 'system', 'shared_rfcs_removed', 'registry', 'farmers',
        '{"rfcs": ' || COUNT(*) || '}'
    FROM shared_rfcs HAVING COUNT(*) > 0;

UPDATE farmers SET rfc = NULL, version = version + 1
    WHERE rfc IN (SELECT rfc FROM shared_rfcs);

DROP TABLE shared_rfcs;

CREATE UNIQUE INDEX farmers_rfc_one_holder ON farmers (rfc)
    WHERE rfc IS NOT NULL AND rfc NOT IN ('XAXX010101000', 'XEXX010101000');
