//! Reading staff users: one, the list, as the API shows them (with their unit).

use chrono::NaiveDateTime;
use confrontas_api::{Page, Role, User, UserFilter};
use diesel::prelude::*;

use crate::db::{AnyConnection, PageRequest, contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::schema::users;
use crate::units::records::unit_refs;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    position: String,
    unit_id: i64,
    role: String,
    active: bool,
    last_login_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn to_dtos(conn: &mut AnyConnection, rows: Vec<UserRow>) -> AppResult<Vec<User>> {
    let unit_ids: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
    let units = unit_refs(conn, &unit_ids)?;
    rows.into_iter()
        .map(|row| {
            Ok(User {
                unit: units
                    .get(&row.unit_id)
                    .cloned()
                    .ok_or_else(|| AppError::internal("user without unit"))?,
                role: Role::parse(&row.role)
                    .ok_or_else(|| AppError::internal("unknown role in database"))?,
                id: row.id,
                email: row.email,
                name: row.name,
                position: row.position,
                active: row.active,
                last_login_at: row.last_login_at.map(|t| t.and_utc()),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

pub fn find(conn: &mut AnyConnection, id: i64) -> AppResult<User> {
    let row = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("El usuario no existe."))?;
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

/// A page of the users `filter` matches, by name.
pub fn list(
    conn: &mut AnyConnection,
    filter: &UserFilter,
    page: PageRequest,
) -> AppResult<Page<User>> {
    let matching = || {
        let mut query = users::table.into_boxed();
        if let Some(text) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            let pattern = contains_pattern(text);
            query = query.filter(
                lower(users::email)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(users::name).like(pattern).escape('\\')),
            );
        }
        if let Some(role) = filter.role {
            query = query.filter(users::role.eq(role.as_str()));
        }
        if let Some(unit_id) = filter.unit_id {
            query = query.filter(users::unit_id.eq(unit_id));
        }
        if let Some(active) = filter.active {
            query = query.filter(users::active.eq(active));
        }
        query
    };
    page.load(
        conn,
        matching().count(),
        matching()
            .order((users::name.asc(), users::id.asc()))
            .select(UserRow::as_select()),
    )?
    .try_map(|rows| to_dtos(conn, rows))
}
