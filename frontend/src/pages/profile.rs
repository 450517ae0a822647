//! The user's profile and password change.

use confrontas_api::{ChangePasswordRequest, PASSWORD_MIN_CHARS, paths};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::components::TextField;
use crate::session::{SessionState, use_session};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = use_session();
    let me = move || session.me();
    let row = |label: &'static str, value: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <div class="profile-row">
                <dt>{label}</dt>
                <dd>{value}</dd>
            </div>
        }
    };
    view! {
        <h1>"Mi perfil"</h1>
        {move || me().is_some_and(|m| m.must_change_password).then(|| view! {
            <p class="alert-error" role="alert" data-testid="temporary-password-notice">
                "Entró con una contraseña temporal que le dio la administración. Elija su propia contraseña aquí abajo para continuar: escriba la temporal como contraseña actual."
            </p>
        })}
        <section class="card" aria-labelledby="data-title">
            <h2 id="data-title">"Datos de la cuenta"</h2>
            <dl class="profile" data-testid="profile">
                {row("Nombre", Box::new(move || me().map(|m| m.name).unwrap_or_default()))}
                {row("Correo electrónico", Box::new(move || me().and_then(|m| m.email).unwrap_or_default()))}
                {row("Cargo", Box::new(move || me().and_then(|m| m.position).unwrap_or_default()))}
                {row("Unidad administrativa", Box::new(move || me().map(|m| format!("{} ({})", m.unit.name, m.unit.key)).unwrap_or_default()))}
                {row("Rol", Box::new(move || me().and_then(|m| m.role).map(|r| r.label().to_owned()).unwrap_or_default()))}
            </dl>
        </section>
        <ChangePassword />
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<(String, String)>::new());
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error_for = move |field: &'static str| {
        move || {
            errors
                .get()
                .into_iter()
                .find(|(f, _)| f == field)
                .map(|(_, m)| m)
        }
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        form_error.set(None);
        let request = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        let mut problems: Vec<(String, String)> = request
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        if confirm.get_untracked() != request.new_password {
            problems.push((
                "confirm".into(),
                "La confirmación no coincide con la nueva contraseña.".into(),
            ));
        }
        errors.set(problems.clone());
        if !problems.is_empty() {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let outcome =
                api::send_empty(Method::POST, &paths::auth::password(), Some(&request)).await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    // The server ended every session; start over with the new password.
                    api::forget_tokens();
                    session.0.set(SessionState::Anonymous);
                    navigate("/ingresar", Default::default());
                }
                Err(error) => {
                    if let Some(problem) = &error.problem {
                        errors.set(
                            problem
                                .errors
                                .iter()
                                .map(|e| (e.field.clone(), e.message.clone()))
                                .collect(),
                        );
                    }
                    form_error.set(Some(error.message()));
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Cambiar contraseña"</h2>
            <p class="hint">
                {format!("Use al menos {PASSWORD_MIN_CHARS} caracteres. Al cambiarla se cierran todas sus sesiones.")}
            </p>
            <form on:submit=submit novalidate>
                <TextField id="current_password" label="Contraseña actual" value=current error=error_for("current_password") input_type="password" autocomplete="current-password" />
                <TextField id="new_password" label="Nueva contraseña" value=new error=error_for("new_password") input_type="password" autocomplete="new-password" />
                <TextField id="confirm" label="Confirme la nueva contraseña" value=confirm error=error_for("confirm") input_type="password" autocomplete="new-password" />
                <div class="alert" role="alert">
                    {move || form_error.get().map(|message| view! { <p class="alert-error">{message}</p> })}
                </div>
                <button type="submit" disabled=move || busy.get()>"Cambiar contraseña"</button>
            </form>
        </section>
    }
}
