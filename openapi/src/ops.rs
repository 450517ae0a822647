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
}
