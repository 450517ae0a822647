//! A request's page: its data, what the person's role may do now (observe with a list of
//! items, forward, accept, reject, resolve, close, cancel, resubmit corrected), the service-level
//! clocks, every document and version, and the timeline.

use confrontas_api::{
    Attachment, AttachmentKind, Authority, Confrontation, ConfrontationState, RequestAction,
    RequestDetail, RequestState, RequestType, Role, SlaClock, TimelineEntry, paths,
};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::json;

use super::{format_date, sla_badge, state_badge};
use crate::api::{self, ApiError};
use crate::components::{
    Alert, FilePicker, Loaded, TextArea, field_error, file_size, format_time, picked_file,
    use_id_param,
};
use crate::pages::certificates::RequestCertificates;
use crate::pages::confrontations::{KpiCards, MetricCards, RequestConfrontations};
use crate::session::use_session;

#[component]
pub fn RequestPage() -> impl IntoView {
    let id = use_id_param();
    // Bumped after every change, so everything on the page is read again.
    let revision = RwSignal::new(0u32);
    // The last action's outcome; a destructive one (rejection, cancellation) is no success to
    // celebrate and shows in the warning style.
    let notice = RwSignal::new(None::<(String, bool)>);
    let detail = LocalResource::new(move || {
        revision.track();
        let url = paths::requests::one(id());
        async move { api::get::<RequestDetail>(&url).await }
    });
    let timeline = LocalResource::new(move || {
        revision.track();
        let url = paths::requests::timeline(id());
        async move { api::get::<Vec<TimelineEntry>>(&url).await }
    });
    // Read once for the page: the result, the resolve form and the confrontations list use it.
    let confrontations = LocalResource::new(move || {
        revision.track();
        let url = paths::requests::confrontations(id());
        async move { api::get::<Vec<Confrontation>>(&url).await }
    });
    let documents = LocalResource::new(move || {
        revision.track();
        let url = paths::requests::attachments(id());
        async move { api::get::<Vec<Attachment>>(&url).await }
    });
    let on_done = Callback::new(move |outcome: (String, bool)| {
        notice.set(Some(outcome));
        revision.update(|r| *r += 1);
    });
    let session = use_session();
    view! {
        <p><A href="/solicitudes">"← Volver a solicitudes"</A></p>
        <Loaded loading="Cargando solicitud…" heading="Solicitud">
            {move || detail.get().map(|result| result.map(|request| {
                view! {
                    <Summary request=request.clone() />
                    {notice.get().map(|(message, destructive)| {
                        let class = if destructive { "alert-warn" } else { "alert-ok" };
                        view! { <p class=class role="status">{message}</p> }
                    })}
                    <Actions request=request.clone() confrontations=confrontations on_done=on_done />
                    {matches!(request.summary.state, RequestState::Resolved | RequestState::Closed)
                        .then(|| view! { <RequestResult request=request.clone() confrontations=confrontations /> })}
                    <SlaCard clocks=request.sla.clone() />
                    <RequestConfrontations request=request.clone() list=confrontations />
                    {(request.summary.request_type == RequestType::Certificate
                        && matches!(session.role(), Some(Role::Mesa | Role::Subdireccion | Role::Admin)))
                        .then(|| view! { <RequestCertificates request_id=request.summary.id /> })}
                    <AddDocument request=request on_done=on_done />
                }.into_any()
            }))}
        </Loaded>
        <section class="card" aria-labelledby="documents-title">
            <h2 id="documents-title">"Documentos"</h2>
            <Loaded loading="Cargando documentos…">
                {move || documents.get().map(|result| result.map(|list| {
                    view! { <DocumentTable documents=list /> }.into_any()
                }))}
            </Loaded>
        </section>
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Línea de tiempo"</h2>
            <Loaded loading="Cargando línea de tiempo…">
                {move || timeline.get().map(|result| result.map(|entries| {
                    view! {
                        <ol class="timeline">
                            {entries.into_iter().map(|entry| view! { <TimelineItem entry=entry /> }).collect_view()}
                        </ol>
                    }.into_any()
                }))}
            </Loaded>
        </section>
    }
}

#[component]
fn Summary(request: RequestDetail) -> impl IntoView {
    let s = &request.summary;
    let row = |label: &'static str, value: String| {
        view! { <div class="profile-row"><dt>{label}</dt><dd>{value}</dd></div> }
    };
    view! {
        <h1>{format!("Solicitud {}", s.ticket_number)}</h1>
        <p class="lead">{s.request_type.label()}" · "{state_badge(s.state)}" · "{sla_badge(s.sla_status)}</p>
        <ProcedureMap state=s.state />
        <section class="card" aria-labelledby="data-title">
            <h2 id="data-title">"Datos"</h2>
            <dl class="profile">
                {row("Folio", s.folio.clone().unwrap_or_else(|| "Se emite al turnar la solicitud".into()))}
                {row("Asunto", s.subject.clone())}
                {row("Unidad solicitante", s.unit.name.clone())}
                {row("Solicitó", request.requested_by.name.clone())}
                {row("Firma el oficio", format!("{} — {}", request.signer_name, request.signer_position))}
                {row("Recibida", format_time(Some(s.submitted_at)))}
                {row("Último cambio", format_time(Some(s.updated_at)))}
            </dl>
        </section>
        {(!request.open_observations.is_empty()).then(|| view! {
            <section class="card observations" aria-labelledby="observations-title">
                <h2 id="observations-title">"Observaciones por atender"</h2>
                <ol>{request.open_observations.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}</ol>
            </section>
        })}
    }
}

/// Posts an action with a JSON body and reports the outcome.
fn post_action(
    id: i64,
    action: RequestAction,
    body: serde_json::Value,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<ApiError>>,
    on_done: Callback<(String, bool)>,
) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        let path = paths::requests::action(id, action);
        let outcome = api::send_json::<_, RequestDetail>(Method::POST, &path, &body).await;
        busy.set(false);
        match outcome {
            Ok(_) => {
                failure.set(None);
                on_done.run((
                    format!("{}.", RequestAction::past_tense(action)),
                    is_destructive(action),
                ));
            }
            Err(error) => failure.set(Some(error)),
        }
    });
}

/// A request's confrontations, read once for its page.
type Confrontations = LocalResource<Result<Vec<Confrontation>, ApiError>>;

/// Rejecting and cancelling end a request's way: they ask for a reason and a confirmation.
fn is_destructive(action: RequestAction) -> bool {
    matches!(action, RequestAction::Reject | RequestAction::Cancel)
}

/// Where an action sits among the ones offered: the step forward first (the primary one), then
/// sending back for corrections, then the destructive ones.
fn rank(action: RequestAction) -> u8 {
    match action {
        RequestAction::Observe => 1,
        RequestAction::Reject | RequestAction::Cancel => 2,
        _ => 0,
    }
}

#[component]
fn Actions(
    request: RequestDetail,
    confrontations: Confrontations,
    on_done: Callback<(String, bool)>,
) -> impl IntoView {
    let id = request.summary.id;
    let version = request.version;
    let ticket = request.summary.ticket_number.clone();
    let needs_layout = request.summary.request_type.needs_layout();
    let authority = Authority::of_request(request.summary.request_type);
    let mut actions = request.available_actions.clone();
    if actions.is_empty() {
        return ().into_any();
    }
    actions.sort_by_key(|action| rank(*action));
    let primary = actions.first().copied().filter(|a| rank(*a) == 0);
    // The desk's two answers to a received request are one decision.
    let desk_choice =
        actions.contains(&RequestAction::Forward) && actions.contains(&RequestAction::Observe);
    view! {
        <section class="card" aria-labelledby="actions-title">
            <h2 id="actions-title">"Acciones"</h2>
            {desk_choice.then(|| view! { <DeskDecision id=id version=version ticket=ticket.clone() on_done=on_done /> })}
            {actions.into_iter().filter(|action| !(desk_choice && matches!(action, RequestAction::Forward | RequestAction::Observe))).map(|action| {
                let is_primary = Some(action) == primary;
                let ticket = ticket.clone();
                match action {
                    RequestAction::Observe => view! { <ObserveForm id=id version=version on_done=on_done /> }.into_any(),
                    RequestAction::Resubmit => view! { <ResubmitForm id=id version=version needs_layout=needs_layout on_done=on_done /> }.into_any(),
                    RequestAction::Resolve if authority.is_some() => view! {
                        <ResolveAfterConfrontation id=id version=version authority=authority confrontations=confrontations on_done=on_done />
                    }.into_any(),
                    _ => view! { <CommentForm id=id version=version action=action ticket=ticket primary=is_primary on_done=on_done /> }.into_any(),
                }
            }).collect_view()}
        </section>
    }
    .into_any()
}

/// A RENAPO or SAT request is resolved with what its confrontation came to: until one with its
/// authority has finished the form says why it waits; then it opens with the confrontation's
/// summary written, for the person to complete.
#[component]
fn ResolveAfterConfrontation(
    id: i64,
    version: i32,
    authority: Option<Authority>,
    confrontations: Confrontations,
    on_done: Callback<(String, bool)>,
) -> impl IntoView {
    move || {
        let finished = confrontations.get().and_then(Result::ok).and_then(|jobs| {
            jobs.into_iter()
                .filter(|job| {
                    Some(job.authority) == authority && job.state == ConfrontationState::Finished
                })
                .max_by_key(|job| job.id)
        });
        match finished {
            Some(job) => view! {
                <CommentForm id=id version=version action=RequestAction::Resolve ticket=job.ticket_number.clone()
                    primary=true draft=job.resolution_summary() on_done=on_done />
            }.into_any(),
            None => view! {
                <div class="action-form">
                    <button type="button" disabled=true aria-describedby="resolve-waits">{RequestAction::Resolve.label()}</button>
                    <p id="resolve-waits" class="hint">
                        {match authority {
                            Some(Authority::Sat) => "Se marca como atendida cuando termine una confronta con el SAT: iníciela en «Confrontas», abajo.",
                            _ => "Se marca como atendida cuando termine una confronta con RENAPO: iníciela en «Confrontas», abajo.",
                        }}
                    </p>
                </div>
            }.into_any(),
        }
    }
}

/// Forward, accept, close and cancel take an optional comment; reject and resolve require one
/// (the reason, which goes in the response letter; the resolution).
#[component]
fn CommentForm(
    id: i64,
    version: i32,
    action: RequestAction,
    ticket: String,
    #[prop(optional)] primary: bool,
    #[prop(optional)] draft: Option<String>,
    on_done: Callback<(String, bool)>,
) -> impl IntoView {
    let comment = RwSignal::new(draft.unwrap_or_default());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let (field_id, label, required) = match action {
        RequestAction::Reject => (
            "reject-comment",
            "Motivo por el que no procede (va en el oficio de respuesta)",
            true,
        ),
        RequestAction::Resolve => (
            "resolve-comment",
            "Resolución: qué se hizo y con qué resultado",
            true,
        ),
        RequestAction::Cancel => ("cancel-comment", "Motivo de la cancelación", true),
        RequestAction::Forward => ("forward-comment", "Comentario (opcional)", false),
        RequestAction::Accept => ("accept-comment", "Comentario (opcional)", false),
        _ => ("close-comment", "Comentario (opcional)", false),
    };
    let destructive = is_destructive(action);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = comment.get_untracked();
        let blank = text.trim().is_empty();
        if required && blank {
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new("comment", "Este campo es obligatorio."),
            ])));
            return;
        }
        if destructive {
            let question = match action {
                RequestAction::Reject => format!(
                    "¿Declarar no procedente la solicitud {ticket}? Se enviará el oficio de respuesta con el motivo y no podrá deshacerse."
                ),
                _ => format!("¿Cancelar la solicitud {ticket}? No podrá deshacerse."),
            };
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message(&question).ok())
                .unwrap_or(false);
            if !confirmed {
                return;
            }
        }
        let body = json!({ "version": version, "comment": (!blank).then_some(text) });
        post_action(id, action, body, busy, failure, on_done);
    };
    let class = if destructive {
        "danger"
    } else if primary {
        "primary"
    } else {
        "ghost"
    };
    view! {
        <form class="action-form" on:submit=submit novalidate>
            <TextArea id=field_id label=label value=comment error=field_error(failure, "comment") rows=if action == RequestAction::Resolve { 4 } else if required { 3 } else { 2 } />
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <button type="submit" class=class disabled=move || busy.get()>{action.label()}</button>
        </form>
    }
}

/// The service desk's decision on a received request, as one choice: forward it to the
/// sub-directorate (the folio is issued) or send it back to the area with what to correct.
#[component]
fn DeskDecision(
    id: i64,
    version: i32,
    ticket: String,
    on_done: Callback<(String, bool)>,
) -> impl IntoView {
    let choice = RwSignal::new(None::<RequestAction>);
    let option = move |action: RequestAction, label: &'static str, hint: &'static str| {
        let input_id = format!("decision-{}", action.as_str());
        let hint_id = format!("{input_id}-hint");
        view! {
            <div class="choice">
                <input type="radio" name="desk-decision" id=input_id.clone() aria-describedby=hint_id.clone()
                    prop:checked=move || choice.get() == Some(action)
                    on:change=move |_| choice.set(Some(action)) />
                <label for=input_id>{label}</label>
                <p id=hint_id class="hint">{hint}</p>
            </div>
        }
    };
    view! {
        <fieldset class="decision">
            <legend>{format!("¿Qué corresponde a la solicitud {ticket}?")}</legend>
            {option(RequestAction::Forward, "Turnarla a la Subdirección", "El oficio y el layout están completos: se emite el folio.")}
            {option(RequestAction::Observe, "Pedir correcciones al área", "Algo falta o está mal: el área recibe la lista de lo que debe corregir.")}
        </fieldset>
        {move || match choice.get() {
            Some(RequestAction::Forward) => view! {
                <CommentForm id=id version=version action=RequestAction::Forward ticket=ticket.clone() primary=true on_done=on_done />
            }.into_any(),
            Some(RequestAction::Observe) => view! { <ObserveForm id=id version=version on_done=on_done /> }.into_any(),
            _ => ().into_any(),
        }}
    }
}

/// Observe: a list of items the area must address, edited before sending.
#[component]
fn ObserveForm(id: i64, version: i32, on_done: Callback<(String, bool)>) -> impl IntoView {
    let items = RwSignal::new(Vec::<String>::new());
    let draft = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let add = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            items.update(|list| list.push(text.trim().to_owned()));
            draft.set(String::new());
        }
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        // An item still in the box counts too.
        add();
        let list = items.get_untracked();
        let text = comment.get_untracked();
        let body = json!({ "version": version, "items": list,
                           "comment": (!text.trim().is_empty()).then_some(text) });
        post_action(id, RequestAction::Observe, body, busy, failure, on_done);
    };
    view! {
        <form class="action-form" on:submit=submit novalidate>
            <h3>"Observaciones para el área"</h3>
            {move || {
                let list = items.get();
                if list.is_empty() {
                    view! { <p class="muted">"Agregue cada corrección que el área debe hacer."</p> }.into_any()
                } else {
                    view! {
                        <ol class="item-list" aria-label="Observaciones a enviar">
                            {list.into_iter().enumerate().map(|(index, item)| view! {
                                <li>
                                    <span>{item}</span>
                                    <button type="button" class="ghost small"
                                        aria-label=format!("Quitar la observación {}", index + 1)
                                        on:click=move |_| items.update(|l| { l.remove(index); })>"Quitar"</button>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
            <TextArea id="observation-item" label="Nueva observación" value=draft error=field_error(failure, "items") rows=2 />
            <button type="button" class="ghost" on:click=move |_| add()>"Agregar a la lista"</button>
            <TextArea id="observe-comment" label="Comentario general (opcional)" value=comment error=field_error(failure, "comment") rows=2 />
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <button type="submit" disabled=move || busy.get()>{RequestAction::Observe.label()}</button>
        </form>
    }
}

/// Resubmit: how the observations were addressed, with corrected documents if needed.
#[component]
fn ResubmitForm(
    id: i64,
    version: i32,
    needs_layout: bool,
    on_done: Callback<(String, bool)>,
) -> impl IntoView {
    let comment = RwSignal::new(String::new());
    let oficio = NodeRef::<leptos::html::Input>::new();
    let layout = NodeRef::<leptos::html::Input>::new();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = comment.get_untracked();
        if text.trim().is_empty() {
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new(
                    "comment",
                    "Explique cómo atendió las observaciones.",
                ),
            ])));
            return;
        }
        let texts = [("version", version.to_string()), ("comment", text)];
        let mut files = Vec::new();
        files.extend(picked_file(oficio).map(|f| ("oficio", f)));
        files.extend(
            picked_file(layout)
                .filter(|_| needs_layout)
                .map(|f| ("layout", f)),
        );
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = paths::requests::action(id, RequestAction::Resubmit);
            let outcome = api::send_form::<RequestDetail>(&path, &texts, &files).await;
            busy.set(false);
            match outcome {
                Ok(_) => on_done.run((format!("{}.", RequestAction::Resubmit.past_tense()), false)),
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <form class="action-form" on:submit=submit novalidate>
            <h3>"Reenviar corregida"</h3>
            <TextArea id="resubmit-comment" label="Cómo se atendieron las observaciones" value=comment error=field_error(failure, "comment") />
            <FilePicker id="resubmit-oficio" label="Oficio corregido (PDF, opcional)" node=oficio failure=failure field="oficio" accept=".pdf,application/pdf" />
            {needs_layout.then(|| view! {
                <FilePicker id="resubmit-layout" label="Layout corregido (.xlsx o .csv, opcional)" node=layout failure=failure field="layout" />
            })}
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <button type="submit" disabled=move || busy.get()>{RequestAction::Resubmit.label()}</button>
        </form>
    }
}

#[component]
fn SlaCard(clocks: Vec<SlaClock>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="sla-title">
            <h2 id="sla-title">"Niveles de servicio (días hábiles)"</h2>
            <div class="table-scroll" tabindex="0">
                <table>
                    <caption class="visually-hidden">"Relojes de nivel de servicio"</caption>
                    <thead><tr>
                        <th scope="col">"Reloj"</th><th scope="col">"Plazo"</th><th scope="col">"Transcurridos"</th>
                        <th scope="col">"En pausa"</th><th scope="col">"Vence"</th><th scope="col">"Restan"</th><th scope="col">"Estado"</th>
                    </tr></thead>
                    <tbody>
                        {clocks.into_iter().map(|clock| view! {
                            <tr>
                                <th scope="row">{clock.clock.label()}</th>
                                <td>{clock.target_days}</td>
                                <td>{clock.elapsed_days}</td>
                                <td>{if clock.paused { format!("{} (en espera del área)", clock.paused_days) } else { clock.paused_days.to_string() }}</td>
                                <td>{format_date(clock.due_date)}</td>
                                <td>{clock.remaining_days.map_or_else(|| "—".to_owned(), |d| d.to_string())}</td>
                                <td>{if clock.started_at.is_none() {
                                    view! { <span class="muted">"Aún no inicia"</span> }.into_any()
                                } else {
                                    sla_badge(clock.status).into_any()
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="hint">"Se cuentan días hábiles en la Ciudad de México: sin fines de semana, días de descanso obligatorio de la LFT ni días inhábiles declarados. La atención se detiene mientras la solicitud espera correcciones del área."</p>
        </section>
    }
}

/// Mesa and Subdirección add reports to an open request; the Subdirección receives RENAPO's
/// certificate on a certificate request in attention.
#[component]
fn AddDocument(request: RequestDetail, on_done: Callback<(String, bool)>) -> impl IntoView {
    let session = use_session();
    let role = session.role();
    let state = request.summary.state;
    let takes_certificate = role == Some(Role::Subdireccion)
        && request.summary.request_type == RequestType::Certificate
        && state == RequestState::InProgress;
    let allowed = matches!(role, Some(Role::Mesa | Role::Subdireccion)) && state.is_open();
    let id = request.summary.id;
    let kind = RwSignal::new(
        if takes_certificate {
            "certificate"
        } else {
            "report"
        }
        .to_owned(),
    );
    let comment = RwSignal::new(String::new());
    let file = NodeRef::<leptos::html::Input>::new();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(chosen) = picked_file(file) else {
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new("file", "Elija el archivo."),
            ])));
            return;
        };
        let texts = [
            ("kind", kind.get_untracked()),
            ("comment", comment.get_untracked()),
        ];
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = paths::requests::attachments(id);
            let outcome =
                api::send_form::<Vec<Attachment>>(&path, &texts, &[("file", chosen)]).await;
            busy.set(false);
            match outcome {
                Ok(_) => on_done.run(("Documento agregado.".to_owned(), false)),
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    allowed.then(|| view! {
        <section class="card" aria-labelledby="add-document-title">
            <h2 id="add-document-title">"Agregar un documento"</h2>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="document-kind">"Tipo de documento"</label>
                    <select id="document-kind" bind:value=kind>
                        <option value="report">{AttachmentKind::Report.label()}</option>
                        {takes_certificate.then(|| view! { <option value="certificate">{AttachmentKind::Certificate.label()}</option> })}
                    </select>
                </div>
                <FilePicker id="document-file" label="Archivo (.pdf, .xlsx, .csv; certificado .pem, .crt, .cer o .der)" node=file failure=failure accept=".pdf,.xlsx,.csv,.pem,.crt,.cer,.der" />
                <TextArea id="document-comment" label="Comentario (opcional)" value=comment error=field_error(failure, "comment") rows=2 />
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || busy.get()>"Agregar documento"</button>
            </form>
        </section>
    })
}

fn download_button(document: &Attachment) -> impl IntoView + use<> {
    let path = paths::requests::attachment(document.id);
    let name = document.file_name.clone();
    let label = format!("Descargar {}", document.file_name);
    view! {
        <button type="button" class="ghost small" aria-label=label on:click=move |_| {
            let (path, name) = (path.clone(), name.clone());
            leptos::task::spawn_local(async move {
                let _ = api::download(&path, &name).await;
            });
        }>"Descargar"</button>
    }
}

#[component]
fn DocumentTable(documents: Vec<Attachment>) -> impl IntoView {
    if documents.is_empty() {
        return view! { <p class="empty">"La solicitud no tiene documentos."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0">
            <table>
                <caption class="visually-hidden">"Documentos de la solicitud"</caption>
                <thead><tr>
                    <th scope="col">"Documento"</th><th scope="col">"Versión"</th><th scope="col">"Archivo"</th>
                    <th scope="col">"Tamaño"</th><th scope="col">"Agregó"</th><th scope="col">"Fecha"</th><th scope="col"><span class="visually-hidden">"Acciones"</span></th>
                </tr></thead>
                <tbody>
                    {documents.into_iter().rev().map(|document| view! {
                        <tr class:superseded=!document.current>
                            <td>{document.kind.label()}</td>
                            <td>{format!("{}{}", document.version, if document.current { " (vigente)" } else { " (anterior)" })}</td>
                            <td>{document.file_name.clone()}
                                {document.layout_totals.clone().map(|t| view! { <br /><span class="muted">{format!("{} filas válidas", t.valid_rows)}</span> })}
                            </td>
                            <td>{file_size(document.size)}</td>
                            <td>{document.uploaded_by.name.clone()}</td>
                            <td>{format_time(Some(document.uploaded_at))}</td>
                            <td>{download_button(&document)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TimelineItem(entry: TimelineEntry) -> impl IntoView {
    let moved = entry
        .from_state
        .filter(|from| *from != entry.to_state)
        .map(|from| format!("De «{}» a «{}»", from.label(), entry.to_state.label()));
    view! {
        <li class="timeline-item" data-event=entry.event.as_str()>
            <p><strong>{entry.event.label()}</strong></p>
            <p class="timeline-when">{format!("{} · {} ({})", format_time(Some(entry.at)), entry.actor.name, entry.actor.role.label())}</p>
            {moved.map(|m| view! { <p class="muted">{m}</p> })}
            {entry.folio.clone().map(|folio| view! { <p>"Folio: "<strong>{folio}</strong></p> })}
            {(!entry.items.is_empty()).then(|| view! {
                <ol class="item-list">{entry.items.iter().map(|i| view! { <li>{i.clone()}</li> }).collect_view()}</ol>
            })}
            {entry.comment.clone().map(|c| view! { <p class="comment">{c}</p> })}
            {(!entry.attachments.is_empty()).then(|| view! {
                <ul class="attachments">
                    {entry.attachments.iter().map(|a| view! {
                        <li>{format!("{} v{}: {} ", a.kind.label(), a.version, a.file_name)}{download_button(a)}</li>
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
}

/// The procedure's way for a request in `state`, as steps: done, current (`aria-current`) and
/// to come, with who acts next (`docs/architecture.md`, "The request procedure").
fn procedure_steps(state: RequestState) -> Vec<(&'static str, std::cmp::Ordering)> {
    let way: &[(&str, Option<RequestState>)] = match state {
        RequestState::Cancelled => &[
            ("Recibida", None),
            ("Cancelada", Some(RequestState::Cancelled)),
        ],
        RequestState::Rejected => &[
            ("Recibida", None),
            ("Turnada", None),
            ("No procedente", Some(RequestState::Rejected)),
            ("Cerrada", Some(RequestState::Closed)),
        ],
        RequestState::Observed => &[
            ("Recibida", None),
            ("Con observaciones", Some(RequestState::Observed)),
            ("Turnada", Some(RequestState::Forwarded)),
            ("En atención", Some(RequestState::InProgress)),
            ("Atendida", Some(RequestState::Resolved)),
            ("Cerrada", Some(RequestState::Closed)),
        ],
        _ => &[
            ("Recibida", Some(RequestState::Submitted)),
            ("Turnada", Some(RequestState::Forwarded)),
            ("En atención", Some(RequestState::InProgress)),
            ("Atendida", Some(RequestState::Resolved)),
            ("Cerrada", Some(RequestState::Closed)),
        ],
    };
    let current = way.iter().position(|(_, s)| *s == Some(state)).unwrap_or(0);
    way.iter()
        .enumerate()
        .map(|(i, (label, _))| (*label, i.cmp(&current)))
        .collect()
}

#[component]
fn ProcedureMap(state: RequestState) -> impl IntoView {
    use std::cmp::Ordering;
    let next = state
        .next_role()
        .map(|role| format!("Sigue: {}", role.label()));
    view! {
        <nav class="procedure" aria-label="Avance en el procedimiento">
            <ol>
                {procedure_steps(state).into_iter().map(|(label, order)| {
                    let (class, current) = match order {
                        Ordering::Less => ("done", None),
                        Ordering::Equal => ("current", Some("step")),
                        Ordering::Greater => ("todo", None),
                    };
                    view! { <li class=class aria-current=current>{label}</li> }
                }).collect_view()}
            </ol>
            {next.map(|next| view! { <p class="hint">{next}</p> })}
        </nav>
    }
}

/// What a resolved or closed request came to, for everyone who may see it (the area above
/// all): the resolution, the last finished confrontation's figures and indicators, and its
/// report to download.
#[component]
fn RequestResult(request: RequestDetail, confrontations: Confrontations) -> impl IntoView {
    let Some(authority) = Authority::of_request(request.summary.request_type) else {
        return ().into_any();
    };
    let failure = RwSignal::new(None::<ApiError>);
    let download = move |job: i64, extension: &'static str| {
        leptos::task::spawn_local(async move {
            let path = match extension {
                "xlsx" => paths::confrontations::report_xlsx(job),
                _ => paths::confrontations::report_csv(job),
            };
            if let Err(error) = api::download(&path, &format!("confronta_{job}.{extension}")).await
            {
                failure.set(Some(error));
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="result-title">
            <h2 id="result-title">"Resultado"</h2>
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <Loaded loading="Cargando el resultado…">
                {move || confrontations.get().map(|result| result.map(|jobs| {
                    let finished = jobs
                        .into_iter()
                        .filter(|job| job.authority == authority && job.state == ConfrontationState::Finished)
                        .max_by_key(|job| job.id);
                    match finished {
                        None => view! { <p class="empty">"Esta solicitud no tiene una confronta terminada."</p> }.into_any(),
                        Some(job) => {
                            let job_id = job.id;
                            view! {
                                <p data-testid="result-summary">{job.resolution_summary()}</p>
                                <MetricCards metrics=job.metrics authority=authority />
                                <KpiCards kpis=job.kpis authority=authority />
                                <div class="actions-row">
                                    <button type="button" class="ghost" on:click=move |_| download(job_id, "xlsx")>"Descargar resultados (.xlsx)"</button>
                                    <button type="button" class="ghost" on:click=move |_| download(job_id, "csv")>"Descargar resultados (.csv)"</button>
                                </div>
                            }.into_any()
                        }
                    }
                }))}
            </Loaded>
        </section>
    }
    .into_any()
}
