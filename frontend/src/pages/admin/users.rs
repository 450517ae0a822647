use confrontas_api::{
    NewUser, Page, Role, TemporaryPassword, Unit, User, UserFilter, UserPatch, paths,
};
use gloo_net::http::Method;
use leptos::prelude::*;

use super::active_units;
use crate::api::{self, ApiError};
use crate::components::{
    Alert, Loaded, Pager, Position, TextField, field_error, format_time, status_badge,
};
use crate::session::use_session;
use crate::url_state::{follow_url, use_url_state};

#[component]
pub fn UsersPage() -> impl IntoView {
    let shown = use_url_state::<UserFilter>();
    let search = RwSignal::new(String::new());
    follow_url(search, move || shown.get().q.unwrap_or_default());
    let role = move || shown.get().role.map(Role::as_str).unwrap_or_default();
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let users = LocalResource::new(move || {
        let url = paths::users::list(&UserFilter {
            per_page: Some(20),
            ..shown.get()
        });
        async move { api::get::<Page<User>>(&url).await }
    });
    let type_search = move |event: leptos::ev::Event| {
        let text = event_target_value(&event);
        shown.refilter_as_typed(|filter| filter.q = Some(text).filter(|t| !t.is_empty()));
    };
    let choose_role = move |event: leptos::ev::Event| {
        let role = Role::parse(&event_target_value(&event));
        shown.refilter(|filter| filter.role = role);
    };
    let go_to = shown.page_opener();
    let units = LocalResource::new(active_units);
    let session = use_session();
    let my_id = move || session.me().map(|me| me.id);
    let editing = RwSignal::new(None::<User>);
    let temporary = RwSignal::new(None::<(String, String)>);

    let reset = move |user: User| {
        let question = format!(
            "¿Restablecer la contraseña de {} ({})? Sus sesiones se cerrarán y deberá elegir una nueva al entrar.",
            user.name, user.email
        );
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        leptos::task::spawn_local(async move {
            let answer = api::send_json::<_, TemporaryPassword>(
                Method::POST,
                &paths::users::password_reset(user.id),
                &serde_json::Value::Null,
            )
            .await;
            match answer {
                Ok(answer) => {
                    failure.set(None);
                    notice.set(None);
                    temporary.set(Some((user.name.clone(), answer.temporary_password)));
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    let toggle = move |user: User| {
        leptos::task::spawn_local(async move {
            let patch = UserPatch {
                active: Some(!user.active),
                ..Default::default()
            };
            match api::send_json::<_, User>(Method::PATCH, &paths::users::one(user.id), &patch)
                .await
            {
                Ok(updated) => {
                    failure.set(None);
                    let state = if updated.active {
                        "activa; ya puede iniciar sesión"
                    } else {
                        "desactivada; sus sesiones se cerraron"
                    };
                    notice.set(Some(format!(
                        "La cuenta de {} quedó {state}.",
                        updated.name
                    )));
                    users.refetch();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    view! {
        <h1>"Usuarios"</h1>
        <NewUserForm units=units on_created=Callback::new(move |user: User| {
            notice.set(Some(format!("Se creó la cuenta de {} ({}).", user.name, user.email)));
            users.refetch();
        }) />
        {move || temporary.get().map(|(name, password)| view! {
            <section class="card temporary-password" aria-labelledby="temporary-title" role="status" node_ref=brought_into_view()>
                <h2 id="temporary-title">{format!("Contraseña temporal de {name}")}</h2>
                <p><code class="secret" data-testid="temporary-password">{password}</code></p>
                <p class="hint">"Se muestra solo esta vez: entréguela por un medio seguro. Al iniciar sesión con ella deberá elegir su propia contraseña antes de cualquier otra cosa."</p>
                <button type="button" class="ghost" on:click=move |_| temporary.set(None)>"Ya la entregué; ocultar"</button>
            </section>
        })}
        {move || editing.get().map(|user| view! {
            <EditUserForm user=user units=units
                on_done=Callback::new(move |saved: Option<User>| {
                    editing.set(None);
                    if let Some(saved) = saved {
                        failure.set(None);
                        notice.set(Some(format!("Se guardaron los datos de {}.", saved.name)));
                        users.refetch();
                    }
                }) />
        })}
        <section class="card" aria-labelledby="users-title">
            <h2 id="users-title">"Cuentas registradas"</h2>
            <div class="filters">
                <div class="field">
                    <label for="users-search">"Buscar por nombre o correo"</label>
                    <input id="users-search" type="search" bind:value=search on:input=type_search />
                </div>
                <div class="field">
                    <label for="users-role">"Filtrar por rol"</label>
                    <select id="users-role" prop:value=role on:change=choose_role>
                        <option value="">"Todos"</option>
                        {Role::ALL.iter().map(|role| view! { <option value=role.as_str()>{role.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Alert failure=failure notice=notice />
            <Loaded loading="Cargando usuarios…">
                {move || users.get().map(|result| result.map(|list| match list {
                    list if list.items.is_empty() => view! { <p class="empty">"No hay usuarios que coincidan con los filtros."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <div class="table-scroll" tabindex="0">
                                <table class="cards">
                                    <caption class="visually-hidden">"Usuarios"</caption>
                                    <thead><tr><th scope="col">"Nombre"</th><th scope="col">"Correo"</th><th scope="col">"Unidad"</th><th scope="col">"Rol"</th><th scope="col">"Estado"</th><th scope="col">"Último acceso"</th><th scope="col">"Acciones"</th></tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|user| {
                                            let action = if user.active { "Desactivar" } else { "Activar" };
                                            let label = format!("{action} a {}", user.name);
                                            let target = user.clone();
                                            let to_edit = user.clone();
                                            let to_reset = user.clone();
                                            let is_me = my_id() == Some(user.id);
                                            let actions = if is_me {
                                                view! {
                                                    <td class="actions" data-label="Acciones">
                                                        <button type="button" class="ghost" aria-label=format!("Editar a {}", user.name) on:click=move |_| editing.set(Some(to_edit.clone()))>"Editar"</button>
                                                        <span class="muted">"Su cuenta: la contraseña se cambia en «Mi perfil»"</span>
                                                    </td>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <td class="actions" data-label="Acciones">
                                                        <button type="button" class="ghost" aria-label=format!("Editar a {}", user.name) on:click=move |_| editing.set(Some(to_edit.clone()))>"Editar"</button>
                                                        <button type="button" class="ghost" aria-label=format!("Restablecer contraseña de {}", user.name) on:click=move |_| reset(to_reset.clone())>"Restablecer contraseña"</button>
                                                        <button type="button" class="ghost" aria-label=label on:click=move |_| toggle(target.clone())>{action}</button>
                                                    </td>
                                                }.into_any()
                                            };
                                            view! {
                                                <tr>
                                                    <td data-label="Nombre">{user.name.clone()}<br /><span class="muted">{user.position.clone()}</span></td>
                                                    <td data-label="Correo">{user.email.clone()}</td>
                                                    <td data-label="Unidad"><abbr title=user.unit.name.clone()>{user.unit.key.clone()}</abbr></td>
                                                    <td data-label="Rol">{user.role.label()}</td>
                                                    <td data-label="Estado">{status_badge(user.active)}</td>
                                                    <td data-label="Último acceso">{format_time(user.last_login_at)}</td>
                                                    {actions}
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager at=at go_to=go_to noun=("usuario", "usuarios") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}

#[component]
fn NewUserForm(
    units: LocalResource<Result<Vec<Unit>, ApiError>>,
    on_created: Callback<User>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let position = RwSignal::new(String::new());
    let unit_id = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Area.as_str().to_owned());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(unit) = unit_id.get_untracked().parse::<i64>().ok() else {
            failure.set(Some(local_problem(
                "unit_id",
                "Elija la unidad administrativa.",
            )));
            return;
        };
        let user = NewUser {
            email: email.get_untracked(),
            name: name.get_untracked(),
            position: position.get_untracked(),
            unit_id: unit,
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Area),
            password: password.get_untracked(),
        };
        if let Err(errors) = user.validate() {
            failure.set(Some(ApiError::from_fields(errors)));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome =
                api::send_json::<_, User>(Method::POST, &paths::users::create(), &user).await;
            busy.set(false);
            match outcome {
                Ok(created) => {
                    failure.set(None);
                    for field in [email, name, position, password] {
                        field.set(String::new());
                    }
                    on_created.run(created);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="new-user-title">
            <h2 id="new-user-title">"Nuevo usuario"</h2>
            <form on:submit=submit novalidate class="grid-form">
                <TextField id="email" label="Correo electrónico" value=email input_type="email" error=field_error(failure, "email") />
                <TextField id="name" label="Nombre completo" value=name error=field_error(failure, "name") />
                <TextField id="position" label="Cargo" value=position error=field_error(failure, "position") />
                <div class="field">
                    <label for="unit_id">"Unidad administrativa"</label>
                    <select id="unit_id" bind:value=unit_id aria-describedby="unit_id-error"
                        aria-invalid=move || field_error(failure, "unit_id").get().is_some().to_string()>
                        <option value="">"Elija una unidad"</option>
                        {move || units.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|unit| {
                            view! { <option value=unit.id.to_string()>{format!("{} — {}", unit.key, unit.name)}</option> }
                        }).collect_view()}
                    </select>
                    <p id="unit_id-error" class="field-error">{move || field_error(failure, "unit_id").get()}</p>
                </div>
                <div class="field">
                    <label for="role">"Rol"</label>
                    <select id="role" bind:value=role>
                        {Role::ALL.iter().map(|role| view! { <option value=role.as_str()>{role.label()}</option> }).collect_view()}
                    </select>
                </div>
                <TextField id="password" label="Contraseña inicial" value=password input_type="password" autocomplete="new-password" error=field_error(failure, "password") />
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || busy.get()>"Crear usuario"</button>
            </form>
        </section>
    }
}

/// Edits a user's name, position, unit and role (a new unit or role ends their sessions).
#[component]
fn EditUserForm(
    user: User,
    units: LocalResource<Result<Vec<Unit>, ApiError>>,
    on_done: Callback<Option<User>>,
) -> impl IntoView {
    let name = RwSignal::new(user.name.clone());
    let position = RwSignal::new(user.position.clone());
    let unit_id = RwSignal::new(user.unit.id.to_string());
    let role = RwSignal::new(user.role.as_str().to_owned());
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let id = user.id;
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let patch = UserPatch {
            name: Some(name.get_untracked()),
            position: Some(position.get_untracked()),
            unit_id: unit_id.get_untracked().parse().ok(),
            role: Role::parse(&role.get_untracked()),
            ..Default::default()
        };
        if let Err(errors) = patch.validate() {
            failure.set(Some(ApiError::from_fields(errors)));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome =
                api::send_json::<_, User>(Method::PATCH, &paths::users::one(id), &patch).await;
            busy.set(false);
            match outcome {
                Ok(saved) => on_done.run(Some(saved)),
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="edit-user-title" node_ref=brought_into_view()>
            <h2 id="edit-user-title">{format!("Editar a {} ({})", user.name, user.email)}</h2>
            <form on:submit=submit novalidate class="grid-form">
                <TextField id="edit-name" label="Nombre completo" value=name error=field_error(failure, "name") />
                <TextField id="edit-position" label="Cargo" value=position error=field_error(failure, "position") />
                <div class="field">
                    <label for="edit-unit">"Unidad administrativa"</label>
                    <select id="edit-unit" bind:value=unit_id>
                        // The options come after the value: each says whether it is the one.
                        {move || units.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|unit| {
                            let chosen = unit.id.to_string() == unit_id.get_untracked();
                            view! { <option value=unit.id.to_string() selected=chosen>{format!("{} — {}", unit.key, unit.name)}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="edit-role">"Rol"</label>
                    <select id="edit-role" bind:value=role>
                        {Role::ALL.iter().map(|role| view! { <option value=role.as_str()>{role.label()}</option> }).collect_view()}
                    </select>
                </div>
                <p class="hint">"Un cambio de unidad o de rol cierra sus sesiones."</p>
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <div class="actions-row">
                    <button type="submit" disabled=move || busy.get()>"Guardar cambios"</button>
                    <button type="button" class="ghost" on:click=move |_| on_done.run(None)>"Cancelar"</button>
                </div>
            </form>
        </section>
    }
}

/// A section that scrolls into view when it appears (it opens from a row far below).
fn brought_into_view() -> NodeRef<leptos::html::Section> {
    let section = NodeRef::<leptos::html::Section>::new();
    section.on_load(|element| {
        gloo_timers::callback::Timeout::new(0, move || element.scroll_into_view()).forget();
    });
    section
}

fn local_problem(field: &str, message: &str) -> ApiError {
    ApiError::from_fields(vec![confrontas_api::FieldError::new(field, message)])
}
