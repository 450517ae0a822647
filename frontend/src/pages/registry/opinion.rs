//! Verifying one SAT compliance opinion (32-D) from the URL its QR code holds: what the QR
//! says, whether the opinion is valid today, and whether the registry holds it.

use confrontas_api::{OpinionQr, OpinionVerification, SatOutcome, VerifyOpinionBody, paths};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, ApiError};
use crate::components::{Alert, TextField, field_error};

#[component]
pub fn OpinionPage() -> impl IntoView {
    let url = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let result = RwSignal::new(None::<OpinionVerification>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = url.get_untracked().trim().to_owned();
        // The same reading as the server's, so a mistyped URL is told at once.
        if let Err(problem) = OpinionQr::parse(&text) {
            result.set(None);
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new("url", problem),
            ])));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = api::send_json::<_, OpinionVerification>(
                Method::POST,
                &paths::sat::verify_opinion(),
                &VerifyOpinionBody { url: text },
            )
            .await;
            busy.set(false);
            match outcome {
                Ok(verified) => {
                    failure.set(None);
                    result.set(Some(verified));
                }
                Err(error) => {
                    result.set(None);
                    failure.set(Some(error));
                }
            }
        });
    };
    view! {
        <h1>"Verificar opinión de cumplimiento (32-D)"</h1>
        <p class="lead">"Pegue la dirección que contiene el código QR de la opinión del SAT (la del validador siat.sat.gob.mx). Se muestran sus datos, su vigencia y si coincide con la registrada en el padrón."</p>
        <section class="card" aria-labelledby="qr-title">
            <h2 id="qr-title" class="visually-hidden">"Opinión a verificar"</h2>
            <form on:submit=submit novalidate>
                <TextField id="qr-url" label="Dirección del código QR" value=url error=field_error(failure, "url") />
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Verificando…" } else { "Verificar" }}
                </button>
            </form>
        </section>
        {move || result.get().map(|verified| view! { <Verification verified=verified /> })}
    }
}

fn outcome_label(outcome: Option<SatOutcome>) -> &'static str {
    outcome.map_or("—", SatOutcome::label)
}

#[component]
fn Verification(verified: OpinionVerification) -> impl IntoView {
    let row = |label: &'static str, value: String| {
        view! { <div class="profile-row"><dt>{label}</dt><dd>{value}</dd></div> }
    };
    let validity = if verified.valid {
        view! { <span class="badge badge-ok">"Vigente"</span> }.into_any()
    } else {
        view! { <span class="badge badge-warn">"Vencida"</span> }.into_any()
    };
    let warnings = verified
        .rfc_warnings
        .iter()
        .map(|w| w.message())
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <section class="card" aria-labelledby="opinion-title" data-testid="opinion">
            <h2 id="opinion-title">{format!("Opinión {} · {}", verified.folio, verified.outcome.label())}</h2>
            <dl class="profile">
                {row("Folio", verified.folio.clone())}
                {row("RFC", verified.rfc.clone())}
                {row("Sentido", verified.outcome.label().to_owned())}
                {row("Fecha de emisión", verified.issued_on.format("%d/%m/%Y").to_string())}
                {row("Vigente hasta", verified.valid_until.format("%d/%m/%Y").to_string())}
                <div class="profile-row"><dt>"Vigencia hoy"</dt><dd>{validity}</dd></div>
            </dl>
            {(!warnings.is_empty()).then(|| view! { <p class="alert-warn" role="status">{warnings}</p> })}
        </section>
        <section class="card" aria-labelledby="registry-title">
            <h2 id="registry-title">"En el padrón"</h2>
            {if verified.registry.is_empty() {
                view! { <p class="empty">"Ningún productor del padrón tiene ese RFC."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0">
                        <table>
                            <caption class="visually-hidden">"Productores con ese RFC"</caption>
                            <thead><tr>
                                <th scope="col">"Productor"</th><th scope="col">"Opinión registrada"</th>
                                <th scope="col">"Folio"</th><th scope="col">"Vigente hasta"</th><th scope="col">"Coincide"</th>
                            </tr></thead>
                            <tbody>
                                {verified.registry.into_iter().map(|farmer| view! {
                                    <tr>
                                        <td><A href=format!("/padron/{}", farmer.curp)>{farmer.full_name.clone()}</A><br/><code>{farmer.curp.clone()}</code></td>
                                        <td>{outcome_label(farmer.sat_opinion)}</td>
                                        <td>{farmer.sat_folio.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td>{farmer.sat_valid_until.map_or_else(|| "—".to_owned(), |d| d.format("%d/%m/%Y").to_string())}</td>
                                        <td data-testid="matches">{if farmer.matches {
                                            view! { <span class="badge badge-ok">"Sí, es la registrada"</span> }.into_any()
                                        } else {
                                            view! { <span class="badge badge-warn">"No: el padrón tiene otra"</span> }.into_any()
                                        }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
