//! A confrontation's page: live progress (server-sent events), metrics and KPIs, pause,
//! resume and cancel, apply and revert with confirmation, the reports, and the results with
//! filters and each farmer's differences before → after.

use confrontas_api::{
    ApplyOutcome, Classification, Confrontation, ConfrontationItem, ConfrontationState, ItemReason,
    Page, Role, field_label,
};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;

use super::{KpiCards, MetricCards, state_badge};
use crate::api::{self, ApiError};
use crate::components::{Alert, Pager, filter_query, format_time, use_id_param};
use crate::session::use_session;

/// Seconds between reads when the event stream cannot be used.
const POLL_MS: u32 = 2_000;

/// Keeps `job` current: one read, then the event stream while the job moves; polling if the
/// stream fails. Stops when the page is gone.
async fn follow(id: i64, job: RwSignal<Option<Result<Confrontation, ApiError>>>) {
    let path = format!("/api/v1/confrontations/{id}");
    loop {
        let current = api::get::<Confrontation>(&path).await;
        let active = matches!(&current, Ok(j) if j.state.is_active() && j.state != ConfrontationState::Paused);
        if job.try_set(Some(current)).is_some() {
            return;
        }
        if !active {
            // A paused job is looked at now and then, in case someone resumes it elsewhere.
            gloo_timers::future::TimeoutFuture::new(POLL_MS * 2).await;
            if job.try_get_untracked().is_none() {
                return;
            }
            let still_paused =
                matches!(job.get_untracked(), Some(Ok(j)) if j.state == ConfrontationState::Paused);
            if !still_paused {
                return;
            }
            continue;
        }
        let streamed =
            api::follow_events(
                &format!("{path}/events"),
                |data| match serde_json::from_str::<Confrontation>(data) {
                    Ok(update) => job.try_set(Some(Ok(update))).is_none(),
                    Err(_) => true,
                },
            )
            .await;
        if streamed.is_err() {
            gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
        }
        if job.try_get_untracked().is_none() {
            return;
        }
    }
}

#[component]
pub fn ConfrontationPage() -> impl IntoView {
    let id = use_id_param();
    let job = RwSignal::new(None::<Result<Confrontation, ApiError>>);
    // Bumped after apply and revert (the items change) and when the job ends.
    let revision = RwSignal::new(0u32);
    Effect::new(move || {
        let id = id();
        leptos::task::spawn_local(follow(id, job));
    });
    let finished = Memo::new(
        move |_| matches!(job.get(), Some(Ok(j)) if j.state == ConfrontationState::Finished),
    );
    Effect::new(move || {
        if finished.get() {
            revision.update(|r| *r += 1);
        }
    });
    view! {
        {move || match job.get() {
            None => view! { <p role="status">"Cargando confronta…"</p> }.into_any(),
            Some(Err(error)) => view! {
                <h1>"Confronta"</h1>
                <p class="alert-error" role="alert">{error.message()}</p>
            }.into_any(),
            Some(Ok(current)) => view! {
                <p><A href=format!("/solicitudes/{}", current.request_id)>{format!("← Volver a la solicitud {}", current.ticket_number)}</A></p>
                <h1>{format!("Confronta {} · {}", current.id, current.ticket_number)}</h1>
                <p class="lead">"Contra RENAPO · " {state_badge(current.state)} " · iniciada por " {current.created_by.name.clone()} " el " {format_time(Some(current.created_at))}</p>
            }.into_any(),
        }}
        <Show when=move || matches!(job.get(), Some(Ok(_)))>
            <Progress job=job />
            <Controls job=job revision=revision />
            <section class="card" aria-labelledby="metrics-title">
                <h2 id="metrics-title">"Métricas"</h2>
                <MetricCards metrics=Signal::derive(move || current(job).map(|j| j.metrics).unwrap_or_default()) />
                <h3>"Indicadores"</h3>
                <KpiCards kpis=Signal::derive(move || current(job).map(|j| j.kpis).unwrap_or_default()) />
            </section>
            <Results id=Signal::derive(id) revision=revision />
        </Show>
    }
}

fn current(job: RwSignal<Option<Result<Confrontation, ApiError>>>) -> Option<Confrontation> {
    job.get().and_then(Result::ok)
}

#[component]
fn Progress(job: RwSignal<Option<Result<Confrontation, ApiError>>>) -> impl IntoView {
    let metrics = move || current(job).map(|j| j.metrics).unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="progress-title">
            <h2 id="progress-title">"Avance"</h2>
            {move || current(job).and_then(|j| j.waiting_reason).map(|reason| view! {
                <p class="alert-warn" role="status">{reason}</p>
            })}
            <progress id="progress-bar" max=move || metrics().to_process.max(1) value=move || metrics().processed
                aria-labelledby="progress-title"></progress>
            <p aria-live="polite" data-testid="progress-text">{move || {
                let m = metrics();
                let share = if m.to_process == 0 { 100.0 } else { m.processed as f64 * 100.0 / m.to_process as f64 };
                format!("{} de {} registros procesados ({share:.1} %)", m.processed, m.to_process)
            }}</p>
        </section>
    }
}

#[component]
fn Controls(
    job: RwSignal<Option<Result<Confrontation, ApiError>>>,
    revision: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    // The action waiting for confirmation.
    let confirming = RwSignal::new(None::<&'static str>);
    let deaths = RwSignal::new(true);
    let corrections = RwSignal::new(true);
    let is_sub = move || session.role() == Some(Role::Subdireccion);
    let post = move |verb: &'static str, body: serde_json::Value| {
        let Some(j) = current(job) else { return };
        busy.set(true);
        confirming.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/confrontations/{}/{verb}", j.id);
            let outcome = match verb {
                "apply" | "revert" => api::send_json::<_, ApplyOutcome>(Method::POST, &path, &body)
                    .await
                    .map(|o| {
                        let what = if verb == "apply" {
                            "Aplicado al padrón"
                        } else {
                            "Revertido"
                        };
                        format!(
                            "{what}: {} productores, {} campos, {} conflictos.",
                            o.farmers, o.fields, o.conflicts
                        )
                    }),
                _ => api::send_json::<_, Confrontation>(Method::POST, &path, &body)
                    .await
                    .map(|j| format!("La confronta quedó «{}».", j.state.label())),
            };
            busy.set(false);
            match outcome {
                Ok(message) => {
                    // The counts first, so the message never sits beside stale ones.
                    if let Ok(fresh) =
                        api::get::<Confrontation>(&format!("/api/v1/confrontations/{}", j.id)).await
                    {
                        job.set(Some(Ok(fresh)));
                    }
                    failure.set(None);
                    notice.set(Some(message));
                    revision.update(|r| *r += 1);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let version = move || current(job).map(|j| j.version).unwrap_or_default();
    let control = move |verb: &'static str| post(verb, serde_json::json!({ "version": version() }));
    let apply = move || {
        let mut reasons = Vec::new();
        if deaths.get_untracked() {
            reasons.push(ItemReason::Deceased);
        }
        if corrections.get_untracked() {
            reasons.push(ItemReason::DataChanged);
        }
        post(
            "apply",
            serde_json::json!({ "version": version(), "reasons": reasons }),
        );
    };
    let state = move || current(job).map(|j| j.state);
    let applied = move || current(job).is_some_and(|j| j.metrics.applied > 0);
    let id = move || current(job).map(|j| j.id).unwrap_or_default();
    let download = move |extension: &'static str| {
        let id = id();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/confrontations/{id}/report.{extension}");
            if let Err(error) = api::download(&path, &format!("confronta_{id}.{extension}")).await {
                failure.set(Some(error));
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="controls-title">
            <h2 id="controls-title">"Acciones"</h2>
            <Alert failure=failure notice=notice />
            <div class="actions-row">
                {move || (is_sub() && matches!(state(), Some(ConfrontationState::Running | ConfrontationState::WaitingAuthority))).then(|| view! {
                    <button type="button" class="ghost" disabled=move || busy.get() on:click=move |_| control("pause")>"Pausar"</button>
                })}
                {move || (is_sub() && state() == Some(ConfrontationState::Paused)).then(|| view! {
                    <button type="button" disabled=move || busy.get() on:click=move |_| control("resume")>"Reanudar"</button>
                })}
                {move || (is_sub() && state().is_some_and(|s| s.is_active())).then(|| view! {
                    <button type="button" class="danger" disabled=move || busy.get() on:click=move |_| confirming.set(Some("cancel"))>"Cancelar confronta"</button>
                })}
                <button type="button" on:click=move |_| download("xlsx")>"Descargar reporte (.xlsx)"</button>
                <button type="button" class="ghost" on:click=move |_| download("csv")>"Descargar resultados (.csv)"</button>
            </div>
            {move || (is_sub() && state() == Some(ConfrontationState::Finished)).then(|| view! {
                <fieldset class="apply">
                    <legend>"Aplicar resultados al padrón"</legend>
                    <label class="checkbox"><input type="checkbox" bind:checked=deaths />"Bajas por defunción"</label>
                    <label class="checkbox"><input type="checkbox" bind:checked=corrections />"Correcciones de datos personales"</label>
                    <div class="actions-row">
                        <button type="button" disabled=move || busy.get() || !(deaths.get() || corrections.get())
                            on:click=move |_| confirming.set(Some("apply"))>"Aplicar al padrón…"</button>
                        {move || applied().then(|| view! {
                            <button type="button" class="ghost" disabled=move || busy.get() on:click=move |_| confirming.set(Some("revert"))>"Revertir cambios aplicados…"</button>
                        })}
                    </div>
                </fieldset>
            })}
            {move || confirming.get().map(|verb| {
                let question = match verb {
                    "apply" => "Se escribirán en el padrón las actualizaciones seleccionadas, con su historial. ¿Continuar?",
                    "revert" => "Se devolverán los campos que esta confronta cambió a sus valores anteriores, con su historial. ¿Continuar?",
                    _ => "La confronta se detendrá definitivamente; los registros ya procesados conservan su resultado. ¿Continuar?",
                };
                view! {
                    <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
                        <p id="confirm-text">{question}</p>
                        <div class="actions-row">
                            <button type="button" on:click=move |_| match verb {
                                "apply" => apply(),
                                verb => control(verb),
                            }>"Sí, continuar"</button>
                            <button type="button" class="ghost" on:click=move |_| confirming.set(None)>"No"</button>
                        </div>
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn Results(#[prop(into)] id: Signal<i64>, revision: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let classification = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let items = LocalResource::new(move || {
        revision.track();
        let url = format!(
            "/api/v1/confrontations/{}/items?per_page=50&page={}{}",
            id.get(),
            page.get(),
            filter_query(&[
                ("classification", &classification.get()),
                ("reason", &reason.get())
            ])
        );
        async move { api::get::<Page<ConfrontationItem>>(&url).await }
    });
    let registry_reader = move || matches!(session.role(), Some(Role::Subdireccion | Role::Admin));
    view! {
        <section class="card" aria-labelledby="results-title">
            <h2 id="results-title">"Resultados"</h2>
            <div class="filters">
                <div class="field">
                    <label for="f-class">"Clasificación"</label>
                    <select id="f-class" bind:value=classification on:change=move |_| page.set(1)>
                        <option value="">"Todas"</option>
                        {Classification::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-reason">"Motivo"</label>
                    <select id="f-reason" bind:value=reason on:change=move |_| page.set(1)>
                        <option value="">"Todos"</option>
                        {ItemReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Suspense fallback=|| view! { <p role="status">"Cargando resultados…"</p> }>
                {move || items.get().map(|result| match result {
                    Err(error) => view! { <p class="alert-error" role="alert">{error.message()}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <p class="empty">"No hay registros con esos filtros."</p>
                    }.into_any(),
                    Ok(list) => {
                        let (count, total) = (list.page_count(), list.total);
                        view! {
                            <div class="table-scroll">
                                <table data-testid="results">
                                    <caption class="visually-hidden">"Resultados por fila del layout"</caption>
                                    <thead><tr>
                                        <th scope="col">"Fila"</th><th scope="col">"CURP"</th><th scope="col">"Clasificación"</th>
                                        <th scope="col">"Motivo"</th><th scope="col">"Estatus RENAPO"</th><th scope="col">"Diferencias"</th>
                                        <th scope="col">"Aplicado"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|item| view! { <ItemRow item=item link=registry_reader() /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager page=page page_count=count total=total noun=("registro", "registros") />
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ItemRow(item: ConfrontationItem, link: bool) -> impl IntoView {
    let curp = if link && item.curp.len() == 18 {
        view! { <A href=format!("/padron/{}", item.curp)><code>{item.curp.clone()}</code></A> }
            .into_any()
    } else {
        view! { <code>{item.curp.clone()}</code> }.into_any()
    };
    let changes = (!item.changes.is_empty()).then(|| {
        let count = item.changes.len();
        view! {
            <details>
                <summary>{if count == 1 { "1 campo".to_owned() } else { format!("{count} campos") }}</summary>
                <table class="diff">
                    <caption class="visually-hidden">"Antes y después"</caption>
                    <thead><tr><th scope="col">"Campo"</th><th scope="col">"Padrón"</th><th scope="col">"RENAPO"</th></tr></thead>
                    <tbody>
                        {item.changes.iter().map(|c| view! {
                            <tr>
                                <th scope="row">{field_label(&c.field).to_owned()}</th>
                                <td class="before">{c.before.clone().unwrap_or_else(|| "(vacío)".into())}</td>
                                <td class="after">{c.after.clone().unwrap_or_else(|| "(vacío)".into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        }
    });
    view! {
        <tr>
            <td>{item.row}</td>
            <td>{curp}</td>
            <td>{item.classification.map_or("Pendiente", Classification::label)}</td>
            <td>{item.reason.map_or("", ItemReason::label)}</td>
            <td>{item.authority_status.clone().unwrap_or_default()}</td>
            <td>{changes}</td>
            <td>{if item.applied { "Sí".to_owned() } else { item.apply_conflict.clone().map(|c| format!("No: {c}")).unwrap_or_default() }}</td>
        </tr>
    }
}
