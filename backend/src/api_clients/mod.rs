//! API clients: partner systems that call the API with the client-credentials grant. Handlers
//! here; reads in [`records`], changes in [`service`].

pub mod records;
pub mod service;

use actix_web::{HttpResponse, get, patch, post, web};
use confrontas_api::{
    ApiClient, ApiClientCredentials, ApiClientPatch, NameFilter, NewApiClient, Page,
};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{BadRequest, BodyErrors, Forbidden, NotFound, Unauthenticated, Unprocessable};
use crate::auth::principal::{AdminOnly, Staff};
use crate::db::{self, PageRequest};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(update_client)
        .service(rotate_secret);
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
    let result = db::run(&state.pool, move |conn| records::list(conn, &filter, page)).await?;
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
        service::create(conn, &actor, &client)
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
#[get("/api-clients/{id:-?[0-9]+}")]
async fn get_client(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<ApiClient>> {
    let id = id.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| records::find(conn, id)).await?,
    ))
}

/// Change an API client's name, scopes or active flag. A disabled client's tokens stop working at once.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "API client record id")),
    request_body = ApiClientPatch,
    responses((status = 200, body = ApiClient), BodyErrors, Unauthenticated, Forbidden, NotFound))]
#[patch("/api-clients/{id:-?[0-9]+}")]
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
        service::update(conn, &actor, id, &patch)
    })
    .await?;
    Ok(web::Json(updated))
}

/// Issue a new secret for an API client; the old one stops working at once, and so do the
/// access tokens issued under it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "API client record id")),
    responses((status = 200, body = ApiClientCredentials), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[post("/api-clients/{id:-?[0-9]+}/secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<ApiClientCredentials>> {
    let id = id.into_inner();
    let actor = admin.actor();
    let credentials = db::run(&state.pool, move |conn| {
        service::rotate_secret(conn, &actor, id)
    })
    .await?;
    Ok(web::Json(credentials))
}
