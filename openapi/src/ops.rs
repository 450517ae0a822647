//! Liveness and readiness answers.

use serde::{Deserialize, Serialize};

/// `/health`: the process is up and serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: String,
    /// Server version.
    pub version: String,
}

/// `/ready`: the server can do its work (database reachable, schema current).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// Database backend in use: `sqlite` or `postgres`.
    pub database: String,
    /// Whether a connection could be used right now.
    pub database_reachable: bool,
    /// Whether every embedded migration has been applied.
    pub migrations_applied: bool,
    /// Which RENAPO the server consults.
    pub renapo: AuthorityMode,
    /// The deployed RENAPO certificate: `expired` means RENAPO's trust is degraded (the
    /// status stays `ready`: the server works, RENAPO queries fail until a new one is deployed).
    pub renapo_trust: crate::certificates::TrustStatus,
    /// Which online SAT provider the server asks (`not_configured`: exchange file only).
    pub sat: AuthorityMode,
}

/// Which service of an authority the server uses (the SPA shows a banner for a simulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorityMode {
    /// The built-in simulator: answers are synthetic.
    Simulator,
    /// A real service at the configured URL.
    Service,
    /// None (RENAPO: confrontations and consultations are unavailable; SAT: exchange file only).
    NotConfigured,
}
