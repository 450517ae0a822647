//! API clients: partner systems that call the API with the client-credentials grant.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use confrontas_api::{
    ApiClient, ApiClientCredentials, ApiClientPatch, NameFilter, NewApiClient, Page,
};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{BadRequest, BodyErrors, Forbidden, NotFound, Unauthenticated, Unprocessable};
use crate::app::AppState;
use crate::auth::principal::{AdminOnly, Staff, format_scopes, parse_scopes};
use crate::auth::tokens::{random_token, sha256_hex};
use crate::db::{self, AnyConnection, PageRequest, contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::schema::api_clients;
use crate::units::{require_active_unit, unit_refs};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(update_client)
        .service(rotate_secret);
}

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

fn load_client(conn: &mut AnyConnection, id: i64) -> AppResult<ApiClient> {
    let row = api_clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("El cliente API no existe."))?;
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

/// A new secret: shown once, stored as its SHA-256 (it has 256 bits of entropy, so a slow
/// hash adds nothing).
fn new_secret() -> (String, String) {
    let secret = random_token(32);
    let hash = sha256_hex(&secret);
    (secret, hash)
}

/// List API clients.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(NameFilter),
    responses((status = 200, body = Page<ApiClient>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/api-clients")]
async fn list_clients(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    filter: web::Query<NameFilter>,
) -> AppResult<web::Json<Page<ApiClient>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let result = db::run(&state.pool, move |conn| {
        let query = || {
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
        let total = query().count().get_result::<i64>(conn)?;
        let rows = query()
            .order((api_clients::name.asc(), api_clients::id.asc()))
            .offset(page.offset())
            .limit(page.limit())
            .select(ClientRow::as_select())
            .load(conn)?;
        Ok(page.of(to_dtos(conn, rows)?, total))
    })
    .await?;
    Ok(web::Json(result))
}

/// Register a partner system. The answer carries the client secret: it is shown only once.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewApiClient,
    responses((status = 201, body = ApiClientCredentials), BodyErrors, Unauthenticated, Forbidden))]
#[post("/api-clients")]
async fn create_client(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    body: web::Json<NewApiClient>,
) -> AppResult<HttpResponse> {
    let client = body.into_inner();
    client.validate().map_err(AppError::validation)?;
    let actor = admin.actor();
    let credentials = db::run(&state.pool, move |conn| {
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
            let created = load_client(conn, id)?;
            let detail = json!({ "client_id": created.client_id, "unit_id": created.unit.id, "scopes": created.scopes });
            actor.record(conn, "api_client_created", "api_client", id, detail)?;
            Ok(ApiClientCredentials { client: created, client_secret: secret })
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(credentials))
}

/// One API client (never its secret).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "API client record id")),
    responses((status = 200, body = ApiClient), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/api-clients/{id}")]
async fn get_client(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<ApiClient>> {
    let id = id.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| load_client(conn, id)).await?,
    ))
}

/// Change an API client's name, scopes or active flag. A disabled client's tokens stop working at once.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "API client record id")),
    request_body = ApiClientPatch,
    responses((status = 200, body = ApiClient), BodyErrors, Unauthenticated, Forbidden, NotFound))]
#[patch("/api-clients/{id}")]
async fn update_client(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
    body: web::Json<ApiClientPatch>,
) -> AppResult<web::Json<ApiClient>> {
    let patch = body.into_inner();
    patch.validate().map_err(AppError::validation)?;
    let id = id.into_inner();
    let actor = admin.actor();
    let updated = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let before = load_client(conn, id)?;
            diesel::update(api_clients::table.find(id))
                .set((
                    api_clients::name.eq(patch.name.as_deref().map(str::trim).unwrap_or(&before.name)),
                    api_clients::scopes.eq(format_scopes(patch.scopes.as_deref().unwrap_or(&before.scopes))),
                    api_clients::active.eq(patch.active.unwrap_or(before.active)),
                    api_clients::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
            let after = load_client(conn, id)?;
            actor.record(conn, "api_client_updated", "api_client", id, json!({
                    "before": { "name": before.name, "scopes": before.scopes, "active": before.active },
                    "after": { "name": after.name, "scopes": after.scopes, "active": after.active },
                }))?;
            Ok(after)
        })
    })
    .await?;
    Ok(web::Json(updated))
}

/// Issue a new secret for an API client; the old one stops working at once.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "API client record id")),
    responses((status = 200, body = ApiClientCredentials), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[post("/api-clients/{id}/secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<ApiClientCredentials>> {
    let id = id.into_inner();
    let actor = admin.actor();
    let credentials = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            load_client(conn, id)?;
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
                client: load_client(conn, id)?,
                client_secret: secret,
            })
        })
    })
    .await?;
    Ok(web::Json(credentials))
}
