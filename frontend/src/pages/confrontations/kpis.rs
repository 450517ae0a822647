//! KPIs by period (`docs/architecture.md`, "Confrontations"): the confrontations finished in a
//! month, quarter, semester or year, overall and per unit, with a chart of how the rows were
//! classified, and the registry's proof-of-life coverage. Areas see their own unit.

use confrontas_api::{
    Authority, ConfrontationMetrics, KpiLine, KpiQuery, KpiReport, PeriodChoice, PeriodKind, paths,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{KpiCards, MetricCards, OutcomeCards, SatCards, percent};
use crate::api;
use crate::components::Loaded;
use crate::url_state::{follow_url, use_url_state};

/// A period text as people say it ("1.º trimestre de 2025").
fn period_label(text: &str) -> String {
    PeriodChoice::parse(text).map_or_else(|| text.to_owned(), PeriodChoice::label)
}

fn this_month() -> String {
    let now = js_sys::Date::new_0();
    format!("{}-{:02}", now.get_full_year(), now.get_month() + 1)
}

/// One stacked bar: the shares of update, no update and cannot update, drawn in SVG (its
/// sizes are attributes, which the page's content security policy allows).
fn classification_bar(metrics: &ConfrontationMetrics) -> impl IntoView + use<> {
    let total = (metrics.to_update + metrics.no_update + metrics.cannot_update).max(1) as f64;
    let parts = [
        (metrics.to_update, "chart-update", "A actualizar"),
        (metrics.no_update, "chart-no-update", "Sin actualización"),
        (
            metrics.cannot_update,
            "chart-cannot",
            "No se pueden actualizar",
        ),
    ];
    let mut x = 0.0;
    let rects = parts
        .iter()
        .map(|(count, class, label)| {
            let width = *count as f64 * 100.0 / total;
            let rect = view! {
                <rect x=format!("{x:.2}") y="0" width=format!("{width:.2}") height="10" class=*class>
                    <title>{format!("{label}: {count}")}</title>
                </rect>
            };
            x += width;
            rect
        })
        .collect_view();
    let description = format!(
        "A actualizar {}, sin actualización {}, no se pueden actualizar {}",
        metrics.to_update, metrics.no_update, metrics.cannot_update
    );
    view! {
        <svg class="chart" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=description>
            {rects}
        </svg>
    }
}

/// The period and authority asked for, kept in the URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct KpisShown {
    period: Option<String>,
    authority: Option<Authority>,
}

#[component]
pub fn KpiPage() -> impl IntoView {
    // What is asked is in the URL (this month's RENAPO figures when it says nothing).
    let shown = use_url_state::<KpisShown>();
    let asked = move || KpiQuery {
        period: shown.get().period.unwrap_or_else(this_month),
        authority: Some(shown.get().authority.unwrap_or(Authority::Renapo)),
    };
    // The period is chosen from lists: kind, year and part, following the URL.
    let kind = RwSignal::new(String::new());
    let year = RwSignal::new(String::new());
    let part = RwSignal::new(String::new());
    let chosen = move || PeriodChoice::parse(&asked().period);
    follow_url(kind, move || {
        chosen()
            .map_or(PeriodKind::Month, |c| c.kind)
            .as_str()
            .to_owned()
    });
    follow_url(year, move || {
        chosen().map(|c| c.year.to_string()).unwrap_or_default()
    });
    follow_url(part, move || {
        chosen().map(|c| c.part.to_string()).unwrap_or_default()
    });
    let this_year = js_sys::Date::new_0().get_full_year() as i32;
    let authority = RwSignal::new(String::new());
    follow_url(authority, move || {
        asked()
            .authority
            .unwrap_or(Authority::Renapo)
            .as_str()
            .to_owned()
    });
    let report = LocalResource::new(move || {
        let url = paths::confrontations::kpis(&asked());
        async move { api::get::<KpiReport>(&url).await }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let choice = PeriodChoice {
            kind: PeriodKind::parse(&kind.get_untracked()).unwrap_or(PeriodKind::Month),
            year: year.get_untracked().parse().unwrap_or(this_year),
            part: part.get_untracked().parse().unwrap_or(1),
        };
        shown.push(&KpisShown {
            period: Some(choice.text()),
            authority: Authority::parse(&authority.get_untracked()),
        });
    };
    view! {
        <h1>"Indicadores de confrontas"</h1>
        <p class="lead">"Métricas e indicadores de las confrontas con RENAPO o con el SAT terminadas en el periodo, por unidad solicitante."</p>
        <section class="card" aria-labelledby="period-title">
            <h2 id="period-title" class="visually-hidden">"Periodo"</h2>
            <form class="filters" on:submit=submit novalidate>
                <div class="field">
                    <label for="kpi-kind">"Tipo de periodo"</label>
                    <select id="kpi-kind" bind:value=kind>
                        {PeriodKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="kpi-year">"Año"</label>
                    <select id="kpi-year" bind:value=year>
                        {(2020..=this_year + 1).rev().map(|y| view! { <option value=y.to_string()>{y.to_string()}</option> }).collect_view()}
                    </select>
                </div>
                {move || {
                    let chosen_kind = PeriodKind::parse(&kind.get()).unwrap_or(PeriodKind::Month);
                    let parts = chosen_kind.parts();
                    (!parts.is_empty()).then(|| {
                        let current = part.get_untracked();
                        view! {
                            <div class="field">
                                <label for="kpi-part">{chosen_kind.label()}</label>
                                <select id="kpi-part" bind:value=part>
                                    {parts.into_iter().map(|(n, name)| {
                                        let selected = n.to_string() == current;
                                        view! { <option value=n.to_string() selected=selected>{name}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                        }
                    })
                }}
                <div class="field">
                    <label for="kpi-authority">"Autoridad"</label>
                    <select id="kpi-authority" bind:value=authority>
                        {[Authority::Renapo, Authority::Sat].into_iter().map(|a| view! {
                            <option value=a.as_str()>{a.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="actions-row"><button type="submit">"Consultar"</button></div>
            </form>
        </section>
        <Loaded loading="Calculando indicadores…">
            {move || report.get().map(|result| result.map(|report| {
                view! { <Report report=report /> }.into_any()
            }))}
        </Loaded>
    }
}

#[component]
fn Report(report: KpiReport) -> impl IntoView {
    let overall = report.overall.clone();
    let authority = report.authority;
    let coverage = (authority == Authority::Renapo).then(|| view! {
        <section class="card" aria-labelledby="coverage-title">
            <h2 id="coverage-title">"Vivencia en el padrón"</h2>
            <p data-testid="coverage">{format!(
                "{} de {} productores activos tienen vivencia acreditada en los últimos 12 meses ({}).",
                report.with_recent_proof_of_life, report.active_farmers, percent(report.proof_of_life_coverage)
            )}</p>
            <meter min="0" max="1" value=report.proof_of_life_coverage.unwrap_or(0.0) aria-hidden="true"></meter>
        </section>
    });
    if overall.confrontations == 0 {
        return view! {
            <section class="card"><p class="empty">{format!("No hay confrontas terminadas en {}.", period_label(&report.period))}</p></section>
            {coverage}
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="overall-title">
            <h2 id="overall-title">{format!("{} · {}", period_label(&report.period), crate::components::count_of(overall.confrontations, "confronta", "confrontas"))}</h2>
            <MetricCards authority=authority metrics=Signal::derive(move || overall.metrics) />
            <KpiCards authority=authority kpis=Signal::derive(move || overall.kpis) />
            {(authority == Authority::Sat).then(|| {
                let outcomes = overall.outcomes.clone();
                let sat = overall.sat;
                view! {
                    <SatCards sat=Signal::derive(move || sat) />
                    <h3>"Sentido de las opiniones"</h3>
                    <OutcomeCards outcomes=Signal::derive(move || outcomes.clone()) />
                }
            })}
        </section>
        {coverage}
        <section class="card" aria-labelledby="units-title">
            <h2 id="units-title">"Por unidad solicitante"</h2>
            <p class="legend" aria-hidden="true">
                <span class="swatch chart-update"></span>"A actualizar "
                <span class="swatch chart-no-update"></span>"Sin actualización "
                <span class="swatch chart-cannot"></span>"No se pueden actualizar"
            </p>
            <div class="table-scroll" tabindex="0">
                <table>
                    <caption class="visually-hidden">"Indicadores por unidad"</caption>
                    <thead><tr>
                        <th scope="col">"Unidad"</th><th scope="col">"Confrontas"</th><th scope="col">"Registros"</th>
                        <th scope="col">"Clasificación"</th><th scope="col">"Inconsistencias"</th>
                        {match authority {
                            Authority::Renapo => view! { <th scope="col">"Bajas"</th><th scope="col">"Mortalidad"</th> }.into_any(),
                            Authority::Sat => view! { <th scope="col">"Elegibles"</th><th scope="col">"Vencidas al llegar"</th> }.into_any(),
                        }}
                        <th scope="col">"Actualizada"</th>
                    </tr></thead>
                    <tbody>
                        {report.units.into_iter().map(|line| view! { <UnitRow line=line authority=authority /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn UnitRow(line: KpiLine, authority: Authority) -> impl IntoView {
    let (third, fourth) = match authority {
        Authority::Renapo => (line.kpis.deregistrations, line.kpis.mortality_index),
        Authority::Sat => (
            line.sat.and_then(|s| s.eligible_share()),
            line.sat.and_then(|s| s.expired_share()),
        ),
    };
    view! {
        <tr>
            <th scope="row">{line.unit_name.clone().unwrap_or_default()}</th>
            <td>{line.confrontations}</td>
            <td>{line.metrics.to_process}</td>
            <td class="chart-cell">{classification_bar(&line.metrics)}</td>
            <td>{percent(line.kpis.inconsistencies)}</td>
            <td>{percent(third)}</td>
            <td>{percent(fourth)}</td>
            <td>{percent(line.kpis.population_updated)}</td>
        </tr>
    }
}
