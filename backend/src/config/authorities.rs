//! `CONFRONTAS_RENAPO_*`, `CONFRONTAS_SAT_*`, `CONFRONTAS_CONFRONTATION_*`: where the two
//! authorities are, the credentials sent to them, and how the engine paces its queries.

use std::path::PathBuf;
use std::time::Duration;

use super::vars::{ConfigError, Vars, invalid};

/// Where an authority's service is (RENAPO's consultation service, the SAT agreement's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
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
    /// Queries started per second by the whole deployment (the authority grants one quota;
    /// `docs/architecture.md`, "Shared quotas"); `None` unlimited.
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
    /// Items leased together.
    pub chunk_size: usize,
    /// How long answers wait before they are committed (in batches, while the chunk goes
    /// on): what a crash can lose.
    pub commit_every: Duration,
    /// How long a lease holds without a heartbeat; a dead instance's items return after it.
    pub lease: Duration,
    /// How often an idle engine looks for work.
    pub poll: Duration,
}

#[derive(Debug, Clone)]
pub struct RenapoConfig {
    /// `None`: not configured; confrontations and consultations answer 503.
    pub endpoint: Option<Endpoint>,
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
    /// Whether a self-signed server certificate may be deployed (pinned) as the trust anchor.
    pub allow_self_signed: bool,
    /// The CURP a certificate's verification asks RENAPO about.
    pub test_curp: String,
    /// How often each instance looks for a certificate deployed by another one.
    pub trust_sync: Duration,
}

/// How long an opinion is valid from its issue date: 30 calendar days in general, 3 months for
/// subsidies (`docs/sat-protocol.md`, "Validity"; the days are `sat::validity::OpinionTerm`'s).
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

    /// As written in `CONFRONTAS_SAT_OPINION_VALIDITY`.
    pub fn describe(self) -> String {
        match self {
            OpinionValidity::Days(days) => format!("{days}d"),
            OpinionValidity::Months(months) => format!("{months}m"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SatConfig {
    /// `None`: no online provider; SAT confrontations use the exchange file only.
    pub endpoint: Option<Endpoint>,
    pub user: String,
    pub password: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_response_bytes: usize,
    /// The online provider's pace (retries, breaker and chunks as RENAPO's).
    pub engine: EngineSettings,
    pub validity: OpinionValidity,
}

/// `url_name` (`https://…` with `ca_name`, or `simulator`); `None` when unset.
fn endpoint(
    vars: &Vars,
    url_name: &'static str,
    ca_name: &'static str,
    authority: &str,
) -> Result<Option<Endpoint>, ConfigError> {
    let Some(url) = vars.text(url_name) else {
        return Ok(None);
    };
    let url = url.trim().to_owned();
    if url == "simulator" {
        return Ok(Some(Endpoint::Simulator));
    }
    if !url.starts_with("https://") {
        return Err(invalid(url_name, "must be an https:// URL, or `simulator`"));
    }
    let ca_file = vars.text(ca_name).ok_or_else(|| {
        invalid(
            ca_name,
            format!("required with {url_name}: the PEM of {authority}'s certificate"),
        )
    })?;
    Ok(Some(Endpoint::Remote {
        url,
        ca_file: PathBuf::from(ca_file),
    }))
}

/// `0` means unlimited.
fn rate(per_second: u64) -> Option<f64> {
    (per_second > 0).then_some(per_second as f64)
}

pub(super) fn renapo(vars: &Vars) -> Result<RenapoConfig, ConfigError> {
    let backoff_base = vars.millis("CONFRONTAS_RENAPO_BACKOFF_BASE_MS", 250, 1..=60_000)?;
    let backoff_max = vars.millis("CONFRONTAS_RENAPO_BACKOFF_MAX_MS", 10_000, 1..=600_000)?;
    if backoff_max < backoff_base {
        return Err(invalid(
            "CONFRONTAS_RENAPO_BACKOFF_MAX_MS",
            "must not be below CONFRONTAS_RENAPO_BACKOFF_BASE_MS",
        ));
    }
    let test_curp = vars.text_or("CONFRONTAS_RENAPO_TEST_CURP", "PXNE660720HMCXTN06");
    let test_curp = confrontas_api::Curp::parse(&test_curp)
        .map_err(|p| invalid("CONFRONTAS_RENAPO_TEST_CURP", p.to_string()))?;
    Ok(RenapoConfig {
        endpoint: endpoint(
            vars,
            "CONFRONTAS_RENAPO_URL",
            "CONFRONTAS_RENAPO_CA_FILE",
            "RENAPO",
        )?,
        user: vars.text_or("CONFRONTAS_RENAPO_USER", "confrontas"),
        password: vars.text_or("CONFRONTAS_RENAPO_PASSWORD", "simulador-renapo"),
        caller_ip: vars.text_or("CONFRONTAS_RENAPO_CALLER_IP", "127.0.0.1"),
        issuing_entity: vars.text_or("CONFRONTAS_RENAPO_ISSUING_ENTITY", ""),
        transaction_type: vars.number("CONFRONTAS_RENAPO_TRANSACTION_TYPE", 5, 0..=99)? as i32,
        connect_timeout: vars.millis("CONFRONTAS_RENAPO_CONNECT_TIMEOUT_MS", 5_000, 1..=120_000)?,
        read_timeout: vars.millis("CONFRONTAS_RENAPO_READ_TIMEOUT_MS", 15_000, 1..=600_000)?,
        max_response_bytes: vars.number(
            "CONFRONTAS_RENAPO_MAX_RESPONSE_BYTES",
            256 * 1024,
            1024..=64 << 20,
        )? as usize,
        engine: EngineSettings {
            concurrency: vars.number("CONFRONTAS_RENAPO_CONCURRENCY", 8, 1..=256)? as usize,
            rate_per_second: rate(vars.number(
                "CONFRONTAS_RENAPO_RATE_PER_SECOND",
                50,
                0..=100_000,
            )?),
            max_attempts: vars.number("CONFRONTAS_RENAPO_MAX_ATTEMPTS", 5, 1..=20)? as u32,
            backoff_base,
            backoff_max,
            breaker_threshold: vars.number("CONFRONTAS_RENAPO_BREAKER_THRESHOLD", 5, 1..=1000)?
                as u32,
            breaker_cooldown: vars.millis(
                "CONFRONTAS_RENAPO_BREAKER_COOLDOWN_MS",
                5_000,
                1..=600_000,
            )?,
            chunk_size: vars.number("CONFRONTAS_CONFRONTATION_CHUNK", 200, 1..=5_000)? as usize,
            commit_every: vars.millis("CONFRONTAS_CONFRONTATION_COMMIT_MS", 500, 10..=60_000)?,
            lease: vars.millis("CONFRONTAS_CONFRONTATION_LEASE_MS", 30_000, 500..=3_600_000)?,
            poll: vars.millis("CONFRONTAS_CONFRONTATION_POLL_MS", 1_000, 10..=60_000)?,
        },
        consultations_per_minute: vars.number(
            "CONFRONTAS_CONSULTATIONS_PER_MINUTE",
            60,
            1..=100_000,
        )? as u32,
        allow_self_signed: vars.flag("CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED", false)?,
        test_curp: test_curp.as_str().to_owned(),
        trust_sync: vars.millis("CONFRONTAS_TRUST_SYNC_MS", 15_000, 100..=3_600_000)?,
    })
}

/// The engine's retries, breaker and chunks are RENAPO's; the SAT has its own pace.
pub(super) fn sat(vars: &Vars, renapo: &RenapoConfig) -> Result<SatConfig, ConfigError> {
    let validity = match vars.text("CONFRONTAS_SAT_OPINION_VALIDITY") {
        None => OpinionValidity::Months(3),
        Some(text) => OpinionValidity::parse(&text).ok_or_else(|| {
            invalid(
                "CONFRONTAS_SAT_OPINION_VALIDITY",
                format!("expected days (`30d`) or months (`3m`), got {text:?}"),
            )
        })?,
    };
    Ok(SatConfig {
        endpoint: endpoint(vars, "CONFRONTAS_SAT_URL", "CONFRONTAS_SAT_CA_FILE", "SAT")?,
        user: vars.text_or("CONFRONTAS_SAT_USER", "confrontas"),
        password: vars.text_or("CONFRONTAS_SAT_PASSWORD", "simulador-sat"),
        connect_timeout: vars.millis("CONFRONTAS_SAT_CONNECT_TIMEOUT_MS", 5_000, 1..=120_000)?,
        read_timeout: vars.millis("CONFRONTAS_SAT_READ_TIMEOUT_MS", 15_000, 1..=600_000)?,
        max_response_bytes: 64 * 1024,
        engine: EngineSettings {
            concurrency: vars.number("CONFRONTAS_SAT_CONCURRENCY", 4, 1..=256)? as usize,
            rate_per_second: rate(vars.number(
                "CONFRONTAS_SAT_RATE_PER_SECOND",
                20,
                0..=100_000,
            )?),
            ..renapo.engine.clone()
        },
        validity,
    })
}
