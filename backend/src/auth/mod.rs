//! Authentication slice: login, refresh, logout, client credentials, `/me`, password change.

pub mod housekeeping;
pub mod password;
pub mod principal;
pub mod records;
pub mod service;
pub mod throttle;
pub mod tokens;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use confrontas_api::{
    ChangePasswordRequest, ClientCredentialsRequest, ClientToken, LoginRequest, Me, RefreshRequest,
    SessionTokens,
};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{BodyErrors, Forbidden, TooManyRequests, Unauthenticated};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use principal::{PendingPasswordToo, Principal, Staff, client_ip};
use service::Origin;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(login)
        .service(refresh)
        .service(logout)
        .service(client_token)
        .service(me)
        .service(change_password);
}

fn origin(req: &HttpRequest, state: &AppState) -> Origin {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Origin {
        ip: client_ip(req, &state.config.trusted_proxies),
        user_agent: user_agent.to_owned(),
    }
}

/// Log in with e-mail and password.
///
/// Returns a short-lived access token and a single-use refresh token. Unknown e-mail and wrong
/// password get the same answer. Too many wrong guesses get 429 with `Retry-After`: from one
/// address on one account, that address is locked out of it; on one account from many
/// addresses, new addresses are slowed down; the account's usual addresses are never kept out.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = SessionTokens), BodyErrors, Unauthenticated, TooManyRequests))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    body.validate().map_err(AppError::validation)?;
    let tokens = service::login(&state, &body.email, body.password, origin(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Exchange a refresh token for new tokens.
///
/// Each refresh token works once. Presenting a used one ends the whole session (token theft).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = SessionTokens), BodyErrors, Unauthenticated))]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let tokens = service::refresh(&state, &body.refresh_token, origin(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// End the current session: its access and refresh tokens stop working at once.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Session ended"), Unauthenticated, Forbidden)
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    staff: Staff<PendingPasswordToo>,
) -> AppResult<HttpResponse> {
    let user = staff.user;
    service::logout(&state, user.id, user.session_id, user.client_ip).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Client-credentials grant for partner systems (RFC 6749 §4.4).
///
/// Accepts `application/x-www-form-urlencoded` (standard) or JSON.
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (ClientCredentialsRequest = "application/x-www-form-urlencoded"),
        (ClientCredentialsRequest = "application/json"),
    )),
    responses((status = 200, body = ClientToken), BodyErrors, Unauthenticated, TooManyRequests))]
#[post("/auth/token")]
async fn client_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let request: ClientCredentialsRequest = match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            serde_urlencoded::from_bytes(&body).map_err(|_| {
                AppError::bad_request(
                    "malformed_body",
                    "El formulario no es válido: se esperan grant_type, client_id y client_secret.",
                )
            })?
        }
        "application/json" => serde_json::from_slice(&body).map_err(|_| {
            AppError::bad_request(
                "malformed_body",
                "El JSON no es válido: se esperan grant_type, client_id y client_secret.",
            )
        })?,
        _ => {
            return Err(AppError::new(
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Envíe application/x-www-form-urlencoded o application/json.",
            ));
        }
    };
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let token = service::client_token(&state, request, ip).await?;
    Ok(HttpResponse::Ok().json(token))
}

/// Who the access token belongs to: a staff user (name, position, unit, role) or an API client.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Me), Unauthenticated)
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, principal: Principal) -> AppResult<web::Json<Me>> {
    let me = db::run(&state.pool, move |conn| records::me(conn, principal)).await?;
    Ok(web::Json(me))
}

/// Change your password. Every session of yours ends, this one included: log in again.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Password changed; sessions ended"), BodyErrors, Unauthenticated, Forbidden, TooManyRequests))]
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    staff: Staff<PendingPasswordToo>,
    body: web::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    body.validate().map_err(AppError::validation)?;
    let ip = staff.user.client_ip;
    service::change_password(
        &state,
        staff.user.id,
        body.current_password,
        body.new_password,
        ip,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
