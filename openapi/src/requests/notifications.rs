//! In-app notifications: about a request, or about RENAPO's certificate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::procedure::TimelineEvent;

/// An in-app notification: about a request, or about RENAPO's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    /// The request it is about (`None` for a certificate alert).
    pub request_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub event: Option<TimelineEvent>,
    /// The RENAPO certificate it is about (expiry alerts).
    pub certificate_id: Option<i64>,
    /// What happened, in Spanish.
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Filters of `GET /api/v1/notifications`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct NotificationFilter {
    /// Only unread notifications.
    pub unread: Option<bool>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}

/// `GET /api/v1/notifications/unread-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: u64,
}
