//! RENAPO's web-service certificate: the deployed one with its expiry countdown,
//! upload with the parsed details, deploy, verify, roll back, and the history. The same list
//! and actions serve a certificate request's page.

use confrontas_api::{
    ActiveCertificate, AuthorityMode, CertificateFilter, CertificateState, Readiness,
    RenapoCertificate, Role, RotationBody, SimulatedRotation, TrustStatus, paths,
};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, ApiError};
use crate::components::{Alert, FilePicker, Loaded, chosen_file, format_time};
use crate::session::use_session;

/// Files a certificate comes in.
const CERTIFICATE_FILES: &str = ".pem,.crt,.cer,.der";

fn status_badge(status: TrustStatus) -> impl IntoView {
    let class = match status {
        TrustStatus::Valid => "badge badge-ok",
        TrustStatus::ExpiringSoon => "badge badge-warn",
        TrustStatus::Expired | TrustStatus::Untrusted => "badge badge-error",
        TrustStatus::NotDeployed => "badge badge-off",
    };
    view! { <span class=class data-testid="trust-status">{status.label()}</span> }
}

fn state_badge(state: CertificateState) -> impl IntoView {
    let class = match state {
        CertificateState::Uploaded => "badge badge-info",
        CertificateState::Deployed => "badge badge-ok",
        CertificateState::Retired => "badge badge-off",
    };
    view! { <span class=class>{state.label()}</span> }
}

fn countdown(days: i64) -> String {
    match days {
        d if d < 0 => format!("venció hace {} días", -d),
        0 => "vence hoy".to_owned(),
        1 => "vence mañana".to_owned(),
        d => format!("vence en {d} días"),
    }
}

/// The common name of a distinguished name (`CN=…`), or the whole name.
fn common_name(name: &str) -> String {
    name.split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(name)
        .to_owned()
}

/// What an action does, asked before it is done.
fn question(verb: &str) -> &'static str {
    match verb {
        "deploy" => {
            "El certificado será desde ahora la única ancla de confianza del cliente de RENAPO (confrontas y consultas). ¿Continuar?"
        }
        _ => "Se volverá a desplegar el certificado anterior y se retirará el actual. ¿Continuar?",
    }
}

/// Deploys, verifies or rolls back; `done` is told after success.
fn act(
    path: String,
    body: serde_json::Value,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
    done: RwSignal<u32>,
    success: fn(&RenapoCertificate) -> String,
) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        let outcome = api::send_json::<_, RenapoCertificate>(Method::POST, &path, &body).await;
        busy.set(false);
        match outcome {
            Ok(certificate) => {
                failure.set(None);
                notice.set(Some(success(&certificate)));
                done.update(|n| *n += 1);
            }
            Err(error) => {
                notice.set(None);
                failure.set(Some(error));
            }
        }
    });
}

fn verified_message(certificate: &RenapoCertificate) -> String {
    certificate
        .verification
        .as_ref()
        .map(|v| {
            if v.ok {
                format!("Verificación exitosa: {}", v.detail)
            } else {
                format!("La verificación falló: {}", v.detail)
            }
        })
        .unwrap_or_default()
}

/// Certificates with their actions (deploy, verify) for the sub-directorate.
#[component]
pub fn CertificateList(
    certificates: Vec<RenapoCertificate>,
    revision: RwSignal<u32>,
    failure: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = use_session();
    let is_sub = session.role() == Some(Role::Subdireccion);
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(None::<(i64, i32)>);
    if certificates.is_empty() {
        return view! { <p class="empty">"Aún no se ha cargado ningún certificado."</p> }
            .into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0">
            <table data-testid="certificates">
                <caption class="visually-hidden">"Certificados de RENAPO"</caption>
                <thead><tr>
                    <th scope="col">"Certificado"</th><th scope="col">"Estado"</th><th scope="col">"Vigencia"</th>
                    <th scope="col">"Última verificación"</th><th scope="col">"Acciones"</th>
                </tr></thead>
                <tbody>
                    {certificates.into_iter().map(|c| {
                        let (id, version, state) = (c.id, c.version, c.state);
                        let verification = c.verification.clone().map(|v| {
                            let class = if v.ok { "badge badge-ok" } else { "badge badge-warn" };
                            view! { <span class=class title=v.detail.clone()>{if v.ok { "Exitosa" } else { "Fallida" }}</span> " " {format_time(Some(v.at))} }
                        });
                        view! {
                            <tr data-certificate=id.to_string()>
                                <td>
                                    <strong>{common_name(&c.leaf.subject)}</strong><br/>
                                    <span class="hint">{format!("Emisor: {}", common_name(&c.leaf.issuer))}</span><br/>
                                    <span class="hint">{format!("Nombres: {}", c.leaf.subject_alt_names.join(", "))}</span><br/>
                                    <span class="hint">{format!("{} · serie {}", c.file_name, c.leaf.serial)}</span><br/>
                                    <span class="hint">"Huella SHA-256: "<code class="fingerprint">{c.leaf.fingerprint_sha256.clone()}</code></span>
                                    {c.ticket_number.clone().zip(c.request_id).map(|(ticket, request)| view! {
                                        <br/><A href=format!("/solicitudes/{request}")>{format!("Solicitud {ticket}")}</A>
                                    })}
                                </td>
                                <td>{state_badge(state)}</td>
                                <td>{format!("{} al {}", c.leaf.not_before.format("%d/%m/%Y"), c.leaf.not_after.format("%d/%m/%Y"))}<br/>
                                    <span class="hint">{countdown(c.days_to_expiry)}</span></td>
                                <td>{verification.map_or_else(|| view! { "Sin verificar" }.into_any(), IntoAny::into_any)}</td>
                                <td class="actions-cell">
                                    {is_sub.then(|| view! {
                                        <button type="button" class="ghost" disabled=move || busy.get() on:click=move |_| act(
                                            paths::certificates::verify(id),
                                            serde_json::json!({ "version": version }),
                                            busy, failure, notice, revision, verified_message,
                                        )>"Verificar"</button>
                                        {(state != CertificateState::Deployed).then(|| view! {
                                            <button type="button" disabled=move || busy.get()
                                                on:click=move |_| confirming.set(Some((id, version)))>"Desplegar…"</button>
                                        })}
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {move || confirming.get().map(|(id, version)| view! {
            <div class="confirm" role="alertdialog" aria-labelledby="deploy-question">
                <p id="deploy-question">{question("deploy")}</p>
                <div class="actions-row">
                    <button type="button" on:click=move |_| {
                        confirming.set(None);
                        act(
                            paths::certificates::deploy(id),
                            serde_json::json!({ "version": version }),
                            busy, failure, notice, revision,
                            |c| format!("Certificado desplegado: {}. Verifíquelo con RENAPO.", common_name(&c.leaf.subject)),
                        );
                    }>"Sí, desplegar"</button>
                    <button type="button" class="ghost" on:click=move |_| confirming.set(None)>"No"</button>
                </div>
            </div>
        })}
    }
    .into_any()
}

/// With the built-in RENAPO simulator, the administration can make RENAPO rotate its
/// certificate and receive the new one (as RENAPO e-mails it), to try the procedure.
#[component]
fn RotationCard(
    failure: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = use_session();
    let readiness =
        LocalResource::new(|| async { api::get::<Readiness>(&paths::ops::ready()).await });
    let simulated = move || {
        session.role() == Some(Role::Admin)
            && readiness
                .get()
                .and_then(Result::ok)
                .is_some_and(|r| r.renapo == AuthorityMode::Simulator)
    };
    let rotate = move |to: SimulatedRotation| {
        leptos::task::spawn_local(async move {
            let outcome = api::send_json_and_save(
                &paths::simulator::renapo_rotation(),
                &RotationBody { to },
                "certificado_renapo.pem",
            )
            .await;
            match outcome {
                Ok(()) => {
                    failure.set(None);
                    notice.set(Some(
                        "RENAPO (simulado) rotó su certificado y se descargó el nuevo: hasta que la Subdirección lo despliegue, las consultas a RENAPO fallarán.".into(),
                    ));
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    move || {
        simulated().then(|| view! {
        <section class="card" aria-labelledby="simulator-title">
            <h2 id="simulator-title">"RENAPO simulado"</h2>
            <p class="hint">"Para probar el procedimiento: RENAPO cambia el certificado de su servidor y entrega el nuevo, como lo haría por correo."</p>
            <div class="actions-row">
                <button type="button" class="ghost" on:click=move |_| rotate(SimulatedRotation::NewAuthority)>"Rotar con una nueva autoridad"</button>
                <button type="button" class="ghost" on:click=move |_| rotate(SimulatedRotation::SelfSigned)>"Rotar a un certificado autofirmado"</button>
            </div>
        </section>
    })
    }
}

/// The dashboard's line about RENAPO's certificate: its status and days to expiry.
#[component]
pub fn CertificateStatus() -> impl IntoView {
    let active = LocalResource::new(|| async {
        api::get::<ActiveCertificate>(&paths::certificates::active()).await
    });
    view! {
        <section class="card" aria-labelledby="certificate-status-title">
            <h2 id="certificate-status-title">"Certificado de RENAPO"</h2>
            <Loaded loading="Consultando el certificado…">
                {move || active.get().map(|result| result.map(|active| view! {
                    <p data-testid="certificate-status">
                        {status_badge(active.status)}" "
                        {active.certificate.map_or_else(
                            || "No hay un certificado desplegado desde el almacén.".to_owned(),
                            |c| format!("{} — {}.", common_name(&c.leaf.subject), countdown(c.days_to_expiry)),
                        )}
                        " "<A href="/certificados">"Ver certificados"</A>
                    </p>
                }))}
            </Loaded>
        </section>
    }
}

/// A certificate request's certificates, with their actions.
#[component]
pub fn RequestCertificates(request_id: i64) -> impl IntoView {
    let revision = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        revision.track();
        async move {
            let filter = CertificateFilter {
                request_id: Some(request_id),
            };
            api::get::<Vec<RenapoCertificate>>(&paths::certificates::list(&filter)).await
        }
    });
    view! {
        <section class="card" aria-labelledby="request-certificates-title">
            <h2 id="request-certificates-title">"Certificado de RENAPO"</h2>
            <p class="hint">"Adjunte el certificado que envió RENAPO (tipo «Certificado de RENAPO»): se revisa al recibirlo. Después despliéguelo y verifíquelo; la solicitud se marca como atendida con el certificado desplegado y verificado."</p>
            <Alert failure=failure notice=notice />
            <Loaded loading="Cargando certificados…">
                {move || list.get().map(|result| result.map(|certificates| {
                    view! {
                        <CertificateList certificates=certificates revision=revision failure=failure notice=notice />
                    }.into_any()
                }))}
            </Loaded>
        </section>
    }
}

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let session = use_session();
    let is_sub = move || session.role() == Some(Role::Subdireccion);
    let revision = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let confirming_rollback = RwSignal::new(false);
    let picker = NodeRef::<leptos::html::Input>::new();
    let active = LocalResource::new(move || {
        revision.track();
        async { api::get::<ActiveCertificate>(&paths::certificates::active()).await }
    });
    let list = LocalResource::new(move || {
        revision.track();
        async {
            let all = CertificateFilter::default();
            api::get::<Vec<RenapoCertificate>>(&paths::certificates::list(&all)).await
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let file = match chosen_file(
            picker,
            "Elija el archivo del certificado (.pem, .crt, .cer o .der).",
        ) {
            Ok(file) => file,
            Err(missing) => {
                failure.set(Some(missing));
                return;
            }
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome =
                api::upload::<RenapoCertificate>(&paths::certificates::upload(), &file).await;
            busy.set(false);
            match outcome {
                Ok(certificate) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "Certificado revisado y cargado: {} ({}). Despliéguelo cuando corresponda.",
                        common_name(&certificate.leaf.subject),
                        countdown(certificate.days_to_expiry)
                    )));
                    revision.update(|n| *n += 1);
                }
                Err(error) => {
                    notice.set(None);
                    failure.set(Some(error));
                }
            }
        });
    };
    view! {
        <h1>"Certificado de RENAPO"</h1>
        <p class="lead">"El certificado del servicio web de consultas de RENAPO: el desplegado, su vigencia, la carga de uno nuevo y su historial."</p>
        <Alert failure=failure notice=notice />
        <section class="card" aria-labelledby="active-title">
            <h2 id="active-title">"Certificado desplegado"</h2>
            <Loaded loading="Cargando…">
                {move || active.get().map(|result| result.map(|active| {
                    {
                        let status = status_badge(active.status);
                        match active.certificate {
                            None => view! {
                                <p>{status}" El cliente confía en el certificado que configuró el administrador del servidor, o en el del simulador."</p>
                            }.into_any(),
                            Some(c) => view! {
                                <p class="countdown" data-testid="countdown">{status}" "{format!(
                                    "{} — {} ({}).",
                                    common_name(&c.leaf.subject),
                                    countdown(c.days_to_expiry),
                                    c.leaf.not_after.format("%d/%m/%Y")
                                )}</p>
                                <p class="hint"><code class="fingerprint">{c.leaf.fingerprint_sha256.clone()}</code></p>
                                <p class="hint">{format!("Desplegado el {}", format_time(c.deployed_at))}</p>
                            }.into_any(),
                        }
                    }
                }))}
            </Loaded>
            // A rollback deploys the certificate retired last: offered only when there is one.
            {move || {
                let retired = list
                    .get()
                    .and_then(Result::ok)
                    .is_some_and(|all| all.iter().any(|c| c.state == CertificateState::Retired));
                (is_sub() && retired).then(|| view! {
                    <div class="actions-row">
                        <button type="button" class="ghost" disabled=move || busy.get() on:click=move |_| confirming_rollback.set(true)>"Regresar al certificado anterior…"</button>
                    </div>
                })
            }}
            {move || confirming_rollback.get().then(|| view! {
                <div class="confirm" role="alertdialog" aria-labelledby="rollback-question">
                    <p id="rollback-question">{question("rollback")}</p>
                    <div class="actions-row">
                        <button type="button" on:click=move |_| {
                            confirming_rollback.set(false);
                            act(
                                paths::certificates::rollback(),
                                serde_json::json!({}),
                                busy, failure, notice, revision,
                                |c| format!("Se regresó al certificado {}.", common_name(&c.leaf.subject)),
                            );
                        }>"Sí, regresar"</button>
                        <button type="button" class="ghost" on:click=move |_| confirming_rollback.set(false)>"No"</button>
                    </div>
                </div>
            })}
        </section>
        <RotationCard failure=failure notice=notice />
        {move || is_sub().then(|| view! {
            <section class="card" aria-labelledby="upload-title">
                <h2 id="upload-title">"Cargar un certificado"</h2>
                <p class="hint">"El certificado que RENAPO envía por correo (PEM con su cadena, o DER). Se revisa al cargarlo: vigencia, que nombre al servidor de RENAPO configurado y que no traiga llave privada."</p>
                <form on:submit=submit novalidate>
                    <FilePicker id="certificate-file" label="Certificado (.pem, .crt, .cer o .der)" node=picker failure=failure accept=CERTIFICATE_FILES />
                    <button type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Revisando…" } else { "Cargar y revisar" }}
                    </button>
                </form>
            </section>
        })}
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Historial"</h2>
            <Loaded loading="Cargando historial…">
                {move || list.get().map(|result| result.map(|certificates| {
                    view! {
                        <CertificateList certificates=certificates revision=revision failure=failure notice=notice />
                    }.into_any()
                }))}
            </Loaded>
        </section>
    }
}
