//! Start page: who you are and what the procedure expects of your role.

use confrontas_api::Role;
use leptos::prelude::*;

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
    view! {
        <h1>{move || me().map(|me| format!("Hola, {}", me.name)).unwrap_or_default()}</h1>
        <p class="lead">
            {move || me().map(|me| format!("{} · {}", me.unit.name, me.role.map(|r| r.label()).unwrap_or("Cliente API"))).unwrap_or_default()}
        </p>
        <section class="card" aria-labelledby="duties-title">
            <h2 id="duties-title">"Lo que le corresponde en el procedimiento"</h2>
            <ul class="duties">
                {move || duties(session.role()).iter().map(|duty| view! { <li>{*duty}</li> }).collect_view()}
            </ul>
        </section>
    }
}
