//! Settings, read from the environment (every variable is listed in README.md), one file per
//! subject: [`auth`] (tokens, logins, proxies), [`smtp`] (e-mail), [`authorities`] (RENAPO, the
//! SAT and the engine's pace), [`simulators`] (their simulators); the server's own settings
//! are here. [`vars`] reads and checks
//! every value: one that cannot be used stops the start with the variable's name.

mod auth;
mod authorities;
mod simulators;
mod smtp;
mod vars;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub use self::auth::{JwtKey, JwtSettings, LoginLimits};
pub use self::authorities::{Endpoint, EngineSettings, OpinionValidity, RenapoConfig, SatConfig};
pub use self::simulators::SimulatorSettings;
pub use self::smtp::{SmtpSecurity, SmtpSettings};
pub use self::vars::{ConfigError, Vars};
use crate::uploads::UploadLimits;

/// How fast a request body must arrive (`slow_bodies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyPace {
    /// Time a body may take before the rate counts (a first packet, a slow start).
    pub grace: std::time::Duration,
    /// Average rate the body must keep after the grace period.
    pub min_bytes_per_sec: u64,
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
    /// How long a request waits for a database connection before answering 503.
    pub db_checkout_timeout: std::time::Duration,
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
    /// When set, `/metrics` answers only to this bearer token.
    pub metrics_token: Option<String>,
    pub json_limit_bytes: usize,
    /// How fast request bodies must arrive.
    pub body_pace: BodyPace,
    /// Where files being processed are kept (uploads in progress, imports waiting their turn).
    pub data_dir: PathBuf,
    /// CURP layouts checked by `POST /api/v1/layouts/validate`.
    pub layout_uploads: UploadLimits,
    /// Registry imports.
    pub import_uploads: UploadLimits,
    /// Refused rows an import keeps to list (the first ones); the rest are only counted.
    pub import_rejections_kept: u32,
    /// Spreadsheets parsed at the same time.
    pub parse_concurrency: usize,
    /// Where request documents are stored (files named by their SHA-256).
    pub attachments_dir: PathBuf,
    /// Largest oficio, report or certificate accepted.
    pub document_max_bytes: u64,
    /// Notification e-mails; `None` (the default) sends none.
    pub smtp: Option<SmtpSettings>,
    /// The RENAPO consultation service, its credentials and the engine's pace.
    pub renapo: RenapoConfig,
    /// The SAT opinions: the online provider (optional), its pace and the validity rule.
    pub sat: SatConfig,
    /// How the simulators of both authorities behave, in process and standalone.
    pub simulators: SimulatorSettings,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars::new(&lookup);
        let bind = vars.address("CONFRONTAS_BIND", "127.0.0.1:8080")?;
        let data_dir = vars.path_or("CONFRONTAS_DATA_DIR", "data");
        let renapo = authorities::renapo(&vars)?;
        Ok(Config {
            bind,
            database_url: vars.text_or("DATABASE_URL", "data/confrontas.sqlite"),
            db_pool_size: vars.number("CONFRONTAS_DB_POOL_SIZE", 8, 1..=256)? as u32,
            db_checkout_timeout: vars.millis(
                "CONFRONTAS_DB_CHECKOUT_TIMEOUT_MS",
                2_000,
                100..=60_000,
            )?,
            web_dir: vars.path_or("CONFRONTAS_WEB_DIR", "frontend/dist"),
            swagger_ui: vars.flag("CONFRONTAS_SWAGGER_UI", true)?,
            jwt: auth::jwt(&vars)?,
            login: auth::login(&vars)?,
            trusted_proxies: auth::trusted_proxies(&vars)?,
            bootstrap_admin: auth::bootstrap_admin(&vars)?,
            demo_password: auth::demo_password(&vars)?,
            demo_farmers: vars.number("CONFRONTAS_DEMO_FARMERS", 10_000, 0..=5_000_000)?,
            demo_requests: vars.flag("CONFRONTAS_DEMO_REQUESTS", true)?,
            metrics_token: vars.text("CONFRONTAS_METRICS_TOKEN"),
            log_format: vars.choice(
                "CONFRONTAS_LOG_FORMAT",
                LogFormat::Text,
                &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            )?,
            body_pace: BodyPace {
                grace: vars.seconds("CONFRONTAS_BODY_GRACE_SECS", 10, 1..=600)?,
                min_bytes_per_sec: vars.number(
                    "CONFRONTAS_BODY_MIN_BYTES_PER_SEC",
                    1_024,
                    1..=100_000_000,
                )?,
            },
            json_limit_bytes: vars.number(
                "CONFRONTAS_JSON_LIMIT_BYTES",
                64 * 1024,
                1024..=16 << 20,
            )? as usize,
            attachments_dir: vars
                .path_or("CONFRONTAS_ATTACHMENTS_DIR", data_dir.join("attachments")),
            data_dir,
            layout_uploads: UploadLimits {
                max_bytes: vars.megabytes("CONFRONTAS_LAYOUT_MAX_MB", 64, 1..=1024)?,
                max_rows: vars.number("CONFRONTAS_LAYOUT_MAX_ROWS", 1_000_000, 1..=5_000_000)?
                    as u32,
            },
            import_uploads: UploadLimits {
                max_bytes: vars.megabytes("CONFRONTAS_IMPORT_MAX_MB", 512, 1..=4096)?,
                max_rows: vars.number("CONFRONTAS_IMPORT_MAX_ROWS", 5_000_000, 1..=50_000_000)?
                    as u32,
            },
            import_rejections_kept: vars.number(
                "CONFRONTAS_IMPORT_REJECTIONS_KEPT",
                10_000,
                1..=1_000_000,
            )? as u32,
            parse_concurrency: vars.number("CONFRONTAS_PARSE_CONCURRENCY", 2, 1..=64)? as usize,
            document_max_bytes: vars.megabytes("CONFRONTAS_DOCUMENT_MAX_MB", 20, 1..=512)?,
            smtp: smtp::settings(&vars, bind)?,
            simulators: simulators::settings(&vars)?,
            sat: authorities::sat(&vars, &renapo)?,
            renapo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::collections::HashMap;
    use std::time::Duration;

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

    #[test]
    fn values_out_of_range_are_refused_not_clamped() {
        for (variable, value) in [
            ("CONFRONTAS_DB_POOL_SIZE", "0"),
            ("CONFRONTAS_DB_POOL_SIZE", "1000"),
            ("CONFRONTAS_DEMO_FARMERS", "6000000"),
            ("CONFRONTAS_LAYOUT_MAX_MB", "0"),
            ("CONFRONTAS_LAYOUT_MAX_ROWS", "9000000"),
            ("CONFRONTAS_IMPORT_MAX_MB", "5000"),
            ("CONFRONTAS_IMPORT_MAX_ROWS", "0"),
            ("CONFRONTAS_PARSE_CONCURRENCY", "0"),
            ("CONFRONTAS_DOCUMENT_MAX_MB", "513"),
            ("CONFRONTAS_HASH_CONCURRENCY", "0"),
            ("CONFRONTAS_JSON_LIMIT_BYTES", "10"),
        ] {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
            assert!(error.message.starts_with("must be between"), "{error}");
        }
        let smtp = config(&[
            ("CONFRONTAS_SMTP_HOST", "127.0.0.1"),
            ("CONFRONTAS_SMTP_FROM", "confrontas@agricultura.gob.mx"),
            ("CONFRONTAS_SMTP_POLL_SECS", "0"),
        ]);
        assert_eq!(smtp.unwrap_err().variable, "CONFRONTAS_SMTP_POLL_SECS");
    }

    #[test]
    fn both_authorities_name_their_endpoint_the_same_way() {
        let simulated = config(&[
            ("CONFRONTAS_RENAPO_URL", "simulator"),
            ("CONFRONTAS_SAT_URL", "simulator"),
        ])
        .unwrap();
        assert_eq!(simulated.renapo.endpoint, Some(Endpoint::Simulator));
        assert_eq!(simulated.sat.endpoint, Some(Endpoint::Simulator));
        let remote = config(&[
            ("CONFRONTAS_SAT_URL", "https://sat.example/opinion"),
            ("CONFRONTAS_SAT_CA_FILE", "/etc/confrontas/sat.pem"),
        ])
        .unwrap();
        assert_eq!(
            remote.sat.endpoint,
            Some(Endpoint::Remote {
                url: "https://sat.example/opinion".into(),
                ca_file: "/etc/confrontas/sat.pem".into()
            })
        );
        assert_eq!(remote.renapo.endpoint, None);
        let missing_ca = config(&[("CONFRONTAS_RENAPO_URL", "https://renapo.example/ws")]);
        assert_eq!(
            missing_ca.unwrap_err().variable,
            "CONFRONTAS_RENAPO_CA_FILE"
        );
        let plain = config(&[("CONFRONTAS_SAT_URL", "http://sat.example/opinion")]);
        assert_eq!(plain.unwrap_err().variable, "CONFRONTAS_SAT_URL");
    }

    #[test]
    fn the_sat_paces_itself_but_shares_renapos_retries() {
        let config = config(&[
            ("CONFRONTAS_SAT_RATE_PER_SECOND", "0"),
            ("CONFRONTAS_RENAPO_MAX_ATTEMPTS", "3"),
            ("CONFRONTAS_SAT_OPINION_VALIDITY", "30d"),
        ])
        .unwrap();
        assert_eq!(config.sat.engine.rate_per_second, None);
        assert_eq!(config.renapo.engine.rate_per_second, Some(50.0));
        assert_eq!(config.sat.engine.max_attempts, 3);
        assert_eq!(config.sat.validity, OpinionValidity::Days(30));
        assert_eq!(config.renapo.trust_sync, Duration::from_secs(15));
    }
}
