//! Registry pages (roles subdireccion and admin): search, farmer with history, imports, and
//! the verification of a SAT opinion against the registry.

pub mod farmer;
pub mod imports;
pub mod opinion;
pub mod search;

use confrontas_api::identity::{STATES, state_name};
use confrontas_api::{ChangeSource, Eligibility, FarmerStatus, OpinionStanding, ValidityState};
use leptos::prelude::*;

/// A farmer's status as a badge with its Spanish label.
pub fn farmer_status_badge(status: FarmerStatus) -> impl IntoView {
    let class = match status {
        FarmerStatus::Active => "badge badge-ok",
        FarmerStatus::Deceased => "badge badge-dark",
        FarmerStatus::Deregistered => "badge badge-off",
    };
    view! { <span class=class>{status.label()}</span> }
}

/// An opinion's validity today as a badge: "Vigente", "Por vencer en N días", "Vencida".
#[component]
pub fn StandingBadge(standing: OpinionStanding) -> impl IntoView {
    let class = match standing.state {
        ValidityState::Valid => "badge badge-ok",
        ValidityState::Expiring => "badge badge-warn",
        ValidityState::Expired => "badge badge-dark",
    };
    view! { <span class=class data-testid="opinion-standing">{standing.label()}</span> }
}

/// A subsidy eligibility verdict as a badge.
#[component]
pub fn EligibilityBadge(verdict: Eligibility) -> impl IntoView {
    let class = match verdict {
        Eligibility::Eligible => "badge badge-ok",
        Eligibility::NotEligible => "badge badge-dark",
        Eligibility::NeedsNewOpinion => "badge badge-warn",
    };
    view! { <span class=class>{verdict.label()}</span> }
}

/// "JC — Jalisco", or what was stored when it is not a state code.
pub fn state_label(code: Option<&str>) -> String {
    match code {
        None => "—".to_owned(),
        Some(code) => {
            state_name(code).map_or_else(|| code.to_owned(), |name| format!("{code} — {name}"))
        }
    }
}

/// Options of a state select (residence states: every code but `NE`).
pub fn state_options() -> impl IntoView {
    STATES
        .iter()
        .filter(|(code, _)| *code != "NE")
        .map(|(code, name)| view! { <option value=*code>{format!("{name} ({code})")}</option> })
        .collect_view()
}

pub fn source_label(source: ChangeSource) -> &'static str {
    match source {
        ChangeSource::Demo => "Datos de demostración",
        ChangeSource::Import => "Importación",
        ChangeSource::Edit => "Edición manual",
        ChangeSource::Confrontation => "Confronta",
    }
}
