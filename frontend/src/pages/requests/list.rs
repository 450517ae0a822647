//! The requests the person may see (an area: its unit's), with filters, sorting and pages.

use confrontas_api::{Page, RequestState, RequestSummary, RequestType, Role, SlaStatus};
use leptos::prelude::*;
use leptos_router::components::A;

use super::RequestTable;
use crate::api;
use crate::components::{Pager, filter_query};
use crate::session::use_session;

/// The filters as the list applies them (set on submit, not on every keystroke).
#[derive(Clone, Default, PartialEq)]
struct Filters {
    q: String,
    state: String,
    request_type: String,
    sla_status: String,
    submitted_from: String,
    submitted_to: String,
}

impl Filters {
    fn query(&self) -> String {
        filter_query(&[
            ("q", &self.q),
            ("state", &self.state),
            ("request_type", &self.request_type),
            ("sla_status", &self.sla_status),
            ("submitted_from", &self.submitted_from),
            ("submitted_to", &self.submitted_to),
        ])
    }
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let session = use_session();
    let q = RwSignal::new(String::new());
    let state = RwSignal::new(String::new());
    let request_type = RwSignal::new(String::new());
    let sla_status = RwSignal::new(String::new());
    let submitted_from = RwSignal::new(String::new());
    let submitted_to = RwSignal::new(String::new());
    let sort = RwSignal::new("recent".to_owned());
    let applied = RwSignal::new(Filters::default());
    let page = RwSignal::new(1u32);
    let requests = LocalResource::new(move || {
        let url = format!(
            "/api/v1/requests?per_page=25&page={}&sort={}{}",
            page.get(),
            sort.get(),
            applied.get().query()
        );
        async move { api::get::<Page<RequestSummary>>(&url).await }
    });
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        page.set(1);
        applied.set(Filters {
            q: q.get_untracked(),
            state: state.get_untracked(),
            request_type: request_type.get_untracked(),
            sla_status: sla_status.get_untracked(),
            submitted_from: submitted_from.get_untracked(),
            submitted_to: submitted_to.get_untracked(),
        });
    };
    let clear = move |_| {
        for field in [
            q,
            state,
            request_type,
            sla_status,
            submitted_from,
            submitted_to,
        ] {
            field.set(String::new());
        }
        page.set(1);
        applied.set(Filters::default());
    };
    view! {
        <div class="section-head">
            <h1>"Solicitudes"</h1>
            {move || (session.role() == Some(Role::Area)).then(|| view! {
                <A href="/solicitudes/nueva" attr:class="button">"Nueva solicitud"</A>
            })}
        </div>
        <p class="lead">"Solicitudes de confronta y de certificado, con su estado y su nivel de servicio en días hábiles."</p>
        <section class="card" aria-labelledby="filters-title">
            <h2 id="filters-title" class="visually-hidden">"Filtros"</h2>
            <form class="grid-form" on:submit=search novalidate>
                <div class="field">
                    <label for="f-q">"Ticket, folio o asunto"</label>
                    <input id="f-q" type="search" maxlength="100" autocomplete="off" bind:value=q />
                </div>
                <div class="field">
                    <label for="f-state">"Estado"</label>
                    <select id="f-state" bind:value=state>
                        <option value="">"Todos"</option>
                        {RequestState::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-type">"Tipo"</label>
                    <select id="f-type" bind:value=request_type>
                        <option value="">"Todos"</option>
                        {RequestType::ALL.iter().map(|t| view! { <option value=t.as_str()>{t.short_label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-sla">"Nivel de servicio"</label>
                    <select id="f-sla" bind:value=sla_status>
                        <option value="">"Todos"</option>
                        {SlaStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-from">"Recibidas desde"</label>
                    <input id="f-from" type="date" bind:value=submitted_from />
                </div>
                <div class="field">
                    <label for="f-to">"Recibidas hasta"</label>
                    <input id="f-to" type="date" bind:value=submitted_to />
                </div>
                <div class="actions-row">
                    <button type="submit">"Filtrar"</button>
                    <button type="button" class="ghost" on:click=clear>"Limpiar"</button>
                </div>
            </form>
        </section>
        <section class="card" aria-labelledby="results-title">
            <div class="section-head">
                <h2 id="results-title">"Resultados"</h2>
                <div class="field inline">
                    <label for="f-sort">"Ordenar por"</label>
                    <select id="f-sort" bind:value=sort on:change=move |_| page.set(1)>
                        <option value="recent">"Más recientes"</option>
                        <option value="oldest">"Más antiguas"</option>
                        <option value="due">"Próximas a vencer"</option>
                        <option value="updated">"Cambios recientes"</option>
                    </select>
                </div>
            </div>
            <Suspense fallback=|| view! { <p role="status">"Cargando solicitudes…"</p> }>
                {move || requests.get().map(|result| match result {
                    Err(error) => view! { <p class="alert-error" role="alert">{error.message()}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <p class="empty">"No hay solicitudes que coincidan con los filtros."</p>
                    }.into_any(),
                    Ok(list) => {
                        let (count, total) = (list.page_count(), list.total);
                        view! {
                            <RequestTable items=list.items caption="Solicitudes" />
                            <Pager page=page page_count=count total=total noun=("solicitud", "solicitudes") />
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
