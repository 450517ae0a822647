//! Confrontations: a request's confrontations (and starting one, for the SAT choosing how the
//! opinions are obtained), a confrontation's page with live progress, the SAT's exchange-file
//! steps, results and apply/revert, and the KPI dashboard by period. The metric and KPI cards
//! are shared.

pub mod kpis;
pub mod page;

use confrontas_api::StartQuery;
use confrontas_api::paths;
use confrontas_api::{
    Authority, AuthorityMode, Confrontation, ConfrontationMetrics, ConfrontationState, Kpis,
    OutcomeCount, Readiness, RequestDetail, RequestState, Role, SatIndicators, SatProvider,
    outcome_shares,
};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, format_time, thousands};
use crate::session::use_session;

pub fn state_badge(state: ConfrontationState) -> impl IntoView {
    let class = match state {
        ConfrontationState::Running => "badge badge-info",
        ConfrontationState::WaitingAuthority | ConfrontationState::Paused => "badge badge-warn",
        ConfrontationState::Cancelled => "badge badge-off",
        ConfrontationState::Finished => "badge badge-ok",
    };
    view! { <span class=class data-state=state.as_str()>{state.label()}</span> }
}

/// A ratio as a percentage with two decimals; a dash when there is nothing to divide.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.2} %", v * 100.0))
}

/// A confrontation's counts (deaths only for RENAPO).
#[component]
pub fn MetricCards(
    #[prop(into)] metrics: Signal<ConfrontationMetrics>,
    authority: Authority,
) -> impl IntoView {
    let card = move |label: &'static str,
                     value: fn(&ConfrontationMetrics) -> u64,
                     testid: &'static str| {
        view! {
            <div data-testid=testid><dt>{label}</dt><dd>{move || thousands(value(&metrics.get()))}</dd></div>
        }
    };
    let renapo = authority == Authority::Renapo;
    view! {
        <dl class="totals" aria-label="Métricas">
            {card("Registros a procesar", |m| m.to_process, "metric-to-process")}
            {card("Procesados", |m| m.processed, "metric-processed")}
            {card("A actualizar", |m| m.to_update, "metric-to-update")}
            {renapo.then(|| card("Defunciones", |m| m.deceased, "metric-deceased"))}
            {card("Sin actualización", |m| m.no_update, "metric-no-update")}
            {card("No se pueden actualizar", |m| m.cannot_update, "metric-cannot-update")}
            {if renapo {
                card("Encontrados en RENAPO", |m| m.found, "metric-found")
            } else {
                card("Inscritos en el RFC", |m| m.found, "metric-found")
            }}
            {card("Actualizaciones aplicadas", |m| m.applied, "metric-applied")}
            <div data-testid="metric-queries" title="Cada consulta enviada a la autoridad cuenta contra la cuota: reintentos y respuestas que se perdieron al caer una instancia incluidos.">
                <dt>"Consultas a la autoridad"</dt>
                <dd>{move || thousands(metrics.get().queries)}</dd>
            </div>
        </dl>
    }
}

/// A confrontation's KPIs, each with a bar for its share (the mortality ones only for RENAPO).
#[component]
pub fn KpiCards(#[prop(into)] kpis: Signal<Kpis>, authority: Authority) -> impl IntoView {
    let card = move |label: &'static str, value: fn(&Kpis) -> Option<f64>| {
        view! {
            <div>
                <dt>{label}</dt>
                <dd>{move || percent(value(&kpis.get()))}</dd>
                <meter min="0" max="1" value=move || value(&kpis.get()).unwrap_or(0.0) aria-hidden="true"></meter>
            </div>
        }
    };
    let renapo = authority == Authority::Renapo;
    view! {
        <dl class="totals kpis" aria-label="Indicadores">
            {card("Inconsistencias", |k| k.inconsistencies)}
            {renapo.then(|| view! {
                {card("Bajas por defunción", |k| k.deregistrations)}
                {card("Índice de mortalidad", |k| k.mortality_index)}
                {card("Supervivencia", |k| k.survival)}
            })}
            {card("Población actualizada", |k| k.population_updated)}
        </dl>
    }
}

/// SAT: eligible and expired shares of the answered rows, rows refused for their RFC, and
/// opinions that differ from the registry's.
#[component]
pub fn SatCards(#[prop(into)] sat: Signal<Option<SatIndicators>>) -> impl IntoView {
    let card = move |label: &'static str,
                     test_id: &'static str,
                     value: fn(&SatIndicators) -> (u64, Option<f64>)| {
        view! {
            <div data-testid=test_id>
                <dt>{label}</dt>
                <dd>{move || sat.get().map_or_else(|| "—".to_owned(), |s| {
                    let (count, share) = value(&s);
                    format!("{} · {}", thousands(count), percent(share))
                })}</dd>
                <meter min="0" max="1" value=move || sat.get().and_then(|s| value(&s).1).unwrap_or(0.0) aria-hidden="true"></meter>
            </div>
        }
    };
    view! {
        <dl class="totals kpis" aria-label="Indicadores del SAT">
            {card("Elegibles para subsidios", "sat-eligible", |s| (s.eligible, s.eligible_share()))}
            {card("Opiniones vencidas al llegar", "sat-expired", |s| (s.expired, s.expired_share()))}
            {card("Filas con problemas de RFC", "sat-rfc-problems", |s| (s.rfc_problems, s.rfc_problem_share()))}
            {card("Opiniones distintas de la del padrón", "sat-changed", |s| {
                (s.changed, (s.to_process > 0).then(|| s.changed as f64 / s.to_process as f64))
            })}
        </dl>
    }
}

/// SAT: how many items got each opinion sense, and their share.
#[component]
pub fn OutcomeCards(#[prop(into)] outcomes: Signal<Vec<OutcomeCount>>) -> impl IntoView {
    view! {
        <dl class="totals kpis" aria-label="Sentido de las opiniones" data-testid="outcomes">
            {move || {
                let counts = outcomes.get();
                outcome_shares(&counts).into_iter().map(|(outcome, share)| {
                    let count = counts.iter().find(|c| c.outcome == outcome).map_or(0, |c| c.count);
                    view! {
                        <div data-outcome=outcome.as_str()>
                            <dt>{outcome.label()}</dt>
                            <dd>{format!("{} · {}", thousands(count), percent(Some(share)))}</dd>
                            <meter min="0" max="1" value=share aria-hidden="true"></meter>
                        </div>
                    }
                }).collect_view()
            }}
        </dl>
    }
}

/// A request's confrontations, and for the sub-directorate the button that starts one.
#[component]
pub fn RequestConfrontations(
    request: RequestDetail,
    list: LocalResource<Result<Vec<Confrontation>, ApiError>>,
) -> impl IntoView {
    let session = use_session();
    let id = request.summary.id;
    let kind = request.summary.request_type;
    let Some(authority) = Authority::of_request(kind) else {
        return ().into_any();
    };
    let may_start = session.role() == Some(Role::Subdireccion)
        && request.summary.state == RequestState::InProgress;
    // Whether the SAT's online provider is configured (else only the exchange file).
    let readiness =
        LocalResource::new(|| async { api::get::<Readiness>(&paths::ops::ready()).await });
    let online_available = move || {
        readiness
            .get()
            .and_then(Result::ok)
            .is_some_and(|r| r.sat != AuthorityMode::NotConfigured)
    };
    let provider = RwSignal::new(SatProvider::ExchangeFile.as_str().to_owned());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let start = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let query = StartQuery {
                provider: match authority {
                    Authority::Renapo => None,
                    Authority::Sat => SatProvider::parse(&provider.get_untracked()),
                },
            };
            let path = paths::requests::start_confrontation(id, &query);
            let outcome =
                api::send_json::<_, Confrontation>(Method::POST, &path, &serde_json::json!({}))
                    .await;
            busy.set(false);
            match outcome {
                Ok(job) => navigate(&format!("/confrontas/{}", job.id), Default::default()),
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="confrontations-title">
            <div class="section-head">
                <h2 id="confrontations-title">"Confrontas"</h2>
                {may_start.then(|| view! {
                    <button type="button" on:click=start disabled=move || busy.get()>
                        {move || match (busy.get(), authority) {
                            (true, _) => "Iniciando…",
                            (false, Authority::Renapo) => "Iniciar confronta con RENAPO",
                            (false, Authority::Sat) => "Iniciar confronta con el SAT",
                        }}
                    </button>
                })}
            </div>
            {(may_start && authority == Authority::Sat).then(|| view! {
                <fieldset class="provider">
                    <legend>"¿Cómo se obtienen las opiniones del SAT?"</legend>
                    <label class="checkbox">
                        <input type="radio" name="sat-provider" value=SatProvider::ExchangeFile.as_str()
                            bind:group=provider />
                        {SatProvider::ExchangeFile.label()}
                        <span class="hint">" — se descarga la lista de RFC para el SAT y después se importa su respuesta."</span>
                    </label>
                    <label class="checkbox">
                        <input type="radio" name="sat-provider" value=SatProvider::Online.as_str()
                            bind:group=provider disabled=move || !online_available() />
                        {SatProvider::Online.label()}
                        <span class="hint">{move || if online_available() {
                            " — cada RFC se consulta al servicio del convenio."
                        } else {
                            " — no está configurado en este servidor."
                        }}</span>
                    </label>
                </fieldset>
            })}
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <Loaded loading="Cargando confrontas…">
                {move || list.get().map(|result| result.map(|value| match value {
                    jobs if jobs.is_empty() => view! {
                        <p class="empty">{match authority {
                            Authority::Renapo => "Aún no se ha ejecutado una confronta de esta solicitud con RENAPO.",
                            Authority::Sat => "Aún no se ha ejecutado una confronta de esta solicitud con el SAT.",
                        }}</p>
                    }.into_any(),
                    jobs => view! {
                        <div class="table-scroll" tabindex="0">
                            <table>
                                <caption class="visually-hidden">"Confrontas de la solicitud"</caption>
                                <thead><tr>
                                    <th scope="col">"Confronta"</th><th scope="col">"Estado"</th>
                                    <th scope="col">"Avance"</th><th scope="col">"Iniciada"</th><th scope="col">"Terminada"</th>
                                </tr></thead>
                                <tbody>
                                    {jobs.into_iter().map(|job| view! {
                                        <tr>
                                            <td><A href=format!("/confrontas/{}", job.id)>{format!("Confronta {}", job.id)}</A></td>
                                            <td>{state_badge(job.state)}</td>
                                            <td>{format!("{} de {}", job.metrics.processed, job.metrics.to_process)}</td>
                                            <td>{format_time(Some(job.created_at))}</td>
                                            <td>{job.finished_at.map_or_else(|| "—".to_owned(), |t| format_time(Some(t)))}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }))}
            </Loaded>
        </section>
    }
    .into_any()
}
