//! A confrontation's page: live progress (server-sent events), metrics and KPIs (for the SAT
//! the share of each opinion sense), the SAT's exchange-file steps, pause, resume and cancel,
//! apply and revert with confirmation, the reports, and the results with filters and each
//! farmer's differences before → after.

use confrontas_api::paths::sat::ExchangeFile;
use confrontas_api::{
    AnswerImport, ApplyOutcome, Authority, Classification, Confrontation, ConfrontationControl,
    ConfrontationItem, ConfrontationState, ItemFilter, ItemReason, Page, Role, SatOutcome,
    SatProvider, field_label, paths, value_label,
};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;

use super::{KpiCards, MetricCards, OutcomeCards, SatCards, state_badge};
use crate::api::{self, ApiError};
use crate::components::{
    Alert, FilePicker, Loaded, Pager, Position, chosen_file, count_of, format_time, thousands,
    use_id_param,
};
use crate::session::use_session;
use crate::url_state::use_url_state;

/// Where a control (`pause`, `resume`, `cancel`), `apply` or `revert` of job `id` is posted.
fn action_path(id: i64, verb: &str) -> String {
    match verb {
        "apply" => paths::confrontations::apply(id),
        "revert" => paths::confrontations::revert(id),
        "pause" => paths::confrontations::control(id, ConfrontationControl::Pause),
        "resume" => paths::confrontations::control(id, ConfrontationControl::Resume),
        _ => paths::confrontations::control(id, ConfrontationControl::Cancel),
    }
}

/// Seconds between reads when the event stream cannot be used.
const POLL_MS: u32 = 2_000;

/// Keeps `job` current: one read, then the event stream while the job moves; polling if the
/// stream fails. Stops when the page is gone.
async fn follow(id: i64, job: RwSignal<Option<Result<Confrontation, ApiError>>>) {
    let path = paths::confrontations::one(id);
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
    // The page's sections depend on the authority and provider, not on every progress update.
    let kind = Memo::new(move |_| current(job).map(|j| (j.authority, j.provider)));
    Effect::new(move || {
        if finished.get() {
            revision.update(|r| *r += 1);
        }
    });
    view! {
        // The job comes from its progress stream, not a resource: the first line waits for it.
        <Show when=move || job.with(Option::is_none)>
            <p role="status">"Cargando confronta…"</p>
        </Show>
        <Loaded loading="Cargando confronta…" heading="Confronta">
            {move || job.get().map(|result| result.map(|current| view! {
                <p><A href=format!("/solicitudes/{}", current.request_id)>{format!("← Volver a la solicitud {}", current.ticket_number)}</A></p>
                <h1>{format!("Confronta {} · {}", current.id, current.ticket_number)}</h1>
                <p class="lead">
                    {format!("Contra {}", current.authority.label())}
                    {current.provider.map(|p| format!(" ({})", p.label().to_lowercase()))}
                    " · " {state_badge(current.state)} " · iniciada por " {current.created_by.name.clone()} " el " {format_time(Some(current.created_at))}
                </p>
            }))}
        </Loaded>
        {move || kind.get().map(|(authority, provider)| view! {
            <Progress job=job />
            {(provider == Some(SatProvider::ExchangeFile)).then(|| view! { <ExchangeSteps job=job revision=revision /> })}
            <Controls job=job revision=revision />
            <section class="card" aria-labelledby="metrics-title">
                <h2 id="metrics-title">"Métricas"</h2>
                <MetricCards authority=authority metrics=Signal::derive(move || current(job).map(|j| j.metrics).unwrap_or_default()) />
                <h3>"Indicadores"</h3>
                <KpiCards authority=authority kpis=Signal::derive(move || current(job).map(|j| j.kpis).unwrap_or_default()) />
                {(authority == Authority::Sat).then(|| view! {
                    <SatCards sat=Signal::derive(move || current(job).and_then(|j| j.sat)) />
                    <h3>"Sentido de las opiniones"</h3>
                    <OutcomeCards outcomes=Signal::derive(move || current(job).map(|j| j.outcomes).unwrap_or_default()) />
                })}
            </section>
            <Results id=Signal::derive(id) authority=authority revision=revision />
        })}
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
                format!("{} de {} registros procesados ({share:.1} %)", thousands(m.processed), thousands(m.to_process))
            }}</p>
        </section>
    }
}

/// SAT by exchange file: the list of RFCs for the SAT, and the import of its answer (a file
/// with wrong rows is refused whole, with each row's problem).
#[component]
fn ExchangeSteps(
    job: RwSignal<Option<Result<Confrontation, ApiError>>>,
    revision: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let picker = NodeRef::<leptos::html::Input>::new();
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let refused = RwSignal::new(None::<AnswerImport>);
    let busy = RwSignal::new(false);
    let waiting =
        move || current(job).is_some_and(|j| j.state == ConfrontationState::WaitingAuthority);
    let id = move || current(job).map(|j| j.id).unwrap_or_default();
    let download = move |file: ExchangeFile| {
        let id = id();
        leptos::task::spawn_local(async move {
            let path = paths::sat::exchange(id, file);
            let name = format!("sat_32d_{id}.{}", file.as_str());
            let outcome = api::download(&path, &name).await;
            failure.set(outcome.err());
        });
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let file = match chosen_file(
            picker,
            "Elija el archivo de respuesta del SAT (.xlsx o .csv).",
        ) {
            Ok(file) => file,
            Err(missing) => {
                failure.set(Some(missing));
                return;
            }
        };
        let id = id();
        busy.set(true);
        refused.set(None);
        leptos::task::spawn_local(async move {
            let path = paths::sat::answers(id);
            let outcome = api::upload::<AnswerImport>(&path, &file).await;
            busy.set(false);
            match outcome {
                Ok(report) if report.accepted => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "Se importó «{}»: {} de {} RFC con respuesta{}.",
                        report.file_name,
                        report.answered,
                        report.answered + report.not_answered,
                        if report.not_answered > 0 {
                            "; los demás quedan «sin respuesta»"
                        } else {
                            ""
                        },
                    )));
                    if let Ok(fresh) =
                        api::get::<Confrontation>(&paths::confrontations::one(id)).await
                    {
                        job.set(Some(Ok(fresh)));
                    }
                    revision.update(|r| *r += 1);
                }
                Ok(report) => {
                    failure.set(None);
                    notice.set(None);
                    refused.set(Some(report));
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let is_sub = move || session.role() == Some(Role::Subdireccion);
    view! {
        <section class="card" aria-labelledby="exchange-title" data-testid="exchange">
            <h2 id="exchange-title">"Archivo de intercambio con el SAT"</h2>
            <Alert failure=failure notice=notice />
            {move || (!waiting()).then(|| view! {
                <p class="hint">"La respuesta del SAT ya se importó o la confronta ya no la espera."</p>
            })}
            {move || (waiting() && !is_sub()).then(|| view! {
                <p class="hint">"La subdirección envía la lista de RFC al SAT e importa su respuesta."</p>
            })}
            {move || (waiting() && is_sub()).then(|| view! {
                <h3>"1. Enviar al SAT la lista de RFC"</h3>
                <p class="hint">"Los RFC que esperan respuesta, en el orden del layout y sin repetir. El texto es de ancho fijo (ISO-8859-1): posiciones 1–7 el consecutivo y 8–20 el RFC."</p>
                <div class="actions-row">
                    <button type="button" on:click=move |_| download(ExchangeFile::Xlsx)>"Descargar lista de RFC (.xlsx)"</button>
                    <button type="button" class="ghost" on:click=move |_| download(ExchangeFile::Text)>"Descargar lista de RFC (.txt)"</button>
                </div>
                <h3>"2. Importar la respuesta del SAT"</h3>
                <p class="hint">"Columnas RFC, SENTIDO, FOLIO y FECHA_EMISION (dd-mm-aaaa). Si alguna fila tiene errores no se importa nada y se listan las filas por corregir."</p>
                <form on:submit=submit novalidate>
                    <FilePicker id="answers-file" label="Respuesta del SAT (.xlsx o .csv)" node=picker failure=failure />
                    <button type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Importando…" } else { "Importar respuesta" }}
                    </button>
                </form>
            })}
            {move || refused.get().map(|report| view! {
                <div class="alert-error" role="alert" data-testid="answer-errors">
                    <p>{format!(
                        "No se importó «{}»: {} de {} filas tienen errores. Corríjalas y vuelva a importarlo; no se guardó nada.",
                        report.file_name, report.error_count, report.rows
                    )}</p>
                    <div class="table-scroll" tabindex="0">
                        <table>
                            <caption class="visually-hidden">"Filas con errores"</caption>
                            <thead><tr><th scope="col">"Fila"</th><th scope="col">"RFC"</th><th scope="col">"Problema"</th></tr></thead>
                            <tbody>
                                {report.errors.into_iter().map(|e| view! {
                                    <tr><td>{e.row}</td><td><code>{e.rfc.unwrap_or_default()}</code></td><td>{e.message}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </div>
            })}
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
    // The two update classes offered: deaths and corrections (RENAPO), new and changed
    // opinions (SAT).
    let first_class = RwSignal::new(true);
    let second_class = RwSignal::new(true);
    let authority = move || current(job).map_or(Authority::Renapo, |j| j.authority);
    let classes = move || match authority() {
        Authority::Renapo => (
            (ItemReason::Deceased, "Bajas por defunción"),
            (ItemReason::DataChanged, "Correcciones de datos personales"),
        ),
        Authority::Sat => (
            (ItemReason::NewOpinion, "Opiniones nuevas en el padrón"),
            (
                ItemReason::ChangedOpinion,
                "Opiniones distintas o vencidas en el padrón",
            ),
        ),
    };
    let pausable =
        move || current(job).is_some_and(|j| j.provider != Some(SatProvider::ExchangeFile));
    let is_sub = move || session.role() == Some(Role::Subdireccion);
    let post = move |verb: &'static str, body: serde_json::Value| {
        let Some(j) = current(job) else { return };
        busy.set(true);
        confirming.set(None);
        leptos::task::spawn_local(async move {
            let path = action_path(j.id, verb);
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
                            "{what}: {}, {}, {}.",
                            count_of(o.farmers, "productor", "productores"),
                            count_of(o.fields, "campo", "campos"),
                            count_of(o.conflicts, "conflicto", "conflictos")
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
                        api::get::<Confrontation>(&paths::confrontations::one(j.id)).await
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
        let ((first, _), (second, _)) = classes();
        let mut reasons = Vec::new();
        if first_class.get_untracked() {
            reasons.push(first);
        }
        if second_class.get_untracked() {
            reasons.push(second);
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
            let path = match extension {
                "xlsx" => paths::confrontations::report_xlsx(id),
                _ => paths::confrontations::report_csv(id),
            };
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
                {move || (is_sub() && pausable() && matches!(state(), Some(ConfrontationState::Running | ConfrontationState::WaitingAuthority))).then(|| view! {
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
                    <label class="checkbox"><input type="checkbox" bind:checked=first_class />{move || classes().0.1}</label>
                    <label class="checkbox"><input type="checkbox" bind:checked=second_class />{move || classes().1.1}</label>
                    <div class="actions-row">
                        <button type="button" disabled=move || busy.get() || !(first_class.get() || second_class.get())
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
fn Results(
    #[prop(into)] id: Signal<i64>,
    authority: Authority,
    revision: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    // The filters and the page are in the URL: back from a farmer keeps them.
    let shown = use_url_state::<ItemFilter>();
    let items = LocalResource::new(move || {
        revision.track();
        let filter = ItemFilter {
            per_page: Some(50),
            ..shown.get()
        };
        let url = paths::confrontations::items(id.get(), &filter);
        async move { api::get::<Page<ConfrontationItem>>(&url).await }
    });
    let classification = move || {
        shown
            .get()
            .classification
            .map(Classification::as_str)
            .unwrap_or_default()
    };
    let reason = move || {
        shown
            .get()
            .reason
            .map(ItemReason::as_str)
            .unwrap_or_default()
    };
    let choose_class = move |event: leptos::ev::Event| {
        let class = Classification::parse(&event_target_value(&event));
        shown.refilter(|filter| filter.classification = class);
    };
    let choose_reason = move |event: leptos::ev::Event| {
        let reason = ItemReason::parse(&event_target_value(&event));
        shown.refilter(|filter| filter.reason = reason);
    };
    let go_to = shown.page_opener();
    let registry_reader = move || matches!(session.role(), Some(Role::Subdireccion | Role::Admin));
    view! {
        <section class="card" aria-labelledby="results-title">
            <h2 id="results-title">"Resultados"</h2>
            <div class="filters">
                <div class="field">
                    <label for="f-class">"Clasificación"</label>
                    <select id="f-class" prop:value=classification on:change=choose_class>
                        <option value="">"Todas"</option>
                        {Classification::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-reason">"Motivo"</label>
                    <select id="f-reason" prop:value=reason on:change=choose_reason>
                        <option value="">"Todos"</option>
                        {ItemReason::ALL.iter().filter(|r| r.applies_to(authority)).map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Loaded loading="Cargando resultados…">
                {move || items.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! {
                        <p class="empty">"No hay registros con esos filtros."</p>
                    }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <div class="table-scroll" tabindex="0">
                                <table data-testid="results">
                                    <caption class="visually-hidden">"Resultados por fila del layout"</caption>
                                    <thead><tr>
                                        <th scope="col">"Fila"</th><th scope="col">"CURP"</th>
                                        {(authority == Authority::Sat).then(|| view! { <th scope="col">"RFC"</th> })}
                                        <th scope="col">"Clasificación"</th><th scope="col">"Motivo"</th>
                                        <th scope="col">{match authority {
                                            Authority::Renapo => "Estatus RENAPO",
                                            Authority::Sat => "Opinión del SAT",
                                        }}</th>
                                        <th scope="col">"Diferencias"</th><th scope="col">"Aplicado"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|item| view! { <ItemRow item=item authority=authority link=registry_reader() /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager at=at go_to=go_to noun=("registro", "registros") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}

/// A field's value in words, "(vacío)" for none.
fn shown(field: &str, value: &Option<String>) -> String {
    value
        .as_deref()
        .map_or_else(|| "(vacío)".to_owned(), |v| value_label(field, v))
}

/// SAT: the opinion answered (sense, folio, validity), as one cell.
fn opinion_cell(item: &ConfrontationItem) -> String {
    let sense = item
        .authority_status
        .as_deref()
        .and_then(SatOutcome::parse)
        .map_or("", SatOutcome::label);
    let mut text = sense.to_owned();
    if let Some(folio) = &item.opinion_folio {
        text.push_str(&format!(" · folio {folio}"));
    }
    if let Some(until) = item.opinion_valid_until {
        text.push_str(&format!(" · vigente hasta {}", until.format("%d/%m/%Y")));
    }
    if let Some(standing) = item.opinion_standing {
        text.push_str(&format!(" · {}", standing.label()));
    }
    if let Some(verdict) = &item.opinion_eligibility {
        text.push_str(&format!(" · {}", verdict.describe()));
    }
    text
}

#[component]
fn ItemRow(item: ConfrontationItem, authority: Authority, link: bool) -> impl IntoView {
    let rfc = (authority == Authority::Sat).then(|| {
        let warning = item.rfc_warnings.first().map(|w| w.message());
        view! {
            <td>
                <code>{item.rfc.clone().unwrap_or_default()}</code>
                {warning.map(|message| view! { <span class="badge badge-warn" title=message>"Advertencia"</span> })}
            </td>
        }
    });
    let answer = match authority {
        Authority::Renapo => item
            .authority_status
            .as_deref()
            .map(confrontas_api::renapo_status_label)
            .unwrap_or_default(),
        Authority::Sat => opinion_cell(&item),
    };
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
                    <thead><tr><th scope="col">"Campo"</th><th scope="col">"Padrón"</th><th scope="col">{authority.label()}</th></tr></thead>
                    <tbody>
                        {item.changes.iter().map(|c| view! {
                            <tr>
                                <th scope="row">{field_label(&c.field).to_owned()}</th>
                                <td class="before">{shown(&c.field, &c.before)}</td>
                                <td class="after">{shown(&c.field, &c.after)}</td>
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
            {rfc}
            <td>{item.classification.map_or("Pendiente", Classification::label)}</td>
            <td>{item.reason.map_or("", ItemReason::label)}</td>
            <td>{answer}</td>
            <td>{changes}</td>
            <td>{if item.applied { "Sí".to_owned() } else { item.apply_conflict.clone().map(|c| format!("No: {c}")).unwrap_or_default() }}</td>
        </tr>
    }
}
