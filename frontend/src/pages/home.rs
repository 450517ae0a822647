//! Start page: the role's dashboard (what waits for it, what is at risk or late, requests per
//! state) and what the procedure expects of the role.

use confrontas_api::{
    Dashboard, RequestFilter, RequestSort, RequestSummary, Role, SlaStatus, paths,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::Loaded;
use crate::pages::certificates::CertificateStatus;
use crate::pages::requests::{RequestTable, list_href};
use crate::session::use_session;

/// The steps of the service cards (DGTIC/DSSD/003) that belong to each role.
fn duties(role: Option<Role>) -> &'static [&'static str] {
    match role {
        Some(Role::Area) => &[
            "Enviar solicitudes de confronta (RENAPO o SAT) con el oficio firmado y el layout de CURP.",
            "Atender las observaciones de la Mesa de Servicios y reenviar la solicitud corregida.",
            "Consultar el avance, el folio y los resultados de las solicitudes de su unidad.",
        ],
        Some(Role::Mesa) => &[
            "Recibir las solicitudes y asignar el número de ticket.",
            "Registrar observaciones cuando el oficio o el layout requieran correcciones.",
            "Emitir el folio y turnar a la Subdirección; cerrar las solicitudes atendidas.",
        ],
        Some(Role::Subdireccion) => &[
            "Validar que el solicitante pertenezca a la Secretaría y aceptar o declarar no procedente.",
            "Ejecutar las confrontas contra RENAPO y SAT y aplicar los resultados al padrón.",
            "Mantener vigente el certificado del servicio web de RENAPO.",
        ],
        Some(Role::Admin) => &[
            "Administrar usuarios, unidades administrativas y clientes API de sistemas asociados.",
            "Mantener el calendario de días inhábiles y las políticas de niveles de servicio.",
        ],
        None => &["Consultar el servicio de RENAPO con los alcances autorizados a su cliente."],
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let me = move || session.me();
    let dashboard =
        LocalResource::new(|| async { api::get::<Dashboard>(&paths::requests::dashboard()).await });
    view! {
        <h1>{move || me().map(|me| format!("Hola, {}", me.name)).unwrap_or_default()}</h1>
        <div class="section-head">
            <p class="lead">
                {move || me().map(|me| format!("{} · {}", me.unit.name, me.role.map(|r| r.label()).unwrap_or("Cliente API"))).unwrap_or_default()}
            </p>
            {move || (session.role() == Some(Role::Area)).then(|| view! {
                <A href="/solicitudes/nueva" attr:class="button">"Nueva solicitud"</A>
            })}
        </div>
        <Loaded loading="Cargando su tablero…">
            {move || dashboard.get().map(|result| result.map(|board| {
                view! { <Board board=board /> }.into_any()
            }))}
        </Loaded>
        {move || matches!(session.role(), Some(Role::Mesa | Role::Subdireccion | Role::Admin))
            .then(|| view! { <CertificateStatus /> })}
        <section class="card" aria-labelledby="duties-title">
            <h2 id="duties-title">"Lo que le corresponde en el procedimiento"</h2>
            <ul class="duties">
                {move || duties(session.role()).iter().map(|duty| view! { <li>{*duty}</li> }).collect_view()}
            </ul>
        </section>
    }
}

/// One section of the dashboard: its requests, or what it means that there are none; its
/// heading opens the request list filtered to the same requests (`all`).
fn section(
    id: &'static str,
    title: &'static str,
    items: Vec<RequestSummary>,
    total: u64,
    empty: &'static str,
    all: RequestFilter,
) -> impl IntoView {
    let shown = items.len() as u64;
    let href = list_href(&all);
    view! {
        <section class="card" aria-labelledby=id>
            <div class="section-head">
                <h2 id=id>{format!("{title} ({total})")}</h2>
                {(total > 0).then(|| view! { <A href=href.clone()>{format!("Ver en la lista ({total})")}</A> })}
            </div>
            {if items.is_empty() {
                view! { <p class="empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <RequestTable items=items caption=title />
                    {(total > shown).then(|| view! {
                        <p class="hint">{format!("Se muestran {shown} de {total}; ")}<A href=href>"vea todas en la lista"</A>"."</p>
                    })}
                }.into_any()
            }}
        </section>
    }
}

/// The open requests whose most pressing clock is `status`, nearest due first.
fn by_service_level(status: SlaStatus) -> RequestFilter {
    RequestFilter {
        sla_status: Some(status),
        sort: Some(RequestSort::Due),
        ..RequestFilter::default()
    }
}

#[component]
fn Board(board: Dashboard) -> impl IntoView {
    let waits = board.role != Role::Admin;
    view! {
        <section class="card" aria-labelledby="states-title">
            <h2 id="states-title">"Solicitudes por estado"</h2>
            <ul class="totals">
                {board.counts_by_state.into_iter().map(|c| {
                    let href = list_href(&RequestFilter { state: Some(c.state), ..RequestFilter::default() });
                    view! {
                        <li><A href=href attr:class="tile">
                            <span class="tile-label">{c.state.label()}</span>
                            <span class="tile-count">{crate::components::thousands(c.count)}</span>
                        </A></li>
                    }
                }).collect_view()}
            </ul>
        </section>
        {waits.then(|| section("pending-title", "Pendientes de su atención", board.pending, board.pending_total,
            "Nada espera su atención por ahora.",
            RequestFilter { mine: Some(true), sort: Some(RequestSort::Due), ..RequestFilter::default() }))}
        {section("breached-title", "Vencidas", board.breached, board.breached_total,
            "Ninguna solicitud abierta ha pasado su fecha de vencimiento.", by_service_level(SlaStatus::Breached))}
        {section("at-risk-title", "Por vencer", board.at_risk, board.at_risk_total,
            "Ninguna solicitud abierta está por vencer.", by_service_level(SlaStatus::AtRisk))}
    }
}
