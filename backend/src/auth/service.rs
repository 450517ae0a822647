//! Login, refresh-token rotation, logout, client credentials, password change, revocation.

use std::net::IpAddr;

use chrono::{NaiveDateTime, TimeDelta};
use confrontas_api::{ApiScope, ClientToken, Role, SessionTokens};
use diesel::prelude::*;
use serde_json::json;

use super::principal::{format_scopes, parse_scopes};
use super::throttle::{self, Reservation};
use super::tokens::{constant_time_eq, random_token, secret_fingerprint, sha256_hex};
use crate::audit::{self, Actor};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{api_clients, refresh_tokens, sessions, users};
use crate::state::AppState;

fn invalid_credentials() -> AppError {
    AppError::unauthorized("invalid_credentials", "Correo o contraseña incorrectos.")
}

fn invalid_client() -> AppError {
    AppError::unauthorized("invalid_client", "Credenciales de cliente incorrectas.")
}

fn throttled(seconds: u64) -> AppError {
    let minutes = seconds.div_ceil(60);
    AppError::too_many_requests(
        format!(
            "Demasiados intentos fallidos. Espere {minutes} minuto(s) antes de intentar de nuevo."
        ),
        seconds,
    )
}

fn invalid_refresh() -> AppError {
    AppError::unauthorized(
        "invalid_refresh_token",
        "La sesión expiró o fue cerrada. Inicie sesión de nuevo.",
    )
}

/// Request facts the audit log and the session keep.
pub struct Origin {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// Counts `guess` before its secret is checked (README, "Login throttling"), or refuses it with
/// 429 and the seconds to wait, before any hashing.
async fn reserve_guess(state: &AppState, guess: throttle::Guess) -> AppResult<Reservation> {
    let limits = state.config.login.clone();
    let now = db::now();
    let credential = credential_of(&guess.subject);
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| Ok(throttle::reserve(conn, &guess, &limits, now)?))
    })
    .await?
    .map_err(|wait| {
        state.metrics.login_failed(credential, "throttled");
        throttled(wait)
    })
}

/// What a guess presents, as `/metrics` labels it.
fn credential_of(subject: &throttle::Subject) -> &'static str {
    match subject {
        throttle::Subject::Account(_) => "password",
        throttle::Subject::Client(_) | throttle::Subject::Nobody => "client_secret",
    }
}

/// Whether `user_id` logged in from `ip` within the usual-address period.
fn usual_address(
    conn: &mut AnyConnection,
    user_id: i64,
    ip: IpAddr,
    limits: &crate::config::LoginLimits,
) -> QueryResult<bool> {
    let period = TimeDelta::from_std(limits.usual_address_for).unwrap_or(TimeDelta::MAX);
    let since = db::now()
        .checked_sub_signed(period)
        .unwrap_or(NaiveDateTime::MIN);
    audit::logged_in_from(conn, user_id, &ip.to_string(), since)
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    origin: Origin,
) -> AppResult<SessionTokens> {
    let email = email.trim().to_lowercase();
    let lookup_email = email.clone();
    let limits = state.config.login.clone();
    let ip = origin.ip;
    let (account, usual) = db::run(&state.pool, move |conn| {
        let account = users::table
            .filter(users::email.eq(lookup_email))
            .select((
                users::id,
                users::password_hash,
                users::active,
                users::role,
                users::unit_id,
            ))
            .first::<(i64, String, bool, String, i64)>(conn)
            .optional()?;
        let usual = match &account {
            Some((id, ..)) => usual_address(conn, *id, ip, &limits)?,
            None => false,
        };
        Ok((account, usual))
    })
    .await?;
    let guess = throttle::Guess {
        subject: throttle::Subject::Account(email),
        address: origin.ip,
        usual_address: usual,
    };
    let reservation = reserve_guess(state, guess).await?;
    let hash = account.as_ref().map(|(_, hash, ..)| hash.clone());
    let password_ok = state.hasher.verify(password, hash).await?;

    let Some((user_id, _, true, role, unit_id)) = account.filter(|_| password_ok) else {
        tracing::warn!(ip = %origin.ip, "failed login");
        state.metrics.login_failed("password", "wrong");
        return Err(invalid_credentials());
    };
    let role = Role::parse(&role).ok_or_else(|| AppError::internal("unknown role in database"))?;
    let handles = SigningHandles::of(state);
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            throttle::forgive(conn, &reservation)?;
            let now = db::now();
            diesel::update(users::table.find(user_id))
                .set(users::last_login_at.eq(now))
                .execute(conn)?;
            let tokens = open_session(conn, &handles, user_id, role, unit_id, &origin, now)?;
            Actor::user(user_id, origin.ip).record(conn, "login", "user", user_id, json!({}))?;
            Ok(tokens)
        })
    })
    .await
}

/// What a blocking database closure needs to sign a session's tokens.
struct SigningHandles {
    tokens: std::sync::Arc<super::tokens::TokenKeys>,
    refresh_ttl: TimeDelta,
}

impl SigningHandles {
    fn of(state: &AppState) -> SigningHandles {
        SigningHandles {
            tokens: state.tokens.clone(),
            refresh_ttl: TimeDelta::from_std(state.config.jwt.refresh_ttl)
                .unwrap_or(TimeDelta::hours(12)),
        }
    }
}

fn open_session(
    conn: &mut AnyConnection,
    handles: &SigningHandles,
    user_id: i64,
    role: Role,
    unit_id: i64,
    origin: &Origin,
    now: NaiveDateTime,
) -> AppResult<SessionTokens> {
    let session_id = random_token(18);
    let expires_at = now + handles.refresh_ttl;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&session_id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
            sessions::client_ip.eq(origin.ip.to_string()),
            sessions::user_agent.eq(origin.user_agent.chars().take(300).collect::<String>()),
        ))
        .execute(conn)?;
    issue_session_tokens(
        conn,
        handles,
        &session_id,
        user_id,
        role,
        unit_id,
        now,
        expires_at,
    )
}

#[allow(clippy::too_many_arguments)]
fn issue_session_tokens(
    conn: &mut AnyConnection,
    handles: &SigningHandles,
    session_id: &str,
    user_id: i64,
    role: Role,
    unit_id: i64,
    now: NaiveDateTime,
    session_expires_at: NaiveDateTime,
) -> AppResult<SessionTokens> {
    let refresh_token = random_token(32);
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(sha256_hex(&refresh_token)),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(session_expires_at),
        ))
        .execute(conn)?;
    let mut claims = handles.tokens.claims(format!("user:{user_id}"), unit_id);
    claims.role = Some(role.as_str().to_owned());
    claims.sid = Some(session_id.to_owned());
    Ok(SessionTokens {
        access_token: handles.tokens.sign(&claims),
        token_type: "Bearer".into(),
        expires_in: handles.tokens.access_ttl_secs as u64,
        refresh_token,
        refresh_expires_in: (session_expires_at - now).num_seconds().max(0) as u64,
    })
}

enum RefreshOutcome {
    Issued(Box<SessionTokens>),
    Refused,
    /// A refresh token came back after it had been used: someone holds a copy.
    ReuseDetected {
        user_id: i64,
        session_id: String,
    },
}

/// Exchanges a refresh token for new tokens. Each refresh token works once; presenting a used
/// one revokes the whole session.
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    origin: Origin,
) -> AppResult<SessionTokens> {
    let token_hash = sha256_hex(refresh_token);
    let handles = SigningHandles::of(state);
    let outcome = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| -> AppResult<RefreshOutcome> {
            let now = db::now();
            let found = refresh_tokens::table
                .inner_join(sessions::table.inner_join(users::table))
                .filter(refresh_tokens::token_hash.eq(&token_hash))
                .select((
                    refresh_tokens::used_at,
                    refresh_tokens::expires_at,
                    sessions::id,
                    sessions::revoked_at,
                    sessions::expires_at,
                    users::id,
                    users::active,
                    users::role,
                    users::unit_id,
                ))
                .first::<(
                    Option<NaiveDateTime>,
                    NaiveDateTime,
                    String,
                    Option<NaiveDateTime>,
                    NaiveDateTime,
                    i64,
                    bool,
                    String,
                    i64,
                )>(conn)
                .optional()?;
            let Some((
                used_at,
                expires_at,
                session_id,
                revoked_at,
                session_expires,
                user_id,
                active,
                role,
                unit_id,
            )) = found
            else {
                return Ok(RefreshOutcome::Refused);
            };
            if used_at.is_some() {
                if revoked_at.is_none() {
                    revoke_session(conn, &session_id, now)?;
                    Actor::system(Some(origin.ip)).record(
                        conn,
                        "refresh_token_reuse_detected",
                        "user",
                        user_id,
                        json!({ "session": session_id }),
                    )?;
                }
                return Ok(RefreshOutcome::ReuseDetected {
                    user_id,
                    session_id,
                });
            }
            if revoked_at.is_some() || expires_at <= now || session_expires <= now || !active {
                return Ok(RefreshOutcome::Refused);
            }
            // Conditional on still being unused, so two concurrent refreshes cannot both win.
            let claimed = diesel::update(
                refresh_tokens::table
                    .find(&token_hash)
                    .filter(refresh_tokens::used_at.is_null()),
            )
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
            if claimed == 0 {
                return Ok(RefreshOutcome::Refused);
            }
            let role =
                Role::parse(&role).ok_or_else(|| AppError::internal("unknown role in database"))?;
            let tokens = issue_session_tokens(
                conn,
                &handles,
                &session_id,
                user_id,
                role,
                unit_id,
                now,
                session_expires,
            )?;
            Ok(RefreshOutcome::Issued(Box::new(tokens)))
        })
    })
    .await?;
    match outcome {
        RefreshOutcome::Issued(tokens) => Ok(*tokens),
        RefreshOutcome::Refused => Err(invalid_refresh()),
        RefreshOutcome::ReuseDetected {
            user_id,
            session_id,
        } => {
            tracing::warn!(user_id, session_id, "refresh token reuse: session revoked");
            Err(invalid_refresh())
        }
    }
}

fn revoke_session(
    conn: &mut AnyConnection,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
}

/// Ends every session of a user (password change, user disabled, role or unit changed).
pub fn revoke_user_sessions(conn: &mut AnyConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(db::now()))
    .execute(conn)
}

pub async fn logout(
    state: &AppState,
    user_id: i64,
    session_id: String,
    ip: IpAddr,
) -> AppResult<()> {
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            revoke_session(conn, &session_id, db::now())?;
            Actor::user(user_id, ip).record(conn, "logout", "user", user_id, json!({}))?;
            Ok(())
        })
    })
    .await
}

/// OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
pub async fn client_token(
    state: &AppState,
    request: confrontas_api::ClientCredentialsRequest,
    ip: IpAddr,
) -> AppResult<ClientToken> {
    if request.grant_type != "client_credentials" {
        return Err(AppError::bad_request(
            "unsupported_grant_type",
            "Solo se admite grant_type=client_credentials.",
        ));
    }
    // Client ids are short tokens; anything else is refused before it becomes a throttle key.
    let plausible = (1..=64).contains(&request.client_id.len())
        && request
            .client_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let subject = if plausible {
        throttle::Subject::Client(request.client_id.clone())
    } else {
        throttle::Subject::Nobody
    };
    let guess = throttle::Guess {
        subject,
        address: ip,
        usual_address: false,
    };
    let reservation = reserve_guess(state, guess).await?;
    if !plausible {
        state.metrics.login_failed("client_secret", "wrong");
        return Err(invalid_client());
    }
    let client_id = request.client_id.clone();
    let client = db::run(&state.pool, move |conn| {
        Ok(api_clients::table
            .filter(api_clients::client_id.eq(client_id))
            .filter(api_clients::active.eq(true))
            .select((
                api_clients::id,
                api_clients::secret_hash,
                api_clients::unit_id,
                api_clients::scopes,
            ))
            .first::<(i64, String, i64, String)>(conn)
            .optional()?)
    })
    .await?;
    let presented = sha256_hex(&request.client_secret);
    let Some((id, secret_hash, unit_id, allowed)) =
        client.filter(|(_, hash, ..)| constant_time_eq(hash, &presented))
    else {
        state.metrics.login_failed("client_secret", "wrong");
        return Err(invalid_client());
    };
    let allowed = parse_scopes(&allowed);
    let granted: Vec<ApiScope> = match request
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => allowed,
        Some(requested) => {
            let mut granted = Vec::new();
            for name in requested.split_whitespace() {
                match ApiScope::parse(name).filter(|scope| allowed.contains(scope)) {
                    Some(scope) => granted.push(scope),
                    None => {
                        return Err(AppError::bad_request(
                            "invalid_scope",
                            format!(
                                "El alcance «{name}» no existe o no está autorizado para este cliente."
                            ),
                        ));
                    }
                }
            }
            granted
        }
    };
    let scope = format_scopes(&granted);
    let mut claims = state
        .tokens
        .claims(format!("client:{}", request.client_id), unit_id);
    claims.scope = Some(scope.clone());
    claims.secret_fingerprint = Some(secret_fingerprint(&secret_hash));
    let access_token = state.tokens.sign(&claims);
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            throttle::forgive(conn, &reservation)?;
            diesel::update(api_clients::table.find(id))
                .set(api_clients::last_used_at.eq(db::now()))
                .execute(conn)?;
            Ok(())
        })
    })
    .await?;
    Ok(ClientToken {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl_secs as u64,
        scope,
    })
}

/// Changes the caller's password after checking the current one; ends all the user's sessions.
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    current: String,
    new: String,
    ip: IpAddr,
) -> AppResult<()> {
    let limits = state.config.login.clone();
    let (email, hash, usual) = db::run(&state.pool, move |conn| {
        let (email, hash) = users::table
            .find(user_id)
            .select((users::email, users::password_hash))
            .first::<(String, String)>(conn)?;
        let usual = usual_address(conn, user_id, ip, &limits)?;
        Ok((email, hash, usual))
    })
    .await?;
    let guess = throttle::Guess {
        subject: throttle::Subject::Account(email),
        address: ip,
        usual_address: usual,
    };
    let reservation = reserve_guess(state, guess).await?;
    if !state.hasher.verify(current, Some(hash)).await? {
        return Err(AppError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_current_password",
            "La contraseña actual no es correcta.",
        ));
    }
    let new_hash = state.hasher.hash(new).await?;
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            throttle::forgive(conn, &reservation)?;
            diesel::update(users::table.find(user_id))
                .set((
                    users::password_hash.eq(new_hash),
                    users::must_change_password.eq(false),
                    users::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
            revoke_user_sessions(conn, user_id)?;
            Actor::user(user_id, ip).record(
                conn,
                "password_changed",
                "user",
                user_id,
                json!({}),
            )?;
            Ok(())
        })
    })
    .await
}
