use confrontas_api::{
    Farmer, FarmerChange, Page, PageParams, SatOutcome, field_label, paths, value_label,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::search::full_name;
use super::{EligibilityBadge, StandingBadge, farmer_status_badge, source_label, state_label};
use crate::api;
use crate::components::{Loaded, Pager, Position, format_time};
use crate::url_state::use_url_state;

#[component]
pub fn FarmerPage() -> impl IntoView {
    let params = use_params_map();
    let curp = move || params.read().get("curp").unwrap_or_default();
    let farmer = LocalResource::new(move || {
        let url = paths::registry::farmer(curp());
        async move { api::get::<Farmer>(&url).await }
    });
    // The history's page is in the URL.
    let shown = use_url_state::<PageParams>();
    let history = LocalResource::new(move || {
        let page = PageParams {
            per_page: Some(20),
            ..shown.get()
        };
        let url = paths::registry::history(curp(), &page);
        async move { api::get::<Page<FarmerChange>>(&url).await }
    });
    let go_to = shown.page_opener();
    view! {
        <p><A href="/padron">"← Volver al padrón"</A></p>
        <Loaded loading="Cargando productor…" heading="Productor">
            {move || farmer.get().map(|result| result.map(|farmer| {
                view! { <FarmerCard farmer=farmer /> }.into_any()
            }))}
        </Loaded>
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Historial de cambios"</h2>
            <p class="hint">"Cada cambio de cada dato: valor anterior y nuevo, origen, quién y cuándo."</p>
            <Loaded loading="Cargando historial…">
                {move || history.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! { <p class="empty">"Sin cambios registrados."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <ol class="timeline">
                                {list.items.into_iter().map(|change| view! { <ChangeItem change=change /> }).collect_view()}
                            </ol>
                            <Pager at=at go_to=go_to noun=("cambio", "cambios") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}

#[component]
fn FarmerCard(farmer: Farmer) -> impl IntoView {
    let row = |label: &'static str, value: String| {
        view! { <div class="profile-row"><dt>{label}</dt><dd>{value}</dd></div> }
    };
    let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_owned());
    let date = |value: Option<chrono::NaiveDate>| {
        value.map_or_else(|| "—".to_owned(), |d| d.format("%d/%m/%Y").to_string())
    };
    view! {
        <h1>{full_name(&farmer)}</h1>
        <p class="lead"><code>{farmer.curp.clone()}</code>" · "{farmer_status_badge(farmer.status)}</p>
        <section class="card" aria-labelledby="data-title">
            <h2 id="data-title">"Datos del padrón"</h2>
            <dl class="profile">
                {row("RFC", or_dash(&farmer.rfc))}
                {row("Fecha de nacimiento", farmer.birth_date.format("%d/%m/%Y").to_string())}
                {row("Sexo", farmer.sex.label().to_owned())}
                {row("Entidad de nacimiento", state_label(Some(&farmer.birth_state)))}
                {row("Entidad de residencia", state_label(farmer.state.as_deref()))}
                {row("Municipio", or_dash(&farmer.municipality))}
                {row("Folio de productor", or_dash(&farmer.producer_folio))}
                {row("Última fe de vida", format_time(farmer.last_proof_of_life_at))}
                {row("Opinión 32-D del SAT", farmer.sat_opinion.as_deref().map_or_else(
                    || "—".to_owned(),
                    |o| SatOutcome::parse(o).map_or_else(|| o.to_owned(), |o| o.label().to_owned()),
                ))}
                {row("Folio de la opinión", or_dash(&farmer.sat_folio))}
                {row("Emisión de la opinión", date(farmer.sat_issued_on))}
                <div class="profile-row" data-testid="sat-validity"><dt>"Opinión vigente hasta"</dt><dd>
                    {date(farmer.sat_valid_until)}
                    {farmer.sat_standing.map(|standing| view! { " " <StandingBadge standing/> })}
                </dd></div>
                {farmer.sat_eligibility.clone().map(|verdict| view! {
                    <div class="profile-row" data-testid="sat-eligibility"><dt>"Elegibilidad para subsidios"</dt><dd>
                        <EligibilityBadge verdict=verdict.verdict />
                        {verdict.condition.map(|condition| view! { " " <span class="muted">{condition}</span> })}
                    </dd></div>
                })}
                {row("Versión", farmer.version.to_string())}
            </dl>
        </section>
    }
}

#[component]
fn ChangeItem(change: FarmerChange) -> impl IntoView {
    let what = if change.field == "created" {
        // The creation carries the whole initial record as a JSON object.
        let record: serde_json::Map<String, serde_json::Value> = change
            .after
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        let fields = record
            .into_iter()
            .map(|(field, value)| {
                let value = match value.as_str() {
                    Some(text) => value_label(&field, text),
                    None => value.to_string(),
                };
                view! { <li>{format!("{}: {value}", field_label(&field))}</li> }
            })
            .collect_view();
        view! {
            <p><strong>"Alta en el padrón"</strong></p>
            <ul class="snapshot">{fields}</ul>
        }
        .into_any()
    } else {
        let shown = |value: &Option<String>| {
            value
                .as_deref()
                .map_or_else(|| "(vacío)".to_owned(), |v| value_label(&change.field, v))
        };
        let (before, after) = (shown(&change.before), shown(&change.after));
        view! {
            <p><strong>{field_label(&change.field).to_owned()}</strong>": "
                <span class="before">{before}</span>" → "<span class="after">{after}</span>
            </p>
        }
        .into_any()
    };
    view! {
        <li class="timeline-item">
            <p class="timeline-when">{format_time(Some(change.at))}" · "
                {match source_link(&change) {
                    Some(link) => link.into_any(),
                    None => source_label(change.source).into_any(),
                }}
            </p>
            {what}
            <p class="muted">"Por "{change.actor_name.clone()}{change.comment.clone().map(|c| format!(" · Motivo: {c}"))}</p>
        </li>
    }
}

/// The change's source as a link to it: the confrontation's page, or the registry imports.
fn source_link(change: &FarmerChange) -> Option<impl IntoView + use<>> {
    let title = change.source_title.clone()?;
    let href = match change.source_ref.as_deref()?.split_once(':')? {
        ("confrontation", id) => format!("/confrontas/{id}"),
        ("import", _) => "/padron/importaciones".to_owned(),
        _ => return None,
    };
    Some(view! { <A href=href>{title}</A> })
}
