//! Settings, read from the environment (every variable is listed in README.md).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;

use crate::uploads::UploadLimits;

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

/// How the SMTP relay is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

/// The SMTP relay that delivers notification e-mails, and the sender.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User and password, when the relay asks for them.
    pub credentials: Option<(String, String)>,
    pub from: lettre::message::Mailbox,
    /// The address people open Confrontas at, for links in the messages.
    pub public_url: String,
    /// Time between rounds of sending.
    pub poll: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures per account within `window` before the account is locked.
    pub account_max_failures: u32,
    /// Failures per client IP within `window` before the IP is locked.
    pub ip_max_failures: u32,
    pub window: Duration,
    /// First lock duration; each further failure while over the limit doubles it, up to `max_lockout`.
    pub lockout: Duration,
    pub max_lockout: Duration,
    /// Password hashes computed at once; more logins wait.
    pub hash_concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub db_pool_size: u32,
    pub web_dir: PathBuf,
    pub swagger_ui: bool,
    pub jwt: JwtSettings,
    pub login: LoginLimits,
    pub trusted_proxies: Vec<IpAddr>,
    pub bootstrap_admin: Option<(String, String)>,
    pub demo_password: Option<String>,
    /// Synthetic farmers the demo seeds into the registry.
    pub demo_farmers: u64,
    /// Whether the demo starts with a few requests along the procedure.
    pub demo_requests: bool,
    pub log_format: LogFormat,
    pub json_limit_bytes: usize,
    /// Where files being processed are kept (uploads in progress, imports waiting their turn).
    pub data_dir: PathBuf,
    /// CURP layouts checked by `POST /api/v1/layouts/validate`.
    pub layout_uploads: UploadLimits,
    /// Registry imports.
    pub import_uploads: UploadLimits,
    /// Spreadsheets parsed at the same time.
    pub parse_concurrency: usize,
    /// Where request documents are stored (files named by their SHA-256).
    pub attachments_dir: PathBuf,
    /// Largest oficio, report or certificate accepted.
    pub document_max_bytes: u64,
    /// Notification e-mails; `None` (the default) sends none.
    pub smtp: Option<SmtpSettings>,
    /// Where `simulate renapo` listens.
    pub simulator_bind: SocketAddr,
    /// The RENAPO consultation service, its credentials and the engine's pace.
    pub renapo: RenapoConfig,
    /// The SAT opinions: the online provider (optional), its pace and the validity rule.
    pub sat: SatConfig,
    /// Where `simulate sat` listens.
    pub sat_simulator_bind: SocketAddr,
}

/// Where the SAT agreement's web service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SatEndpoint {
    /// The built-in simulator, started inside the server (the demo's default).
    Simulator,
    /// A real service: its URL and the PEM file of the certificate to trust.
    Remote { url: String, ca_file: PathBuf },
}

/// How long an opinion is valid from its issue date (`renapo-sat.md` §5.1): 30 calendar days
/// in general, 3 months for subsidies; the day of issue is the first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpinionValidity {
    Days(u32),
    Months(u32),
}

impl OpinionValidity {
    /// `30d` or `3m`.
    pub fn parse(text: &str) -> Option<OpinionValidity> {
        let text = text.trim();
        let (number, unit) = text.split_at(text.len().checked_sub(1)?);
        let number: u32 = number.parse().ok().filter(|n| (1..=36_500).contains(n))?;
        match unit {
            "d" => Some(OpinionValidity::Days(number)),
            "m" if number <= 120 => Some(OpinionValidity::Months(number)),
            _ => None,
        }
    }

    /// The last day an opinion issued on `issued_on` is valid.
    pub fn last_day(self, issued_on: chrono::NaiveDate) -> chrono::NaiveDate {
        let end = match self {
            OpinionValidity::Days(days) => {
                issued_on.checked_add_days(chrono::Days::new(days.into()))
            }
            OpinionValidity::Months(months) => {
                issued_on.checked_add_months(chrono::Months::new(months))
            }
        };
        end.and_then(|day| day.pred_opt())
            .unwrap_or(chrono::NaiveDate::MAX)
    }
}

#[derive(Debug, Clone)]
pub struct SatConfig {
    /// `None`: no online provider; SAT confrontations use the exchange file only.
    pub endpoint: Option<SatEndpoint>,
    pub user: String,
    pub password: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_response_bytes: usize,
    /// The online provider's pace (retries, breaker and chunks as RENAPO's).
    pub engine: EngineSettings,
    pub validity: OpinionValidity,
    /// Latency the in-process simulator adds to every answer.
    pub simulator_latency: Duration,
}

/// Where RENAPO is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenapoEndpoint {
    /// The built-in simulator, started inside the server (the demo's default).
    Simulator,
    /// A real service: its URL and the PEM file of the certificate to trust.
    Remote { url: String, ca_file: PathBuf },
}

/// How the confrontation engine paces its queries to one authority.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Queries in flight at once, per server instance.
    pub concurrency: usize,
    /// Queries started per second, per server instance (RENAPO grants a quota); `None` unlimited.
    pub rate_per_second: Option<f64>,
    /// Tries per item for transient faults, the first included.
    pub max_attempts: u32,
    /// First wait before a retry; each further retry doubles it, up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Consecutive transient failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long the breaker stays open before one probe query.
    pub breaker_cooldown: Duration,
    /// Items leased and committed together.
    pub chunk_size: usize,
    /// How long a lease holds without a heartbeat; a dead instance's items return after it.
    pub lease: Duration,
    /// How often an idle engine looks for work.
    pub poll: Duration,
}

#[derive(Debug, Clone)]
pub struct RenapoConfig {
    /// `None`: not configured; confrontations and consultations answer 503.
    pub endpoint: Option<RenapoEndpoint>,
    /// What the client sends, and what the simulator accepts.
    pub user: String,
    pub password: String,
    pub caller_ip: String,
    pub issuing_entity: String,
    pub transaction_type: i32,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_response_bytes: usize,
    pub engine: EngineSettings,
    /// Online consultations per API client per minute.
    pub consultations_per_minute: u32,
    /// Latency the in-process simulator adds to every answer (to watch progress in the demo).
    pub simulator_latency: Duration,
    /// Whether a self-signed server certificate may be deployed (pinned) as the trust anchor.
    pub allow_self_signed: bool,
    /// The CURP a certificate's verification asks RENAPO about.
    pub test_curp: String,
    /// How often each instance looks for a certificate deployed by another one.
    pub trust_sync: Duration,
}

/// A setting that could not be used, with the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let parse_num = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            get(name).map_or(Ok(default), |v| {
                v.trim()
                    .parse()
                    .map_err(|_| invalid(name, format!("not a whole number: {v:?}")))
            })
        };
        let parse_bool = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).as_deref().map(str::trim) {
                None => Ok(default),
                Some("1" | "true" | "yes") => Ok(true),
                Some("0" | "false" | "no") => Ok(false),
                Some(other) => Err(invalid(
                    name,
                    format!("expected true or false, got {other:?}"),
                )),
            }
        };

        let bind = get("CONFRONTAS_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind
            .parse()
            .map_err(|_| invalid("CONFRONTAS_BIND", format!("not an address:port: {bind:?}")))?;

        let jwt = JwtSettings {
            keys: Vec::new(),
            active_kid: String::new(),
            issuer: get("CONFRONTAS_JWT_ISSUER").unwrap_or_else(|| "confrontas".into()),
            audience: get("CONFRONTAS_JWT_AUDIENCE").unwrap_or_else(|| "confrontas-api".into()),
            access_ttl: Duration::from_secs(parse_num("CONFRONTAS_ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_ttl: Duration::from_secs(parse_num(
                "CONFRONTAS_REFRESH_TOKEN_TTL_SECS",
                12 * 3600,
            )?),
            leeway: Duration::from_secs(parse_num("CONFRONTAS_JWT_LEEWAY_SECS", 30)?),
            ephemeral: false,
        };
        let jwt = with_keys(
            jwt,
            get("CONFRONTAS_JWT_KEYS"),
            get("CONFRONTAS_JWT_ACTIVE_KID"),
        )?;
        if jwt.access_ttl.is_zero() || jwt.access_ttl > Duration::from_secs(3600) {
            return Err(invalid(
                "CONFRONTAS_ACCESS_TOKEN_TTL_SECS",
                "must be between 1 and 3600 seconds",
            ));
        }

        let login = LoginLimits {
            account_max_failures: parse_num("CONFRONTAS_LOGIN_MAX_FAILURES_ACCOUNT", 5)? as u32,
            ip_max_failures: parse_num("CONFRONTAS_LOGIN_MAX_FAILURES_IP", 30)? as u32,
            window: Duration::from_secs(parse_num("CONFRONTAS_LOGIN_WINDOW_SECS", 900)?),
            lockout: Duration::from_secs(parse_num("CONFRONTAS_LOGIN_LOCKOUT_SECS", 900)?),
            max_lockout: Duration::from_secs(parse_num(
                "CONFRONTAS_LOGIN_MAX_LOCKOUT_SECS",
                86_400,
            )?),
            hash_concurrency: parse_num("CONFRONTAS_HASH_CONCURRENCY", 2)?.max(1) as usize,
        };

        let trusted_proxies = get("CONFRONTAS_TRUSTED_PROXIES")
            .map(|list| {
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
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let bootstrap_admin = match (
            get("CONFRONTAS_ADMIN_EMAIL"),
            get("CONFRONTAS_ADMIN_PASSWORD"),
        ) {
            (Some(email), Some(password)) => {
                if let Some(problem) = confrontas_api::password_problem(&password) {
                    return Err(invalid("CONFRONTAS_ADMIN_PASSWORD", problem));
                }
                Some((email.trim().to_lowercase(), password))
            }
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "CONFRONTAS_ADMIN_EMAIL",
                    "set both CONFRONTAS_ADMIN_EMAIL and CONFRONTAS_ADMIN_PASSWORD, or neither",
                ));
            }
        };
        let demo_password = get("CONFRONTAS_DEMO_PASSWORD");
        if let Some(problem) = demo_password
            .as_deref()
            .and_then(confrontas_api::password_problem)
        {
            return Err(invalid("CONFRONTAS_DEMO_PASSWORD", problem));
        }

        let log_format = match get("CONFRONTAS_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "CONFRONTAS_LOG_FORMAT",
                    format!("expected text or json, got {other:?}"),
                ));
            }
        };

        let data_dir =
            get("CONFRONTAS_DATA_DIR").map_or_else(|| PathBuf::from("data"), PathBuf::from);
        let smtp = smtp_settings(&get, bind)?;
        let renapo = renapo_settings(&get)?;
        Ok(Config {
            bind,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "data/confrontas.sqlite".into()),
            db_pool_size: parse_num("CONFRONTAS_DB_POOL_SIZE", 8)?.clamp(1, 256) as u32,
            web_dir: get("CONFRONTAS_WEB_DIR")
                .map_or_else(|| PathBuf::from("frontend/dist"), PathBuf::from),
            swagger_ui: parse_bool("CONFRONTAS_SWAGGER_UI", true)?,
            jwt,
            login,
            trusted_proxies,
            bootstrap_admin,
            demo_password,
            demo_farmers: parse_num("CONFRONTAS_DEMO_FARMERS", 10_000)?.min(5_000_000),
            demo_requests: parse_bool("CONFRONTAS_DEMO_REQUESTS", true)?,
            log_format,
            json_limit_bytes: parse_num("CONFRONTAS_JSON_LIMIT_BYTES", 64 * 1024)? as usize,
            attachments_dir: get("CONFRONTAS_ATTACHMENTS_DIR")
                .map_or_else(|| data_dir.join("attachments"), PathBuf::from),
            data_dir,
            layout_uploads: UploadLimits {
                max_bytes: parse_num("CONFRONTAS_LAYOUT_MAX_MB", 64)?.clamp(1, 1024) << 20,
                max_rows: parse_num("CONFRONTAS_LAYOUT_MAX_ROWS", 1_000_000)?.clamp(1, 5_000_000)
                    as u32,
            },
            import_uploads: UploadLimits {
                max_bytes: parse_num("CONFRONTAS_IMPORT_MAX_MB", 512)?.clamp(1, 4096) << 20,
                max_rows: parse_num("CONFRONTAS_IMPORT_MAX_ROWS", 5_000_000)?.clamp(1, 50_000_000)
                    as u32,
            },
            parse_concurrency: parse_num("CONFRONTAS_PARSE_CONCURRENCY", 2)?.clamp(1, 64) as usize,
            document_max_bytes: parse_num("CONFRONTAS_DOCUMENT_MAX_MB", 20)?.clamp(1, 512) << 20,
            smtp,
            simulator_bind: {
                let text =
                    get("CONFRONTAS_SIMULATOR_BIND").unwrap_or_else(|| "127.0.0.1:8443".into());
                text.parse().map_err(|_| {
                    invalid(
                        "CONFRONTAS_SIMULATOR_BIND",
                        format!("not an address:port: {text:?}"),
                    )
                })?
            },
            sat_simulator_bind: {
                let text =
                    get("CONFRONTAS_SAT_SIMULATOR_BIND").unwrap_or_else(|| "127.0.0.1:8444".into());
                text.parse().map_err(|_| {
                    invalid(
                        "CONFRONTAS_SAT_SIMULATOR_BIND",
                        format!("not an address:port: {text:?}"),
                    )
                })?
            },
            sat: sat_settings(&get, &renapo)?,
            renapo,
        })
    }
}

/// A whole number within `range`, `default` when unset.
fn bounded(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let value = get(name).map_or(Ok(default), |v| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| invalid(name, format!("not a whole number: {v:?}")))
    })?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid(
            name,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

/// `url_name` (`https://…` with `ca_name`, or `simulator`): `None` when unset, `Some(None)`
/// for the simulator, else the remote URL and CA file.
fn endpoint_setting(
    get: &impl Fn(&str) -> Option<String>,
    url_name: &'static str,
    ca_name: &'static str,
    authority: &str,
) -> Result<Option<Option<(String, PathBuf)>>, ConfigError> {
    match get(url_name) {
        None => Ok(None),
        Some(url) if url.trim() == "simulator" => Ok(Some(None)),
        Some(url) => {
            let url = url.trim().to_owned();
            if !url.starts_with("https://") {
                return Err(invalid(url_name, "must be an https:// URL, or `simulator`"));
            }
            let ca_file = get(ca_name).ok_or_else(|| {
                invalid(
                    ca_name,
                    format!("required with {url_name}: the PEM of {authority}'s certificate"),
                )
            })?;
            Ok(Some(Some((url, PathBuf::from(ca_file)))))
        }
    }
}

/// `CONFRONTAS_SAT_*`; the engine's retries, breaker and chunks are RENAPO's.
fn sat_settings(
    get: &impl Fn(&str) -> Option<String>,
    renapo: &RenapoConfig,
) -> Result<SatConfig, ConfigError> {
    let number = |name, default, range| bounded(get, name, default, range);
    let millis = |name, default, range| number(name, default, range).map(Duration::from_millis);
    let endpoint = endpoint_setting(get, "CONFRONTAS_SAT_URL", "CONFRONTAS_SAT_CA_FILE", "SAT")?
        .map(|remote| match remote {
            None => SatEndpoint::Simulator,
            Some((url, ca_file)) => SatEndpoint::Remote { url, ca_file },
        });
    let validity =
        get("CONFRONTAS_SAT_OPINION_VALIDITY").map_or(Ok(OpinionValidity::Months(3)), |text| {
            OpinionValidity::parse(&text).ok_or_else(|| {
                invalid(
                    "CONFRONTAS_SAT_OPINION_VALIDITY",
                    format!("expected days (`30d`) or months (`3m`), got {text:?}"),
                )
            })
        })?;
    let rate = number("CONFRONTAS_SAT_RATE_PER_SECOND", 20, 0..=100_000)?;
    Ok(SatConfig {
        endpoint,
        user: get("CONFRONTAS_SAT_USER").unwrap_or_else(|| "confrontas".into()),
        password: get("CONFRONTAS_SAT_PASSWORD").unwrap_or_else(|| "simulador-sat".into()),
        connect_timeout: millis("CONFRONTAS_SAT_CONNECT_TIMEOUT_MS", 5_000, 1..=120_000)?,
        read_timeout: millis("CONFRONTAS_SAT_READ_TIMEOUT_MS", 15_000, 1..=600_000)?,
        max_response_bytes: 64 * 1024,
        engine: EngineSettings {
            concurrency: number("CONFRONTAS_SAT_CONCURRENCY", 4, 1..=256)? as usize,
            rate_per_second: (rate > 0).then_some(rate as f64),
            ..renapo.engine.clone()
        },
        validity,
        simulator_latency: renapo.simulator_latency,
    })
}

/// `CONFRONTAS_RENAPO_*`.
fn renapo_settings(get: &impl Fn(&str) -> Option<String>) -> Result<RenapoConfig, ConfigError> {
    let number = |name, default, range| bounded(get, name, default, range);
    let millis = |name, default, range| number(name, default, range).map(Duration::from_millis);
    let endpoint = endpoint_setting(
        get,
        "CONFRONTAS_RENAPO_URL",
        "CONFRONTAS_RENAPO_CA_FILE",
        "RENAPO",
    )?
    .map(|remote| match remote {
        None => RenapoEndpoint::Simulator,
        Some((url, ca_file)) => RenapoEndpoint::Remote { url, ca_file },
    });
    let rate = number("CONFRONTAS_RENAPO_RATE_PER_SECOND", 50, 0..=100_000)?;
    let backoff_base = millis("CONFRONTAS_RENAPO_BACKOFF_BASE_MS", 250, 1..=60_000)?;
    let backoff_max = millis("CONFRONTAS_RENAPO_BACKOFF_MAX_MS", 10_000, 1..=600_000)?;
    if backoff_max < backoff_base {
        return Err(invalid(
            "CONFRONTAS_RENAPO_BACKOFF_MAX_MS",
            "must not be below CONFRONTAS_RENAPO_BACKOFF_BASE_MS",
        ));
    }
    Ok(RenapoConfig {
        endpoint,
        user: get("CONFRONTAS_RENAPO_USER").unwrap_or_else(|| "confrontas".into()),
        password: get("CONFRONTAS_RENAPO_PASSWORD").unwrap_or_else(|| "simulador-renapo".into()),
        caller_ip: get("CONFRONTAS_RENAPO_CALLER_IP").unwrap_or_else(|| "127.0.0.1".into()),
        issuing_entity: get("CONFRONTAS_RENAPO_ISSUING_ENTITY").unwrap_or_default(),
        transaction_type: number("CONFRONTAS_RENAPO_TRANSACTION_TYPE", 5, 0..=99)? as i32,
        connect_timeout: millis("CONFRONTAS_RENAPO_CONNECT_TIMEOUT_MS", 5_000, 1..=120_000)?,
        read_timeout: millis("CONFRONTAS_RENAPO_READ_TIMEOUT_MS", 15_000, 1..=600_000)?,
        max_response_bytes: number(
            "CONFRONTAS_RENAPO_MAX_RESPONSE_BYTES",
            256 * 1024,
            1024..=64 << 20,
        )? as usize,
        engine: EngineSettings {
            concurrency: number("CONFRONTAS_RENAPO_CONCURRENCY", 8, 1..=256)? as usize,
            rate_per_second: (rate > 0).then_some(rate as f64),
            max_attempts: number("CONFRONTAS_RENAPO_MAX_ATTEMPTS", 5, 1..=20)? as u32,
            backoff_base,
            backoff_max,
            breaker_threshold: number("CONFRONTAS_RENAPO_BREAKER_THRESHOLD", 5, 1..=1000)? as u32,
            breaker_cooldown: millis("CONFRONTAS_RENAPO_BREAKER_COOLDOWN_MS", 5_000, 1..=600_000)?,
            chunk_size: number("CONFRONTAS_CONFRONTATION_CHUNK", 200, 1..=5_000)? as usize,
            lease: millis("CONFRONTAS_CONFRONTATION_LEASE_MS", 30_000, 500..=3_600_000)?,
            poll: millis("CONFRONTAS_CONFRONTATION_POLL_MS", 1_000, 10..=60_000)?,
        },
        consultations_per_minute: number("CONFRONTAS_CONSULTATIONS_PER_MINUTE", 60, 1..=100_000)?
            as u32,
        simulator_latency: millis("CONFRONTAS_SIMULATOR_LATENCY_MS", 0, 0..=60_000)?,
        allow_self_signed: match get("CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED")
            .as_deref()
            .map(str::trim)
        {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(invalid(
                    "CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED",
                    format!("expected true or false, got {other:?}"),
                ));
            }
        },
        test_curp: {
            let curp =
                get("CONFRONTAS_RENAPO_TEST_CURP").unwrap_or_else(|| "PXNE660720HMCXTN06".into());
            confrontas_api::Curp::parse(&curp)
                .map_err(|p| invalid("CONFRONTAS_RENAPO_TEST_CURP", p.to_string()))?
                .as_str()
                .to_owned()
        },
        trust_sync: millis("CONFRONTAS_TRUST_SYNC_MS", 15_000, 100..=3_600_000)?,
    })
}

/// `CONFRONTAS_SMTP_*`: unset host, no e-mail.
fn smtp_settings(
    get: &impl Fn(&str) -> Option<String>,
    bind: SocketAddr,
) -> Result<Option<SmtpSettings>, ConfigError> {
    let Some(host) = get("CONFRONTAS_SMTP_HOST") else {
        return Ok(None);
    };
    let security = match get("CONFRONTAS_SMTP_SECURITY").as_deref().map(str::trim) {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            return Err(invalid(
                "CONFRONTAS_SMTP_SECURITY",
                format!("expected starttls, tls or none, got {other:?}"),
            ));
        }
    };
    let default_port = match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    };
    let port = get("CONFRONTAS_SMTP_PORT").map_or(Ok(default_port), |v| {
        v.trim()
            .parse()
            .map_err(|_| invalid("CONFRONTAS_SMTP_PORT", format!("not a port: {v:?}")))
    })?;
    let credentials = match (
        get("CONFRONTAS_SMTP_USERNAME"),
        get("CONFRONTAS_SMTP_PASSWORD"),
    ) {
        (Some(user), Some(password)) => Some((user, password)),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "CONFRONTAS_SMTP_USERNAME",
                "set both CONFRONTAS_SMTP_USERNAME and CONFRONTAS_SMTP_PASSWORD, or neither",
            ));
        }
    };
    let from = get("CONFRONTAS_SMTP_FROM").ok_or_else(|| {
        invalid(
            "CONFRONTAS_SMTP_FROM",
            "required when CONFRONTAS_SMTP_HOST is set",
        )
    })?;
    let from = from.parse().map_err(|_| {
        invalid(
            "CONFRONTAS_SMTP_FROM",
            format!("not a mailbox (\"Name <user@host>\" or user@host): {from:?}"),
        )
    })?;
    let poll = get("CONFRONTAS_SMTP_POLL_SECS").map_or(Ok(15), |v| {
        v.trim().parse::<u64>().map_err(|_| {
            invalid(
                "CONFRONTAS_SMTP_POLL_SECS",
                format!("not a whole number: {v:?}"),
            )
        })
    })?;
    Ok(Some(SmtpSettings {
        host,
        port,
        security,
        credentials,
        from,
        public_url: get("CONFRONTAS_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}")),
        poll: Duration::from_secs(poll.clamp(1, 3600)),
    }))
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
        let kid = format!("ephemeral-{}", crate::auth::tokens::random_token(6));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_bind_loopback_and_sqlite_under_data() {
        let config = config(&[]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, "data/confrontas.sqlite");
        assert!(config.jwt.ephemeral);
        assert_eq!(config.jwt.access_ttl, Duration::from_secs(900));
    }

    #[test]
    fn e_mail_is_off_unless_a_relay_and_sender_are_given() {
        assert!(config(&[]).unwrap().smtp.is_none());
        let missing_from = config(&[("CONFRONTAS_SMTP_HOST", "smtp.agricultura.gob.mx")]);
        assert_eq!(missing_from.err().unwrap().variable, "CONFRONTAS_SMTP_FROM");
        let bad_from = config(&[
            ("CONFRONTAS_SMTP_HOST", "smtp.agricultura.gob.mx"),
            ("CONFRONTAS_SMTP_FROM", "no es un correo"),
        ]);
        assert_eq!(bad_from.err().unwrap().variable, "CONFRONTAS_SMTP_FROM");
        let half_credentials = config(&[
            ("CONFRONTAS_SMTP_HOST", "smtp.agricultura.gob.mx"),
            ("CONFRONTAS_SMTP_FROM", "confrontas@agricultura.gob.mx"),
            ("CONFRONTAS_SMTP_USERNAME", "confrontas"),
        ]);
        assert_eq!(
            half_credentials.err().unwrap().variable,
            "CONFRONTAS_SMTP_USERNAME"
        );
        let smtp = config(&[
            ("CONFRONTAS_SMTP_HOST", "smtp.agricultura.gob.mx"),
            (
                "CONFRONTAS_SMTP_FROM",
                "Confrontas <confrontas@agricultura.gob.mx>",
            ),
            ("CONFRONTAS_SMTP_USERNAME", "confrontas"),
            ("CONFRONTAS_SMTP_PASSWORD", "secreto-del-relay"),
        ])
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!((smtp.port, smtp.security), (587, SmtpSecurity::StartTls));
        assert_eq!(smtp.public_url, "http://127.0.0.1:8080");
        assert!(!format!("{smtp:?}").contains("secreto-del-relay"));
    }

    #[test]
    fn jwt_keys_parse_and_the_active_kid_must_exist() {
        let secret = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let keys = format!("new:{secret},old:{secret}");
        let ok = config(&[
            ("CONFRONTAS_JWT_KEYS", &keys),
            ("CONFRONTAS_JWT_ACTIVE_KID", "new"),
        ])
        .unwrap();
        assert_eq!(ok.jwt.keys.len(), 2);
        assert!(!ok.jwt.ephemeral);
        let error = config(&[
            ("CONFRONTAS_JWT_KEYS", &keys),
            ("CONFRONTAS_JWT_ACTIVE_KID", "other"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "CONFRONTAS_JWT_ACTIVE_KID");
    }

    #[test]
    fn short_jwt_secrets_are_refused_and_not_echoed() {
        let short = base64::engine::general_purpose::STANDARD.encode([7u8; 16]);
        let error = config(&[("CONFRONTAS_JWT_KEYS", &format!("k1:{short}"))]).unwrap_err();
        assert!(error.message.contains("32 bytes"));
        assert!(!error.to_string().contains(&short));
    }

    #[test]
    fn half_a_bootstrap_admin_is_an_error() {
        assert!(config(&[("CONFRONTAS_ADMIN_EMAIL", "a@b.mx")]).is_err());
        assert!(
            config(&[
                ("CONFRONTAS_ADMIN_EMAIL", "a@b.mx"),
                ("CONFRONTAS_ADMIN_PASSWORD", "corta")
            ])
            .is_err()
        );
    }

    #[test]
    fn bad_numbers_name_their_variable() {
        let error = config(&[("CONFRONTAS_DB_POOL_SIZE", "muchos")]).unwrap_err();
        assert_eq!(error.variable, "CONFRONTAS_DB_POOL_SIZE");
    }
}
