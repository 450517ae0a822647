//! Administration pages (role admin): users, administrative units, API clients, service-level
//! policies, the subsidy eligibility policy and the business-day calendar.

pub mod api_clients;
pub mod calendar;
pub mod eligibility;
pub mod sla;
pub mod units;
pub mod users;

use confrontas_api::{NameFilter, Page, Unit, paths};

use crate::api;

/// Active units for the selects of the user and API-client forms.
pub async fn active_units() -> Result<Vec<Unit>, api::ApiError> {
    let filter = NameFilter {
        active: Some(true),
        per_page: Some(200),
        ..NameFilter::default()
    };
    api::get::<Page<Unit>>(&paths::units::list(&filter))
        .await
        .map(|page| page.items)
}
