//! Staff users: admin-managed accounts with a role and a unit. Handlers here; reads in
//! [`records`], changes in [`service`].

pub mod records;
pub mod service;

use actix_web::{HttpResponse, get, patch, post, web};
use confrontas_api::{NewUser, Page, Role, TemporaryPassword, User, UserFilter, UserPatch};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::auth::principal::{AdminOnly, Staff};
use crate::db::{self, PageRequest};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(reset_password);
}

/// List staff users.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(UserFilter),
    responses((status = 200, body = Page<User>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    filter: web::Query<UserFilter>,
) -> AppResult<web::Json<Page<User>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let result = db::run(&state.pool, move |conn| records::list(conn, &filter, page)).await?;
    Ok(web::Json(result))
}

/// Create a staff user with an initial password.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = User), BodyErrors, Unauthenticated, Forbidden, Conflict))]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    body: web::Json<NewUser>,
) -> AppResult<HttpResponse> {
    let user = body.into_inner();
    user.validate().map_err(AppError::validation)?;
    let hash = state.hasher.hash(user.password.clone()).await?;
    let actor = admin.actor();
    let created = db::run(&state.pool, move |conn| {
        service::create(conn, &actor, &user, &hash)
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One staff user.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/users/{id:-?[0-9]+}")]
async fn get_user(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<User>> {
    let id = id.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| records::find(conn, id)).await?,
    ))
}

/// Change a user. Disabling, a new password, or a new role or unit ends the user's sessions.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UserPatch,
    responses((status = 200, body = User), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict))]
#[patch("/users/{id:-?[0-9]+}")]
async fn update_user(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
    body: web::Json<UserPatch>,
) -> AppResult<web::Json<User>> {
    let patch = body.into_inner();
    patch.validate().map_err(AppError::validation)?;
    let id = id.into_inner();
    if id == admin.user.id
        && (patch.active == Some(false) || patch.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::conflict(
            "cannot_demote_self",
            "No puede desactivarse ni quitarse el rol de administrador a sí mismo; pídalo a otro administrador.",
        ));
    }
    let new_hash = match patch.password.clone() {
        Some(password) => Some(state.hasher.hash(password).await?),
        None => None,
    };
    let actor = admin.actor();
    let updated = db::run(&state.pool, move |conn| {
        service::update(conn, &actor, id, &patch, new_hash.as_deref())
    })
    .await?;
    Ok(web::Json(updated))
}

/// Reset a user's password: a temporary one is answered this once (never stored in clear, never
/// e-mailed by the server); the user's sessions end, and with it they can only sign in and
/// choose their own. An administrator changes their own password in their profile.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = TemporaryPassword), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict))]
#[post("/users/{id:-?[0-9]+}/password-reset")]
async fn reset_password(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if id == admin.user.id {
        return Err(AppError::conflict(
            "cannot_reset_self",
            "Su propia contraseña se cambia en «Mi perfil».",
        ));
    }
    let temporary_password = crate::auth::password::temporary();
    let hash = state.hasher.hash(temporary_password.clone()).await?;
    let actor = admin.actor();
    db::run(&state.pool, move |conn| {
        service::reset_password(conn, &actor, id, &hash)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(TemporaryPassword { temporary_password }))
}
