use confrontas_api::{
    ApiClient, ApiClientCredentials, ApiClientPatch, ApiScope, NameFilter, NewApiClient, Page,
    Unit, paths,
};
use gloo_net::http::Method;
use leptos::prelude::*;

use super::active_units;
use crate::api::{self, ApiError};
use crate::components::{
    Alert, Loaded, Pager, Position, TextField, field_error, format_time, status_badge,
};
use crate::url_state::use_url_state;

fn scope_label(scope: ApiScope) -> &'static str {
    match scope {
        ApiScope::ConsultaCurp => "Consulta de CURP en RENAPO",
    }
}

#[component]
pub fn ApiClientsPage() -> impl IntoView {
    let shown = use_url_state::<NameFilter>();
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    // A secret is shown once, right after it is issued.
    let issued = RwSignal::new(None::<ApiClientCredentials>);
    let clients = LocalResource::new(move || {
        let url = paths::api_clients::list(&NameFilter {
            per_page: Some(20),
            ..shown.get()
        });
        async move { api::get::<Page<ApiClient>>(&url).await }
    });
    let units = LocalResource::new(active_units);
    let go_to = shown.page_opener();

    let toggle = move |client: ApiClient| {
        leptos::task::spawn_local(async move {
            let patch = ApiClientPatch {
                active: Some(!client.active),
                ..Default::default()
            };
            match api::send_json::<_, ApiClient>(
                Method::PATCH,
                &paths::api_clients::one(client.id),
                &patch,
            )
            .await
            {
                Ok(updated) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "El cliente {} quedó {}.",
                        updated.name,
                        if updated.active {
                            "activo"
                        } else {
                            "inactivo; sus tokens dejaron de funcionar"
                        }
                    )));
                    clients.refetch();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let rotate = move |client: ApiClient| {
        leptos::task::spawn_local(async move {
            match api::send_json::<_, ApiClientCredentials>(
                Method::POST,
                &paths::api_clients::secret(client.id),
                &(),
            )
            .await
            {
                Ok(credentials) => {
                    failure.set(None);
                    notice.set(None);
                    issued.set(Some(credentials));
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    view! {
        <h1>"Clientes API"</h1>
        <p class="lead">"Sistemas asociados que consumen la API con credenciales de cliente (client_credentials)."</p>
        {move || issued.get().map(|credentials| view! {
            <section class="card secret" aria-labelledby="secret-title" role="status">
                <h2 id="secret-title">"Secreto de " {credentials.client.name.clone()}</h2>
                <p>"Cópielo ahora y entréguelo por un canal seguro: no se volverá a mostrar."</p>
                <dl class="profile">
                    <div class="profile-row"><dt>"client_id"</dt><dd><code>{credentials.client.client_id.clone()}</code></dd></div>
                    <div class="profile-row"><dt>"client_secret"</dt><dd><code data-testid="client-secret">{credentials.client_secret.clone()}</code></dd></div>
                </dl>
                <button type="button" class="ghost" on:click=move |_| issued.set(None)>"Ya lo guardé"</button>
            </section>
        })}
        <NewClientForm units=units on_created=Callback::new(move |credentials: ApiClientCredentials| {
            issued.set(Some(credentials));
            clients.refetch();
        }) />
        <section class="card" aria-labelledby="clients-title">
            <h2 id="clients-title">"Clientes registrados"</h2>
            <Alert failure=failure notice=notice />
            <Loaded loading="Cargando clientes…">
                {move || clients.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! { <p class="empty">"Aún no hay clientes API registrados."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <div class="table-scroll" tabindex="0">
                                <table>
                                    <caption class="visually-hidden">"Clientes API"</caption>
                                    <thead><tr><th scope="col">"Nombre"</th><th scope="col">"client_id"</th><th scope="col">"Unidad"</th><th scope="col">"Alcances"</th><th scope="col">"Estado"</th><th scope="col">"Último uso"</th><th scope="col">"Acciones"</th></tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|client| {
                                            let action = if client.active { "Desactivar" } else { "Activar" };
                                            let (for_toggle, for_rotate) = (client.clone(), client.clone());
                                            view! {
                                                <tr>
                                                    <td>{client.name.clone()}</td>
                                                    <td><code>{client.client_id.clone()}</code></td>
                                                    <td>{client.unit.key.clone()}</td>
                                                    <td>{client.scopes.iter().map(|s| scope_label(*s)).collect::<Vec<_>>().join(", ")}</td>
                                                    <td>{status_badge(client.active)}</td>
                                                    <td>{format_time(client.last_used_at)}</td>
                                                    <td class="actions">
                                                        <button type="button" class="ghost" aria-label=format!("{action} {}", client.name) on:click=move |_| toggle(for_toggle.clone())>{action}</button>
                                                        <button type="button" class="ghost" aria-label=format!("Nuevo secreto para {}", client.name) on:click=move |_| rotate(for_rotate.clone())>"Nuevo secreto"</button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager at=at go_to=go_to noun=("cliente", "clientes") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}

#[component]
fn NewClientForm(
    units: LocalResource<Result<Vec<Unit>, ApiError>>,
    on_created: Callback<ApiClientCredentials>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let unit_id = RwSignal::new(String::new());
    let consulta_curp = RwSignal::new(true);
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(unit) = unit_id.get_untracked().parse::<i64>() else {
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new("unit_id", "Elija la unidad administrativa."),
            ])));
            return;
        };
        let scopes = if consulta_curp.get_untracked() {
            vec![ApiScope::ConsultaCurp]
        } else {
            Vec::new()
        };
        let client = NewApiClient {
            name: name.get_untracked(),
            unit_id: unit,
            scopes,
        };
        if let Err(errors) = client.validate() {
            failure.set(Some(ApiError::from_fields(errors)));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = api::send_json::<_, ApiClientCredentials>(
                Method::POST,
                &paths::api_clients::create(),
                &client,
            )
            .await;
            busy.set(false);
            match outcome {
                Ok(credentials) => {
                    failure.set(None);
                    name.set(String::new());
                    on_created.run(credentials);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="new-client-title">
            <h2 id="new-client-title">"Nuevo cliente API"</h2>
            <form on:submit=submit novalidate class="grid-form">
                <TextField id="client-name" label="Nombre del sistema" value=name error=field_error(failure, "name") />
                <div class="field">
                    <label for="client-unit">"Unidad administrativa responsable"</label>
                    <select id="client-unit" bind:value=unit_id aria-describedby="client-unit-error">
                        <option value="">"Elija una unidad"</option>
                        {move || units.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|unit| {
                            view! { <option value=unit.id.to_string()>{format!("{} — {}", unit.key, unit.name)}</option> }
                        }).collect_view()}
                    </select>
                    <p id="client-unit-error" class="field-error">{move || field_error(failure, "unit_id").get()}</p>
                </div>
                <fieldset class="field">
                    <legend>"Alcances"</legend>
                    <div class="checkbox">
                        <input id="scope-consulta" type="checkbox" bind:checked=consulta_curp aria-describedby="scopes-error" />
                        <label for="scope-consulta">{scope_label(ApiScope::ConsultaCurp)}</label>
                    </div>
                    <p id="scopes-error" class="field-error">{move || field_error(failure, "scopes").get()}</p>
                </fieldset>
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || busy.get()>"Registrar cliente"</button>
            </form>
        </section>
    }
}
