//! The requests the person may see (an area: its unit's), with filters, sorting and pages, all
//! kept in the URL.

use chrono::NaiveDate;
use confrontas_api::{
    NameFilter, Page, RequestFilter, RequestSort, RequestState, RequestSummary, RequestType, Role,
    SlaStatus, Unit, paths,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{RequestTable, Sorting};
use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, Pager, Position};
use crate::session::use_session;
use crate::url_state::use_url_state;

/// Requests per page.
const PER_PAGE: u32 = 25;

/// A date input's value (`YYYY-MM-DD`), or blank.
fn date_text(date: Option<NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let session = use_session();
    let shown = use_url_state::<RequestFilter>();
    // The form's fields; they follow the URL (a reload, back, a shared link) and are applied to
    // it on submit, not on every keystroke.
    let q = RwSignal::new(String::new());
    let state = RwSignal::new(String::new());
    let request_type = RwSignal::new(String::new());
    let sla_status = RwSignal::new(String::new());
    let submitted_from = RwSignal::new(String::new());
    let submitted_to = RwSignal::new(String::new());
    let unit = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let filters_open = RwSignal::new(false);
    Effect::new(move |_| {
        let filter = shown.get();
        q.set(filter.q.unwrap_or_default());
        unit.set(filter.unit_id.map(|u| u.to_string()).unwrap_or_default());
        mine.set(filter.mine == Some(true));
        state.set(
            filter
                .state
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        );
        request_type.set(
            filter
                .request_type
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
        );
        sla_status.set(
            filter
                .sla_status
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        );
        submitted_from.set(date_text(filter.submitted_from));
        submitted_to.set(date_text(filter.submitted_to));
    });
    let requests = LocalResource::new(move || {
        let url = paths::requests::list(&RequestFilter {
            per_page: Some(PER_PAGE),
            ..shown.get()
        });
        async move { api::get::<Page<RequestSummary>>(&url).await }
    });
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = q.get_untracked();
        shown.push(&RequestFilter {
            q: Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
            state: RequestState::parse(&state.get_untracked()),
            request_type: RequestType::parse(&request_type.get_untracked()),
            sla_status: SlaStatus::parse(&sla_status.get_untracked()),
            submitted_from: submitted_from.get_untracked().parse().ok(),
            submitted_to: submitted_to.get_untracked().parse().ok(),
            unit_id: unit.get_untracked().parse().ok(),
            mine: mine.get_untracked().then_some(true),
            sort: shown.get_untracked().sort,
            ..RequestFilter::default()
        });
    };
    // The unit filter, for the staff who see every unit's requests.
    let sees_every_unit = move || {
        matches!(
            session.role(),
            Some(Role::Mesa | Role::Subdireccion | Role::Admin)
        )
    };
    let units = LocalResource::new(move || {
        let wanted = sees_every_unit();
        async move {
            if !wanted {
                return Vec::new();
            }
            let all = NameFilter {
                per_page: Some(200),
                ..NameFilter::default()
            };
            api::get::<Page<Unit>>(&paths::units::list(&all))
                .await
                .map(|page| page.items)
                .unwrap_or_default()
        }
    });
    let failure = RwSignal::new(None::<ApiError>);
    let export = move |extension: &'static str| {
        let filter = shown.get_untracked();
        leptos::task::spawn_local(async move {
            let path = match extension {
                "xlsx" => paths::requests::export_xlsx(&filter),
                _ => paths::requests::export_csv(&filter),
            };
            failure.set(None);
            if let Err(error) = api::download(&path, &format!("solicitudes.{extension}")).await {
                failure.set(Some(error));
            }
        });
    };
    let sorting = Sorting {
        current: Signal::derive(move || shown.get().sort.unwrap_or_default()),
        sort_by: Callback::new(move |sort: RequestSort| {
            shown.refilter(|filter| filter.sort = Some(sort));
        }),
    };
    let clear = move |_| {
        shown.push(&RequestFilter {
            sort: shown.get_untracked().sort,
            ..RequestFilter::default()
        })
    };
    let sort = move || shown.get().sort.unwrap_or_default().as_str();
    let change_sort = move |event: leptos::ev::Event| {
        let sort = RequestSort::parse(&event_target_value(&event));
        shown.refilter(|filter| filter.sort = sort);
    };
    let go_to = shown.page_opener();
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
            // On phones the filters fold away behind this button (on wider screens it is hidden).
            <button type="button" class="ghost filters-toggle" aria-expanded=move || filters_open.get().to_string()
                aria-controls="request-filters" on:click=move |_| filters_open.update(|o| *o = !*o)>
                {move || if filters_open.get() { "Ocultar filtros" } else { "Mostrar filtros" }}
            </button>
            <form id="request-filters" class="grid-form" class:folded=move || !filters_open.get() on:submit=search novalidate>
                <div class="field">
                    <label for="f-q">"Ticket, folio, CURP o asunto"</label>
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
                {move || sees_every_unit().then(|| view! {
                    <div class="field">
                        <label for="f-unit">"Unidad solicitante"</label>
                        <select id="f-unit" bind:value=unit>
                            <option value="">"Todas"</option>
                            {move || units.get().unwrap_or_default().into_iter().map(|u| view! {
                                <option value=u.id.to_string()>{format!("{} — {}", u.key, u.name)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                })}
                <div class="field">
                    <label for="f-from">"Recibidas desde"</label>
                    <input id="f-from" type="date" bind:value=submitted_from />
                </div>
                <div class="field">
                    <label for="f-to">"Recibidas hasta"</label>
                    <input id="f-to" type="date" bind:value=submitted_to />
                </div>
                {move || (session.role() != Some(Role::Admin)).then(|| view! {
                    <div class="field checkbox">
                        <input id="f-mine" type="checkbox" bind:checked=mine />
                        <label for="f-mine">"Solo lo que espera mi atención"</label>
                    </div>
                })}
                <div class="actions-row">
                    <button type="submit">"Filtrar"</button>
                    <button type="button" class="ghost" on:click=clear>"Limpiar"</button>
                </div>
            </form>
        </section>
        <section class="card" aria-labelledby="results-title">
            <div class="section-head">
                <h2 id="results-title">"Resultados"</h2>
                <div class="actions-row">
                    <button type="button" class="ghost" on:click=move |_| export("xlsx")>"Exportar .xlsx"</button>
                    <button type="button" class="ghost" on:click=move |_| export("csv")>"Exportar .csv"</button>
                </div>
                <div class="field inline">
                    <label for="f-sort">"Ordenar por"</label>
                    <select id="f-sort" prop:value=sort on:change=change_sort>
                        {RequestSort::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <Loaded loading="Cargando solicitudes…">
                {move || requests.get().map(|result| result.map(|list| if list.items.is_empty() {
                    view! { <p class="empty">"No hay solicitudes que coincidan con los filtros."</p> }.into_any()
                } else {
                    let at = Position::of(&list);
                    view! {
                        <RequestTable items=list.items caption="Solicitudes" sorting=sorting />
                        <Pager at=at go_to=go_to noun=("solicitud", "solicitudes") />
                    }.into_any()
                }))}
            </Loaded>
        </section>
    }
}
