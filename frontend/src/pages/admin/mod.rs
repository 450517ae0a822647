//! Administration pages (role admin): users, administrative units, API clients, service-level
//! policies and the business-day calendar.

pub mod api_clients;
pub mod calendar;
pub mod sla;
pub mod units;
pub mod users;

use confrontas_api::{Page, Unit};

use crate::api;

/// Active units for the selects of the user and API-client forms.
pub async fn active_units() -> Result<Vec<Unit>, api::ApiError> {
    api::get::<Page<Unit>>("/api/v1/units?active=true&per_page=200")
        .await
        .map(|page| page.items)
}
