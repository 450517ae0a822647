//! Changing staff users: creating one and editing it (ending its sessions when its access
//! changes), each with its audit row in the same transaction.

use confrontas_api::{NewUser, User, UserPatch};
use diesel::prelude::*;
use serde_json::json;

use super::records::find;
use crate::audit::Actor;
use crate::auth::service::revoke_user_sessions;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::users;
use crate::units::records::require_active_unit;

/// Inserts a user whose password is already hashed (used by the API, the bootstrap admin and
/// the demo seed, so every account is created the same way).
pub fn insert_user(
    conn: &mut AnyConnection,
    user: &NewUser,
    password_hash: &str,
) -> AppResult<User> {
    let email = user.email.trim().to_lowercase();
    require_active_unit(conn, user.unit_id, "unit_id")?;
    let taken = users::table
        .filter(users::email.eq(&email))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        return Err(AppError::conflict(
            "email_taken",
            format!("Ya existe un usuario con el correo {email}."),
        ));
    }
    let now = db::now();
    let id = diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::name.eq(user.name.trim()),
            users::position.eq(user.position.trim()),
            users::unit_id.eq(user.unit_id),
            users::role.eq(user.role.as_str()),
            users::password_hash.eq(password_hash),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result::<i64>(conn)?;
    find(conn, id)
}

/// Creates `user` with its hashed password, audited.
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    user: &NewUser,
    password_hash: &str,
) -> AppResult<User> {
    conn.write_transaction(|conn| {
        let created = insert_user(conn, user, password_hash)?;
        actor.record(
            conn,
            "user_created",
            "user",
            created.id.to_string(),
            json!({ "email": created.email, "role": created.role, "unit_id": created.unit.id }),
        )?;
        Ok(created)
    })
}

/// Applies `patch` (and a new password's hash) to user `id`, audited. Disabling, a new
/// password, a new role or a new unit ends the user's sessions.
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    patch: &UserPatch,
    new_hash: Option<&str>,
) -> AppResult<User> {
    conn.write_transaction(|conn| {
        let before = find(conn, id)?;
        if let Some(unit_id) = patch.unit_id {
            require_active_unit(conn, unit_id, "unit_id")?;
        }
        let after_role = patch.role.unwrap_or(before.role);
        let after_unit = patch.unit_id.unwrap_or(before.unit.id);
        let after_active = patch.active.unwrap_or(before.active);
        diesel::update(users::table.find(id))
            .set((
                users::name.eq(patch.name.as_deref().map(str::trim).unwrap_or(&before.name)),
                users::position.eq(patch
                    .position
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(&before.position)),
                users::unit_id.eq(after_unit),
                users::role.eq(after_role.as_str()),
                users::active.eq(after_active),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        if let Some(hash) = new_hash {
            diesel::update(users::table.find(id))
                .set(users::password_hash.eq(hash))
                .execute(conn)?;
        }
        let ends_sessions = new_hash.is_some()
            || !after_active
            || after_role != before.role
            || after_unit != before.unit.id;
        let sessions_ended = if ends_sessions {
            revoke_user_sessions(conn, id)?
        } else {
            0
        };
        let after = find(conn, id)?;
        actor.record(
            conn,
            "user_updated",
            "user",
            id,
            json!({
                "before": { "name": before.name, "position": before.position, "unit_id": before.unit.id, "role": before.role, "active": before.active },
                "after": { "name": after.name, "position": after.position, "unit_id": after.unit.id, "role": after.role, "active": after.active },
                "password_reset": new_hash.is_some(),
                "sessions_ended": sessions_ended,
            }),
        )?;
        Ok(after)
    })
}

/// Replaces user `id`'s password with the temporary one hashed as `hash`, which they must change
/// before anything else, and ends their sessions; audited without any secret.
pub fn reset_password(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    hash: &str,
) -> AppResult<()> {
    conn.write_transaction(|conn| {
        let user = find(conn, id)?;
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::must_change_password.eq(true),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        let sessions_ended = revoke_user_sessions(conn, id)?;
        actor.record(
            conn,
            "user_password_reset",
            "user",
            id,
            json!({ "email": user.email, "sessions_ended": sessions_ended }),
        )?;
        Ok(())
    })
}
