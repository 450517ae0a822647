//! Service requests: the list, the new-request wizard and a request's page, and the pieces
//! they and the dashboard share (badges, the request table).

pub mod detail;
pub mod list;
pub mod new;

use chrono::NaiveDate;
use confrontas_api::{RequestState, RequestSummary, SlaStatus};
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

pub fn format_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "—".to_owned(), |d| d.format("%d/%m/%Y").to_string())
}

/// Requests as a table: ticket (linking to the request), type, subject, unit, state, service
/// level and due date.
#[component]
pub fn RequestTable(items: Vec<RequestSummary>, caption: &'static str) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table>
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>
                    <th scope="col">"Ticket"</th><th scope="col">"Tipo"</th><th scope="col">"Asunto"</th>
                    <th scope="col">"Unidad"</th><th scope="col">"Estado"</th><th scope="col">"Nivel de servicio"</th>
                    <th scope="col">"Vence"</th><th scope="col">"Recibida"</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|request| {
                        let href = format!("/solicitudes/{}", request.id);
                        view! {
                            <tr>
                                <td><A href=href><code>{request.ticket_number.clone()}</code></A>
                                    {request.folio.clone().map(|folio| view! { <br /><span class="muted">{folio}</span> })}
                                </td>
                                <td>{request.request_type.short_label()}</td>
                                <td>{request.subject.clone()}</td>
                                <td>{request.unit.key.clone()}</td>
                                <td>{state_badge(request.state)}</td>
                                <td>{sla_badge(request.sla_status)}</td>
                                <td>{format_date(request.due_date)}</td>
                                <td>{format_time(Some(request.submitted_at))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
