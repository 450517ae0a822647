//! `CONFRONTAS_JWT_*`, `CONFRONTAS_*_TOKEN_TTL_SECS`, `CONFRONTAS_LOGIN_*`, the trusted proxies
//! and the bootstrap administrator.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;

use super::vars::{ConfigError, Vars, invalid};

/// A signing key for access tokens, named by the `kid` header.
#[derive(Clone)]
pub struct JwtKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// Every key that may verify a token; during rotation the old key stays here for a while.
    pub keys: Vec<JwtKey>,
    /// The key that signs new tokens.
    pub active_kid: String,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Leeway for `exp`/`nbf` to absorb clock skew between instances.
    pub leeway: Duration,
    /// True when no key was configured and one was generated for this process only.
    pub ephemeral: bool,
}

/// How guesses of a password or a client secret are limited (README, "Login throttling").
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures on one account from one address within `window` before that address is locked
    /// out of that account (and only of it).
    pub per_account_and_address: u32,
    /// Failures from one address within `window`, across accounts, before the address is locked
    /// out of every account it is not a usual address of.
    pub per_address: u32,
    /// Failures on one account within `window`, from all addresses, after which addresses that
    /// are not usual for it get one guess per `slowdown`.
    pub slowdown_after: u32,
    pub slowdown: Duration,
    /// How long a successful login makes its address a usual one for the account.
    pub usual_address_for: Duration,
    pub window: Duration,
    /// First lock duration; each further failure while over the limit doubles it, up to `max_lockout`.
    pub lockout: Duration,
    pub max_lockout: Duration,
    /// Password hashes computed at once; more logins wait.
    pub hash_concurrency: usize,
}

/// Thirty days, the longest window or lock any login setting may have.
const MONTH_SECS: u64 = 30 * 86_400;

pub(super) fn jwt(vars: &Vars) -> Result<JwtSettings, ConfigError> {
    let settings = JwtSettings {
        keys: Vec::new(),
        active_kid: String::new(),
        issuer: vars.text_or("CONFRONTAS_JWT_ISSUER", "confrontas"),
        audience: vars.text_or("CONFRONTAS_JWT_AUDIENCE", "confrontas-api"),
        access_ttl: vars.seconds("CONFRONTAS_ACCESS_TOKEN_TTL_SECS", 900, 1..=3600)?,
        refresh_ttl: vars.seconds(
            "CONFRONTAS_REFRESH_TOKEN_TTL_SECS",
            12 * 3600,
            60..=365 * 86_400,
        )?,
        leeway: vars.seconds("CONFRONTAS_JWT_LEEWAY_SECS", 30, 0..=600)?,
        ephemeral: false,
    };
    with_keys(
        settings,
        vars.text("CONFRONTAS_JWT_KEYS"),
        vars.text("CONFRONTAS_JWT_ACTIVE_KID"),
    )
}

pub(super) fn login(vars: &Vars) -> Result<LoginLimits, ConfigError> {
    let limits = LoginLimits {
        per_account_and_address: vars.number(
            "CONFRONTAS_LOGIN_MAX_FAILURES_ACCOUNT",
            5,
            1..=1_000,
        )? as u32,
        per_address: vars.number("CONFRONTAS_LOGIN_MAX_FAILURES_IP", 30, 1..=100_000)? as u32,
        slowdown_after: vars.number("CONFRONTAS_LOGIN_SLOWDOWN_AFTER", 20, 1..=100_000)? as u32,
        slowdown: vars.seconds("CONFRONTAS_LOGIN_SLOWDOWN_SECS", 30, 1..=3_600)?,
        usual_address_for: vars.seconds(
            "CONFRONTAS_LOGIN_USUAL_ADDRESS_SECS",
            90 * 86_400,
            0..=3_650 * 86_400,
        )?,
        window: vars.seconds("CONFRONTAS_LOGIN_WINDOW_SECS", 900, 1..=MONTH_SECS)?,
        lockout: vars.seconds("CONFRONTAS_LOGIN_LOCKOUT_SECS", 900, 1..=MONTH_SECS)?,
        max_lockout: vars.seconds("CONFRONTAS_LOGIN_MAX_LOCKOUT_SECS", 86_400, 1..=MONTH_SECS)?,
        hash_concurrency: vars.number("CONFRONTAS_HASH_CONCURRENCY", 2, 1..=64)? as usize,
    };
    if limits.max_lockout < limits.lockout {
        return Err(invalid(
            "CONFRONTAS_LOGIN_MAX_LOCKOUT_SECS",
            "must not be below CONFRONTAS_LOGIN_LOCKOUT_SECS",
        ));
    }
    Ok(limits)
}

pub(super) fn trusted_proxies(vars: &Vars) -> Result<Vec<IpAddr>, ConfigError> {
    let Some(list) = vars.text("CONFRONTAS_TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|ip| {
            ip.parse().map_err(|_| {
                invalid(
                    "CONFRONTAS_TRUSTED_PROXIES",
                    format!("not an IP address: {ip:?}"),
                )
            })
        })
        .collect()
}

/// The administrator created at start: e-mail (lower case) and password.
pub(super) fn bootstrap_admin(vars: &Vars) -> Result<Option<(String, String)>, ConfigError> {
    let Some((email, password)) =
        vars.pair("CONFRONTAS_ADMIN_EMAIL", "CONFRONTAS_ADMIN_PASSWORD")?
    else {
        return Ok(None);
    };
    if let Some(problem) = confrontas_api::password_problem(&password) {
        return Err(invalid("CONFRONTAS_ADMIN_PASSWORD", problem));
    }
    Ok(Some((email.trim().to_lowercase(), password)))
}

pub(super) fn demo_password(vars: &Vars) -> Result<Option<String>, ConfigError> {
    let password = vars.text("CONFRONTAS_DEMO_PASSWORD");
    if let Some(problem) = password
        .as_deref()
        .and_then(confrontas_api::password_problem)
    {
        return Err(invalid("CONFRONTAS_DEMO_PASSWORD", problem));
    }
    Ok(password)
}

/// `CONFRONTAS_JWT_KEYS` is `kid:base64-secret[,kid:base64-secret…]`, each secret at least 32 bytes.
fn with_keys(
    mut jwt: JwtSettings,
    keys: Option<String>,
    active: Option<String>,
) -> Result<JwtSettings, ConfigError> {
    const VAR: &str = "CONFRONTAS_JWT_KEYS";
    let Some(keys) = keys else {
        let mut secret = vec![0u8; 32];
        rand::fill(&mut secret[..]);
        let kid = format!("ephemeral-{:08x}", rand::random::<u32>());
        jwt.keys = vec![JwtKey {
            kid: kid.clone(),
            secret,
        }];
        jwt.active_kid = kid;
        jwt.ephemeral = true;
        return Ok(jwt);
    };
    for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (kid, encoded) = entry
            .split_once(':')
            .ok_or_else(|| invalid(VAR, "each entry must be kid:base64-secret"))?;
        let kid = kid.trim();
        if kid.is_empty()
            || kid.len() > 64
            || !kid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(invalid(
                VAR,
                "a kid must be 1-64 characters of A-Z a-z 0-9 - _ .",
            ));
        }
        let secret = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded.trim()))
            .map_err(|_| invalid(VAR, format!("the secret of kid {kid:?} is not base64")))?;
        if secret.len() < 32 {
            return Err(invalid(
                VAR,
                format!("the secret of kid {kid:?} must be at least 32 bytes (256 bits)"),
            ));
        }
        if jwt.keys.iter().any(|k| k.kid == kid) {
            return Err(invalid(VAR, format!("kid {kid:?} appears twice")));
        }
        jwt.keys.push(JwtKey {
            kid: kid.to_owned(),
            secret,
        });
    }
    let first = jwt
        .keys
        .first()
        .ok_or_else(|| invalid(VAR, "no key given"))?
        .kid
        .clone();
    jwt.active_kid = active.unwrap_or(first);
    if !jwt.keys.iter().any(|k| k.kid == jwt.active_kid) {
        return Err(invalid(
            "CONFRONTAS_JWT_ACTIVE_KID",
            format!("{:?} is not in CONFRONTAS_JWT_KEYS", jwt.active_kid),
        ));
    }
    Ok(jwt)
}
