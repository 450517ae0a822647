//! Service-level policies (admin): the business days each clock allows per request type, and
//! when a running clock is flagged at risk. Requests keep the targets in force when submitted.

use confrontas_api::{SlaPolicy, SlaPolicyUpdate, paths};
use gloo_net::http::Method;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, format_time};

#[component]
pub fn SlaPoliciesPage() -> impl IntoView {
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let policies =
        LocalResource::new(|| async { api::get::<Vec<SlaPolicy>>(&paths::sla::policies()).await });
    view! {
        <h1>"Niveles de servicio"</h1>
        <p class="lead">"Plazos en días hábiles de cada reloj por tipo de solicitud. Las solicitudes conservan los plazos vigentes cuando se recibieron; los cambios aplican a las que se reciban después."</p>
        <Alert failure=failure notice=notice />
        <Loaded loading="Cargando políticas…">
            {move || policies.get().map(|result| result.map(|list| {
                view! {
                    <div class="table-scroll card">
                        <table>
                            <caption class="visually-hidden">"Políticas de nivel de servicio"</caption>
                            <thead><tr>
                                <th scope="col">"Tipo de solicitud"</th><th scope="col">"Reloj"</th>
                                <th scope="col">"Plazo (días hábiles)"</th><th scope="col">"Aviso «por vencer» (días restantes)"</th>
                                <th scope="col">"Último cambio"</th><th scope="col"><span class="visually-hidden">"Acciones"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|policy| view! {
                                    <PolicyRow policy=policy failure=failure notice=notice on_saved=Callback::new(move |_| policies.refetch()) />
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }))}
        </Loaded>
    }
}

#[component]
fn PolicyRow(
    policy: SlaPolicy,
    failure: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let days = RwSignal::new(policy.business_days.to_string());
    let at_risk = RwSignal::new(policy.at_risk_days.to_string());
    let key = format!("{}-{}", policy.request_type.as_str(), policy.clock.as_str());
    let days_id = format!("days-{key}");
    let risk_id = format!("risk-{key}");
    let label = format!(
        "{} — {}",
        policy.request_type.short_label(),
        policy.clock.label()
    );
    let path = paths::sla::policy(policy.request_type, policy.clock);
    let (days_label, risk_label) = (format!("Plazo de {label}"), format!("Aviso de {label}"));
    let save = move |_| {
        let (Ok(business_days), Ok(at_risk_days)) = (
            days.get_untracked().trim().parse::<u32>(),
            at_risk.get_untracked().trim().parse::<u32>(),
        ) else {
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new(
                    "business_days",
                    "Escriba números enteros de días hábiles.",
                ),
            ])));
            return;
        };
        let update = SlaPolicyUpdate {
            business_days,
            at_risk_days,
        };
        if let Err(errors) = update.validate() {
            failure.set(Some(ApiError::from_fields(errors)));
            return;
        }
        let (path, label) = (path.clone(), label.clone());
        leptos::task::spawn_local(async move {
            match api::send_json::<_, SlaPolicy>(Method::PUT, &path, &update).await {
                Ok(saved) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "{label}: {} días hábiles, aviso con {} restantes.",
                        saved.business_days, saved.at_risk_days
                    )));
                    on_saved.run(());
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <tr>
            <td>{policy.request_type.short_label()}</td>
            <th scope="row">{policy.clock.label()}</th>
            <td><label class="visually-hidden" for=days_id.clone()>{days_label}</label>
                <input id=days_id type="number" min="1" max="250" class="short" bind:value=days /></td>
            <td><label class="visually-hidden" for=risk_id.clone()>{risk_label}</label>
                <input id=risk_id type="number" min="0" max="249" class="short" bind:value=at_risk /></td>
            <td>{format!("{}{}", format_time(Some(policy.updated_at)), policy.updated_by.map(|by| format!(" · {by}")).unwrap_or_default())}</td>
            <td><button type="button" class="ghost small" on:click=save>"Guardar"</button></td>
        </tr>
    }
}
