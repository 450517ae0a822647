//! Reading units: a unit, the list, the names other records embed, and whether a unit may be
//! given to a user or client.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use confrontas_api::{FieldError, NameFilter, Page, Unit, UnitRef};
use diesel::prelude::*;

use crate::db::{self, AnyConnection, PageRequest, contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::schema::units;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub is_ministry: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<UnitRow> for Unit {
    fn from(row: UnitRow) -> Unit {
        Unit {
            id: row.id,
            key: row.key,
            name: row.name,
            is_ministry: row.is_ministry,
            active: row.active,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// Id, key and name of the given units, for embedding in other records.
pub fn unit_refs(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, UnitRef>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashMap::new();
    for chunk in ids.chunks(db::IN_CHUNK) {
        let rows = units::table
            .filter(units::id.eq_any(chunk))
            .select((units::id, units::key, units::name))
            .load::<(i64, String, String)>(conn)?;
        for (id, key, name) in rows {
            found.insert(id, UnitRef { id, key, name });
        }
    }
    Ok(found)
}

/// Checks that `unit_id` names an active unit; otherwise a field error for `field`.
pub fn require_active_unit(conn: &mut AnyConnection, unit_id: i64, field: &str) -> AppResult<()> {
    let active = units::table
        .find(unit_id)
        .select(units::active)
        .first::<bool>(conn)
        .optional()?;
    match active {
        Some(true) => Ok(()),
        _ => Err(AppError::validation(vec![FieldError::new(
            field,
            "La unidad no existe o está inactiva.",
        )])),
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> AppResult<UnitRow> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("La unidad administrativa no existe."))
}

/// A page of the units `filter` matches, by key.
pub fn list(
    conn: &mut AnyConnection,
    filter: &NameFilter,
    page: PageRequest,
) -> AppResult<Page<Unit>> {
    let matching = || {
        let mut query = units::table.into_boxed();
        if let Some(text) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            let pattern = contains_pattern(text);
            query = query.filter(
                lower(units::key)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(units::name).like(pattern).escape('\\')),
            );
        }
        if let Some(active) = filter.active {
            query = query.filter(units::active.eq(active));
        }
        query
    };
    let rows = page.load(
        conn,
        matching().count(),
        matching()
            .order((units::key.asc(), units::id.asc()))
            .select(UnitRow::as_select()),
    )?;
    Ok(rows.map(|rows| rows.into_iter().map(Unit::from).collect()))
}
