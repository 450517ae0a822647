//! Reading API clients: one, the list, as the API shows them (with their unit; never a secret).

use chrono::NaiveDateTime;
use confrontas_api::{ApiClient, NameFilter, Page};
use diesel::prelude::*;

use crate::auth::principal::parse_scopes;
use crate::db::{AnyConnection, PageRequest, contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::schema::api_clients;
use crate::units::records::unit_refs;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients)]
struct ClientRow {
    id: i64,
    client_id: String,
    name: String,
    unit_id: i64,
    scopes: String,
    active: bool,
    last_used_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn to_dtos(conn: &mut AnyConnection, rows: Vec<ClientRow>) -> AppResult<Vec<ApiClient>> {
    let unit_ids: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
    let units = unit_refs(conn, &unit_ids)?;
    rows.into_iter()
        .map(|row| {
            Ok(ApiClient {
                unit: units
                    .get(&row.unit_id)
                    .cloned()
                    .ok_or_else(|| AppError::internal("client without unit"))?,
                scopes: parse_scopes(&row.scopes),
                id: row.id,
                client_id: row.client_id,
                name: row.name,
                active: row.active,
                last_used_at: row.last_used_at.map(|t| t.and_utc()),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

pub fn find(conn: &mut AnyConnection, id: i64) -> AppResult<ApiClient> {
    let row = api_clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("El cliente API no existe."))?;
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

/// A page of the clients `filter` matches, by name.
pub fn list(
    conn: &mut AnyConnection,
    filter: &NameFilter,
    page: PageRequest,
) -> AppResult<Page<ApiClient>> {
    let matching = || {
        let mut query = api_clients::table.into_boxed();
        if let Some(text) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            let pattern = contains_pattern(text);
            query = query.filter(
                lower(api_clients::client_id)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(api_clients::name).like(pattern).escape('\\')),
            );
        }
        if let Some(active) = filter.active {
            query = query.filter(api_clients::active.eq(active));
        }
        query
    };
    page.load(
        conn,
        matching().count(),
        matching()
            .order((api_clients::name.asc(), api_clients::id.asc()))
            .select(ClientRow::as_select()),
    )?
    .try_map(|rows| to_dtos(conn, rows))
}
