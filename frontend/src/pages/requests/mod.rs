//! Service requests: the list, the new-request wizard and a request's page, and the pieces
//! they and the dashboard share (badges, the request table).

pub mod detail;
pub mod list;
pub mod new;

use chrono::NaiveDate;
use confrontas_api::{
    RequestFilter, RequestSort, RequestState, RequestSummary, SlaStatus, SortDirection,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::format_time;

/// The state as a badge (text, not colour alone, carries the meaning).
pub fn state_badge(state: RequestState) -> impl IntoView {
    let class = match state {
        RequestState::Observed | RequestState::Rejected => "badge badge-warn",
        RequestState::Resolved | RequestState::Closed => "badge badge-ok",
        RequestState::Cancelled => "badge badge-off",
        _ => "badge badge-info",
    };
    view! { <span class=class>{state.label()}</span> }
}

/// The service-level state as a badge; a dash when no clock has a verdict yet.
pub fn sla_badge(status: Option<SlaStatus>) -> impl IntoView {
    match status {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(status) => {
            let class = match status {
                SlaStatus::Breached | SlaStatus::Missed => "badge badge-error",
                SlaStatus::AtRisk => "badge badge-warn",
                SlaStatus::OnTime | SlaStatus::Met => "badge badge-ok",
            };
            view! { <span class=class data-sla=status.as_str()>{status.label()}</span> }.into_any()
        }
    }
}

/// The request list's address showing what `filter` selects (the list keeps its filters in the
/// address with the API's own query).
pub fn list_href(filter: &RequestFilter) -> String {
    let api = confrontas_api::paths::requests::list(filter);
    match api.split_once('?') {
        Some((_, query)) => format!("/solicitudes?{query}"),
        None => "/solicitudes".to_owned(),
    }
}

pub fn format_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "—".to_owned(), |d| d.format("%d/%m/%Y").to_string())
}

/// How a table's sortable headers show and change the list's order.
#[derive(Clone, Copy)]
pub struct Sorting {
    pub current: Signal<RequestSort>,
    pub sort_by: Callback<RequestSort>,
}

/// A column header: sortable (a button, with `aria-sort` on the header) when `sorting` is given
/// and the column can be sorted by.
fn header(label: &'static str, column: Option<&'static str>, sorting: Option<Sorting>) -> AnyView {
    let (Some(column), Some(sorting)) = (column, sorting) else {
        return view! { <th scope="col">{label}</th> }.into_any();
    };
    let direction = move || {
        sorting
            .current
            .get()
            .column()
            .filter(|(c, _)| *c == column)
            .map(|(_, direction)| direction)
    };
    let aria_sort = move || match direction() {
        Some(SortDirection::Ascending) => "ascending",
        Some(SortDirection::Descending) => "descending",
        None => "none",
    };
    let arrow = move || match direction() {
        Some(SortDirection::Ascending) => "▲",
        Some(SortDirection::Descending) => "▼",
        None => "↕",
    };
    let sort = move |_| {
        if let Some(next) = sorting.current.get_untracked().toggled(column) {
            sorting.sort_by.run(next);
        }
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <button type="button" class="sort" on:click=sort>
                {label}<span class="arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
    .into_any()
}

/// Requests as a table: ticket (linking to the request), type, subject, unit, state, service
/// level and due date. A click anywhere on a row opens its request (the ticket is the link for
/// the keyboard and screen readers). With `sorting`, the ticket, due date and received columns
/// sort the list.
#[component]
pub fn RequestTable(
    items: Vec<RequestSummary>,
    caption: &'static str,
    #[prop(optional)] sorting: Option<Sorting>,
) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="rows-link cards">
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>
                    {header("Ticket", Some("ticket"), sorting)}
                    {header("Tipo", None, sorting)}
                    {header("Asunto", None, sorting)}
                    {header("Unidad", None, sorting)}
                    {header("Estado", None, sorting)}
                    {header("Nivel de servicio", None, sorting)}
                    {header("Vence", Some("due"), sorting)}
                    {header("Recibida", Some("submitted"), sorting)}
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|request| {
                        let href = format!("/solicitudes/{}", request.id);
                        let navigate = navigate.clone();
                        let open = {
                            let href = href.clone();
                            move |event: leptos::ev::MouseEvent| {
                                // The link itself, or text being selected, is left alone.
                                let on_link = event
                                    .target()
                                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                                    .is_some_and(|e| e.closest("a, button").ok().flatten().is_some());
                                let selecting = web_sys::window()
                                    .and_then(|w| w.get_selection().ok().flatten())
                                    .is_some_and(|s| !s.is_collapsed());
                                if !on_link && !selecting {
                                    navigate(&href, Default::default());
                                }
                            }
                        };
                        view! {
                            <tr on:click=open>
                                <td data-label="Ticket"><A href=href><code>{request.ticket_number.clone()}</code></A>
                                    {request.folio.clone().map(|folio| view! { <br /><span class="muted">{folio}</span> })}
                                </td>
                                <td data-label="Tipo">{request.request_type.short_label()}</td>
                                <td data-label="Asunto">{request.subject.clone()}</td>
                                <td data-label="Unidad">{request.unit.key.clone()}</td>
                                <td data-label="Estado">{state_badge(request.state)}</td>
                                <td data-label="Nivel de servicio">{sla_badge(request.sla_status)}</td>
                                <td data-label="Vence">{format_date(request.due_date)}</td>
                                <td data-label="Recibida">{format_time(Some(request.submitted_at))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
