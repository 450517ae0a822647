//! The subsidy eligibility policy (admin): for each sense of the SAT opinion, whether it makes
//! a farmer eligible and on what conditions; saved whole, with the reason, on the version read.

use confrontas_api::{EligibilityPolicy, EligibilityPolicyUpdate, EligibilityRule, paths};
use gloo_net::http::Method;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, format_time};

#[component]
pub fn EligibilityPolicyPage() -> impl IntoView {
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let policy = LocalResource::new(|| async {
        api::get::<EligibilityPolicy>(&paths::sat::eligibility_policy()).await
    });
    view! {
        <h1>"Política de elegibilidad"</h1>
        <p class="lead">"Qué sentido de la opinión de cumplimiento del SAT hace elegible a un productor para los apoyos, y con qué condiciones. Una opinión vencida siempre requiere una nueva. Los cambios se aplican de inmediato a lo que se consulte después y quedan en la bitácora."</p>
        <Alert failure=failure notice=notice />
        <Loaded loading="Cargando la política…">
            {move || policy.get().map(|result| result.map(|current| view! {
                <PolicyForm current=current failure=failure notice=notice on_saved=Callback::new(move |_| policy.refetch()) />
            }))}
        </Loaded>
    }
}

#[component]
fn PolicyForm(
    current: EligibilityPolicy,
    failure: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let rules: Vec<(EligibilityRule, RwSignal<bool>, RwSignal<String>)> = current
        .rules
        .iter()
        .map(|rule| {
            (
                rule.clone(),
                RwSignal::new(rule.eligible),
                RwSignal::new(rule.condition.clone().unwrap_or_default()),
            )
        })
        .collect();
    let comment = RwSignal::new(String::new());
    let version = current.version;
    let fields = rules.clone();
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let update = EligibilityPolicyUpdate {
            rules: fields
                .iter()
                .map(|(rule, eligible, condition)| EligibilityRule {
                    outcome: rule.outcome,
                    eligible: eligible.get_untracked(),
                    condition: Some(condition.get_untracked()).filter(|c| !c.trim().is_empty()),
                })
                .collect(),
            version,
            comment: comment.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let path = paths::sat::eligibility_policy();
            match api::send_json::<_, EligibilityPolicy>(Method::PUT, &path, &update).await {
                Ok(saved) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "Política guardada (versión {}).",
                        saved.version
                    )));
                    on_saved.run(());
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let last_change = match (&current.updated_at, &current.updated_by) {
        (Some(at), by) => format!(
            "Versión {} · cambiada el {}{}{}",
            current.version,
            format_time(Some(*at)),
            by.as_ref()
                .map(|by| format!(" por {by}"))
                .unwrap_or_default(),
            current
                .comment
                .as_ref()
                .map(|c| format!(" · Motivo: {c}"))
                .unwrap_or_default()
        ),
        (None, _) => "Política predeterminada: nadie la ha cambiado.".to_owned(),
    };
    view! {
        <form class="card wide-form" on:submit=save aria-labelledby="policy-title">
            <h2 id="policy-title">"Veredicto por sentido"</h2>
            <p class="muted" data-testid="policy-version">{last_change}</p>
            <div class="table-scroll" tabindex="0">
                <table>
                    <caption class="visually-hidden">"Reglas de elegibilidad por sentido de la opinión"</caption>
                    <thead><tr>
                        <th scope="col">"Sentido de la opinión"</th><th scope="col">"Elegible"</th>
                        <th scope="col">"Condiciones del programa (se muestran con el veredicto)"</th>
                    </tr></thead>
                    <tbody>
                        {rules.into_iter().map(|(rule, eligible, condition)| {
                            let key = rule.outcome.as_str();
                            let (check_id, condition_id) = (format!("eligible-{key}"), format!("condition-{key}"));
                            let label = rule.outcome.label();
                            view! {
                                <tr>
                                    <th scope="row">{label}</th>
                                    <td>
                                        <input id=check_id.clone() type="checkbox" bind:checked=eligible />
                                        <label for=check_id class="visually-hidden">{format!("{label}: elegible")}</label>
                                    </td>
                                    <td>
                                        <label for=condition_id.clone() class="visually-hidden">{format!("Condiciones para «{label}»")}</label>
                                        <input id=condition_id type="text" maxlength=confrontas_api::CONDITION_MAX.to_string() bind:value=condition />
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <label for="policy-comment">"Motivo del cambio (p. ej., las reglas de operación del programa)"</label>
            <input id="policy-comment" type="text" maxlength="500" required bind:value=comment />
            <button type="submit">"Guardar política"</button>
        </form>
    }
}
