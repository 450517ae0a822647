//! Changing units: creating one and editing it, each with its audit row in the same transaction.

use confrontas_api::{NewUnit, Unit, UnitPatch};
use diesel::prelude::*;
use serde_json::json;

use super::records::{UnitRow, find};
use crate::audit::Actor;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::units;

/// Inserts a unit (used by the API, the bootstrap admin and the demo seed).
pub fn insert_unit(conn: &mut AnyConnection, unit: &NewUnit) -> AppResult<Unit> {
    let now = db::now();
    let taken = units::table
        .filter(units::key.eq(&unit.key))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        return Err(AppError::conflict(
            "unit_key_taken",
            format!("Ya existe una unidad con la clave {}.", unit.key),
        ));
    }
    let row = diesel::insert_into(units::table)
        .values((
            units::key.eq(&unit.key),
            units::name.eq(unit.name.trim()),
            units::is_ministry.eq(unit.is_ministry),
            units::active.eq(true),
            units::created_at.eq(now),
            units::updated_at.eq(now),
        ))
        .returning(units::all_columns)
        .get_result::<UnitRow>(conn)?;
    Ok(row.into())
}

/// Creates `unit`, audited.
pub fn create(conn: &mut AnyConnection, actor: &Actor, unit: &NewUnit) -> AppResult<Unit> {
    conn.write_transaction(|conn| {
        let created = insert_unit(conn, unit)?;
        let detail =
            json!({ "key": created.key, "name": created.name, "is_ministry": created.is_ministry });
        actor.record(conn, "unit_created", "unit", created.id, detail)?;
        Ok(created)
    })
}

/// Applies `patch` to unit `id`, audited with the values before and after.
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    patch: &UnitPatch,
) -> AppResult<Unit> {
    conn.write_transaction(|conn| {
        let before = find(conn, id)?;
        let name = patch
            .name
            .as_deref()
            .map(str::trim)
            .unwrap_or(&before.name)
            .to_owned();
        let row = diesel::update(units::table.find(id))
            .set((
                units::name.eq(&name),
                units::is_ministry.eq(patch.is_ministry.unwrap_or(before.is_ministry)),
                units::active.eq(patch.active.unwrap_or(before.active)),
                units::updated_at.eq(db::now()),
            ))
            .returning(units::all_columns)
            .get_result::<UnitRow>(conn)?;
        actor.record(
            conn,
            "unit_updated",
            "unit",
            id,
            json!({
                "before": { "name": before.name, "is_ministry": before.is_ministry, "active": before.active },
                "after": { "name": row.name, "is_ministry": row.is_ministry, "active": row.active },
            }),
        )?;
        Ok(Unit::from(row))
    })
}
