//! The audit log: one row per state change, written in the same transaction as the change.

use std::net::IpAddr;

use diesel::prelude::*;

use crate::db::{self, AnyConnection};
use crate::schema::audit_log;

/// Who did something, as the audit log names them: `user:{id}`, `client:{client_id}` or `system`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub client_ip: Option<String>,
}

impl Actor {
    pub fn user(id: i64, ip: IpAddr) -> Actor {
        Actor {
            name: format!("user:{id}"),
            client_ip: Some(ip.to_string()),
        }
    }

    pub fn client(client_id: &str, ip: IpAddr) -> Actor {
        Actor {
            name: format!("client:{client_id}"),
            client_ip: Some(ip.to_string()),
        }
    }

    /// The server itself (seeding, security reactions), optionally on behalf of a request from `ip`.
    pub fn system(ip: Option<IpAddr>) -> Actor {
        Actor {
            name: "system".into(),
            client_ip: ip.map(|ip| ip.to_string()),
        }
    }

    /// Records `action` on `entity` `entity_id`, inside the caller's transaction. `detail` is a
    /// small JSON object; secrets never go in it.
    pub fn record(
        &self,
        conn: &mut AnyConnection,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        detail: serde_json::Value,
    ) -> QueryResult<()> {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(db::now()),
                audit_log::actor.eq(&self.name),
                audit_log::action.eq(action),
                audit_log::entity.eq(entity),
                audit_log::entity_id.eq(entity_id.to_string()),
                audit_log::detail.eq(detail.to_string()),
                audit_log::client_ip.eq(&self.client_ip),
            ))
            .execute(conn)
            .map(drop)
    }
}

/// The actions recorded for an entity, oldest first, as (actor, action).
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

/// Whether user `user_id` logged in from `client_ip` at or after `since` (what makes an address
/// usual for an account: README, "Login throttling").
pub fn logged_in_from(
    conn: &mut AnyConnection,
    user_id: i64,
    client_ip: &str,
    since: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        audit_log::table
            .filter(audit_log::entity.eq("user"))
            .filter(audit_log::entity_id.eq(user_id.to_string()))
            .filter(audit_log::action.eq("login"))
            .filter(audit_log::client_ip.eq(client_ip))
            .filter(audit_log::at.ge(since)),
    ))
    .get_result(conn)
}
