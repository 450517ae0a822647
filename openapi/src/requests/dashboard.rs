//! The dashboard: what the caller's role has to do, and what is at risk or late.

use serde::{Deserialize, Serialize};

use super::RequestSummary;
use super::procedure::RequestState;
use crate::auth::Role;

/// How many requests are in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateCount {
    pub state: RequestState,
    pub count: u64,
}

/// `GET /api/v1/dashboard`: what the caller's role has to do and what is late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    pub role: Role,
    /// Requests waiting for the caller's role, nearest due date first (at most 20).
    pub pending: Vec<RequestSummary>,
    pub pending_total: u64,
    /// Open requests with a clock at risk (at most 20), and their number.
    pub at_risk: Vec<RequestSummary>,
    pub at_risk_total: u64,
    /// Open requests with a breached clock (at most 20), and their number.
    pub breached: Vec<RequestSummary>,
    pub breached_total: u64,
    /// Requests the caller may see, by state (every state listed).
    pub counts_by_state: Vec<StateCount>,
}
