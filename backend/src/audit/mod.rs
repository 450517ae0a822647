//! The audit log: one row per state change, written in the same transaction as the change.

use crate::db;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::schema::audit_log;

/// One audited action. `detail` is a small JSON object; secrets never go in it.
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub detail: serde_json::Value,
    pub client_ip: Option<String>,
}

pub fn record(conn: &mut AnyConnection, entry: AuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(db::now()),
            audit_log::actor.eq(entry.actor),
            audit_log::action.eq(entry.action),
            audit_log::entity.eq(entry.entity),
            audit_log::entity_id.eq(entry.entity_id),
            audit_log::detail.eq(entry.detail.to_string()),
            audit_log::client_ip.eq(entry.client_ip),
        ))
        .execute(conn)
        .map(drop)
}

/// The actions recorded for an entity, oldest first (used by tests and, later, the UI).
pub fn actions_for(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    audit_log::table
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.asc())
        .select((audit_log::actor, audit_log::action))
        .load(conn)
}
