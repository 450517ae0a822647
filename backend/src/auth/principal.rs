//! Who is calling: the bearer token checked against the database, and role extractors.
//!
//! A handler's signature says who may call it: `Staff<AdminOnly>`, `Staff<AnyStaff>`, `Principal`.

use std::future::Future;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};
use confrontas_api::{ApiScope, Role};
use diesel::prelude::*;

use super::tokens::secret_fingerprint;
use crate::audit::Actor;
use crate::db;
use crate::error::AppError;
use crate::schema::{api_clients, sessions, users};
use crate::state::AppState;

/// A staff user with a live session.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: i64,
    pub role: Role,
    pub unit_id: i64,
    pub session_id: String,
    pub client_ip: IpAddr,
    /// The password is a temporary one an administrator set: until the user chooses their own,
    /// only the endpoints of their own session answer (`Staff<PendingPasswordToo>`).
    pub must_change_password: bool,
}

/// A partner system authenticated with the client-credentials grant.
#[derive(Debug, Clone)]
pub struct ClientPrincipal {
    pub id: i64,
    pub client_id: String,
    pub unit_id: i64,
    pub scopes: Vec<ApiScope>,
    pub client_ip: IpAddr,
}

#[derive(Debug, Clone)]
pub enum Principal {
    Staff(StaffUser),
    Client(ClientPrincipal),
}

impl Principal {
    /// How the audit log names the actor.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Staff(user) => Actor::user(user.id, user.client_ip),
            Principal::Client(client) => Actor::client(&client.client_id, client.client_ip),
        }
    }
}

fn unauthenticated() -> AppError {
    AppError::unauthorized(
        "unauthenticated",
        "Su sesión no es válida o expiró. Inicie sesión de nuevo.",
    )
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

async fn authenticate(req: HttpRequest) -> Result<Principal, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("AppState missing"))?
        .clone();
    let token = bearer(&req).ok_or_else(|| {
        AppError::unauthorized(
            "missing_token",
            "Falta el encabezado Authorization: Bearer con un token de acceso.",
        )
    })?;
    let claims = state.tokens.verify(&token).map_err(|rejection| {
        tracing::info!(?rejection, "access token refused");
        unauthenticated()
    })?;
    let now = db::now();
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let principal = db::run(&state.pool, move |conn| {
        if let Some(user_id) = claims
            .sub
            .strip_prefix("user:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            let session_id = claims.sid.ok_or_else(unauthenticated)?;
            let (role, unit_id, must_change_password) = sessions::table
                .inner_join(users::table)
                .filter(sessions::id.eq(&session_id))
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .filter(users::active.eq(true))
                .select((users::role, users::unit_id, users::must_change_password))
                .first::<(String, i64, bool)>(conn)
                .optional()?
                .ok_or_else(unauthenticated)?;
            let role = Role::parse(&role)
                .ok_or_else(|| AppError::internal(format!("unknown role {role:?} in database")))?;
            Ok(Principal::Staff(StaffUser {
                id: user_id,
                role,
                unit_id,
                session_id,
                client_ip: ip,
                must_change_password,
            }))
        } else if let Some(client_id) = claims.sub.strip_prefix("client:") {
            let (id, unit_id, allowed, secret_hash) = api_clients::table
                .filter(api_clients::client_id.eq(client_id))
                .filter(api_clients::active.eq(true))
                .select((
                    api_clients::id,
                    api_clients::unit_id,
                    api_clients::scopes,
                    api_clients::secret_hash,
                ))
                .first::<(i64, i64, String, String)>(conn)
                .optional()?
                .ok_or_else(unauthenticated)?;
            // Issued under the secret the client has now, not under one since replaced.
            if claims.secret_fingerprint.as_deref() != Some(&secret_fingerprint(&secret_hash)) {
                return Err(unauthenticated());
            }
            // The token's scopes, narrowed to what the client may still do now.
            let granted = claims.scope.unwrap_or_default();
            let scopes = parse_scopes(&granted)
                .into_iter()
                .filter(|s| parse_scopes(&allowed).contains(s))
                .collect();
            Ok(Principal::Client(ClientPrincipal {
                id,
                client_id: client_id.to_owned(),
                unit_id,
                scopes,
                client_ip: ip,
            }))
        } else {
            Err(unauthenticated())
        }
    })
    .await?;
    Ok(principal)
}

/// Scopes stored or sent as a space-separated list; unknown names are ignored.
pub fn parse_scopes(list: &str) -> Vec<ApiScope> {
    list.split_whitespace()
        .filter_map(ApiScope::parse)
        .collect()
}

pub fn format_scopes(scopes: &[ApiScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Who the caller is, as [`identify_first`] found it before the handler's extractors ran.
#[derive(Clone)]
struct Identified(Result<Principal, AppError>);

/// Middleware: works out who is calling an API route before any extractor runs, so that a
/// role extractor (declared before the body in every handler) refuses a caller in its first
/// poll, before a byte of the body is read: the answer to a forbidden caller is 403 whatever
/// the body, never a 400 that won a race (`docs/architecture.md`, "Layers").
pub async fn identify_first(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path().starts_with("/api/") && req.headers().contains_key(header::AUTHORIZATION) {
        let identified = authenticate(req.request().clone()).await;
        req.extensions_mut().insert(Identified(identified));
    }
    next.call(req).await
}

/// The caller, from [`identify_first`] when it ran (at once), else worked out now.
fn principal_of(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Principal, AppError>>>> {
    if let Some(Identified(identified)) = req.extensions().get::<Identified>().cloned() {
        return Box::pin(std::future::ready(identified));
    }
    Box::pin(authenticate(req.clone()))
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        principal_of(req)
    }
}

/// The roles a `Staff<_>` extractor admits.
pub trait RoleSet {
    const ROLES: &'static [Role];
    /// Whether a user who must still replace a temporary password is admitted.
    const WHILE_PASSWORD_IS_TEMPORARY: bool = false;
}

/// Every staff role, also before a temporary password is replaced: for the endpoints of the
/// person's own session (who am I, change my password, sign out).
pub struct PendingPasswordToo;
impl RoleSet for PendingPasswordToo {
    const ROLES: &'static [Role] = &Role::ALL;
    const WHILE_PASSWORD_IS_TEMPORARY: bool = true;
}

/// Every staff role.
pub struct AnyStaff;
impl RoleSet for AnyStaff {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// Administrators only.
pub struct AdminOnly;
impl RoleSet for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// The staff who see every unit's requests: the service desk, the sub-directorate and the
/// administration (not the areas).
pub struct MinistryStaff;
impl RoleSet for MinistryStaff {
    const ROLES: &'static [Role] = &[Role::Mesa, Role::Subdireccion, Role::Admin];
}

/// The sub-directorate only: it runs confrontations and applies their results.
pub struct SubdireccionOnly;
impl RoleSet for SubdireccionOnly {
    const ROLES: &'static [Role] = &[Role::Subdireccion];
}

/// A staff user whose role is in `R`; API clients and other roles get 403.
pub struct Staff<R: RoleSet> {
    pub user: StaffUser,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> Staff<R> {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, self.user.client_ip)
    }
}

impl<R: RoleSet + 'static> FromRequest for Staff<R> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = principal_of(req);
        Box::pin(async move {
            match principal.await? {
                Principal::Staff(user)
                    if user.must_change_password && !R::WHILE_PASSWORD_IS_TEMPORARY =>
                {
                    Err(AppError::new(
                        actix_web::http::StatusCode::FORBIDDEN,
                        "password_change_required",
                        "Su contraseña es temporal: cámbiela en «Mi perfil» antes de continuar.",
                    ))
                }
                Principal::Staff(user) if R::ROLES.contains(&user.role) => Ok(Staff {
                    user,
                    _roles: PhantomData,
                }),
                Principal::Staff(_) => Err(AppError::forbidden(
                    "Su rol no permite realizar esta acción.",
                )),
                Principal::Client(_) => Err(AppError::forbidden(
                    "Esta operación es solo para personal; los clientes API no tienen acceso.",
                )),
            }
        })
    }
}

/// The caller's IP: the peer address, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` address that is not itself a trusted proxy. Spoofed headers from anyone
/// else are ignored.
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("203.0.113.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(
            client_ip(&req, &[proxy]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );

        let via_proxy = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 198.51.100.7"))
            .to_http_request();
        assert_eq!(
            client_ip(&via_proxy, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_requires_a_token() {
        let req = |value: &str| {
            TestRequest::default()
                .insert_header((header::AUTHORIZATION, value))
                .to_http_request()
        };
        assert_eq!(bearer(&req("bearer abc")), Some("abc".into()));
        assert_eq!(bearer(&req("Bearer ")), None);
        assert_eq!(bearer(&req("Basic abc")), None);
    }
}
