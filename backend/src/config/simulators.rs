//! `CONFRONTAS_SIMULATOR_*`, `CONFRONTAS_SAT_SIMULATOR_BIND`: how the simulators of RENAPO and
//! the SAT behave, the same in process (`serve --demo`, `CONFRONTAS_RENAPO_URL=simulator`) and
//! standalone (`simulate renapo`, `simulate sat`), so that tests and operators can measure a
//! deployment against a service with a quota and faults.

use std::net::SocketAddr;
use std::time::Duration;

use super::vars::{ConfigError, Vars};

#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorSettings {
    /// Where `simulate renapo` listens.
    pub renapo_bind: SocketAddr,
    /// Where `simulate sat` listens.
    pub sat_bind: SocketAddr,
    /// Added before every answer (to watch progress in the demo, or to model a real service).
    pub latency: Duration,
    /// Consultations accepted per second of the simulator's clock; beyond, refused as the
    /// authority refuses them (RENAPO HTTP 503, the SAT HTTP 429). `None`: no quota.
    pub quota_per_second: Option<u32>,
    /// Fractions of consultations answered with a transient fault: the service unavailable
    /// (HTTP 503), busy (RENAPO `TipoError 99`, the SAT HTTP 429), an answer cut in half.
    pub unavailable_rate: f64,
    pub busy_rate: f64,
    pub malformed_rate: f64,
}

pub(super) fn settings(vars: &Vars) -> Result<SimulatorSettings, ConfigError> {
    let quota = vars.number("CONFRONTAS_SIMULATOR_QUOTA_PER_SECOND", 0, 0..=1_000_000)?;
    Ok(SimulatorSettings {
        renapo_bind: vars.address("CONFRONTAS_SIMULATOR_BIND", "127.0.0.1:8443")?,
        sat_bind: vars.address("CONFRONTAS_SAT_SIMULATOR_BIND", "127.0.0.1:8444")?,
        latency: vars.millis("CONFRONTAS_SIMULATOR_LATENCY_MS", 0, 0..=60_000)?,
        quota_per_second: (quota > 0).then_some(quota as u32),
        unavailable_rate: vars.fraction("CONFRONTAS_SIMULATOR_UNAVAILABLE_RATE")?,
        busy_rate: vars.fraction("CONFRONTAS_SIMULATOR_BUSY_RATE")?,
        malformed_rate: vars.fraction("CONFRONTAS_SIMULATOR_MALFORMED_RATE")?,
    })
}
