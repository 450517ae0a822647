//! Changing API clients: registering one, editing it, issuing a new secret; each with its audit
//! row in the same transaction. A secret is shown once and stored as its SHA-256 (it has 256
//! bits of entropy, so a slow hash adds nothing).

use confrontas_api::{ApiClient, ApiClientCredentials, ApiClientPatch, NewApiClient};
use diesel::prelude::*;
use serde_json::json;

use super::records::find;
use crate::audit::Actor;
use crate::auth::principal::format_scopes;
use crate::auth::tokens::{random_token, sha256_hex};
use crate::db::{self, AnyConnection};
use crate::error::AppResult;
use crate::schema::api_clients;
use crate::units::records::require_active_unit;

/// A new secret and its hash.
fn new_secret() -> (String, String) {
    let secret = random_token(32);
    let hash = sha256_hex(&secret);
    (secret, hash)
}

/// Registers `client`; its credentials, with the secret.
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    client: &NewApiClient,
) -> AppResult<ApiClientCredentials> {
    conn.write_transaction(|conn| {
        require_active_unit(conn, client.unit_id, "unit_id")?;
        let (secret, hash) = new_secret();
        let now = db::now();
        let id = diesel::insert_into(api_clients::table)
            .values((
                api_clients::client_id.eq(format!("cli_{}", random_token(12))),
                api_clients::name.eq(client.name.trim()),
                api_clients::secret_hash.eq(hash),
                api_clients::unit_id.eq(client.unit_id),
                api_clients::scopes.eq(format_scopes(&client.scopes)),
                api_clients::active.eq(true),
                api_clients::created_at.eq(now),
                api_clients::updated_at.eq(now),
            ))
            .returning(api_clients::id)
            .get_result::<i64>(conn)?;
        let created = find(conn, id)?;
        let detail = json!({ "client_id": created.client_id, "unit_id": created.unit.id, "scopes": created.scopes });
        actor.record(conn, "api_client_created", "api_client", id, detail)?;
        Ok(ApiClientCredentials {
            client: created,
            client_secret: secret,
        })
    })
}

/// Applies `patch` to client `id`, audited with the values before and after.
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    patch: &ApiClientPatch,
) -> AppResult<ApiClient> {
    conn.write_transaction(|conn| {
        let before = find(conn, id)?;
        diesel::update(api_clients::table.find(id))
            .set((
                api_clients::name.eq(patch.name.as_deref().map(str::trim).unwrap_or(&before.name)),
                api_clients::scopes.eq(format_scopes(
                    patch.scopes.as_deref().unwrap_or(&before.scopes),
                )),
                api_clients::active.eq(patch.active.unwrap_or(before.active)),
                api_clients::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        let after = find(conn, id)?;
        actor.record(
            conn,
            "api_client_updated",
            "api_client",
            id,
            json!({
                "before": { "name": before.name, "scopes": before.scopes, "active": before.active },
                "after": { "name": after.name, "scopes": after.scopes, "active": after.active },
            }),
        )?;
        Ok(after)
    })
}

/// A new secret for client `id`; the old one stops working at once.
pub fn rotate_secret(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<ApiClientCredentials> {
    conn.write_transaction(|conn| {
        find(conn, id)?;
        let (secret, hash) = new_secret();
        diesel::update(api_clients::table.find(id))
            .set((
                api_clients::secret_hash.eq(hash),
                api_clients::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        actor.record(
            conn,
            "api_client_secret_rotated",
            "api_client",
            id.to_string(),
            json!({}),
        )?;
        Ok(ApiClientCredentials {
            client: find(conn, id)?,
            client_secret: secret,
        })
    })
}
