//! Login: labelled fields, errors announced to assistive technology, paste and password
//! managers allowed (WCAG 3.3.8).

use confrontas_api::{LoginRequest, Me, paths};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::TextField;
use crate::session::{SessionState, use_session};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    // Only same-site paths are followed after login.
    let destination = move || {
        query
            .get_untracked()
            .get("siguiente")
            .filter(|next| next.starts_with('/') && !next.starts_with("//"))
            .unwrap_or_else(|| "/".into())
    };

    let go_home = navigate.clone();
    Effect::new(move |_| {
        if matches!(session.0.get(), SessionState::Active(_)) {
            go_home(&destination(), Default::default());
        }
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = LoginRequest {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        form_error.set(None);
        let problems = request.validate().err().unwrap_or_default();
        let for_field = |field: &str| {
            problems
                .iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone())
        };
        email_error.set(for_field("email"));
        password_error.set(for_field("password"));
        if !problems.is_empty() {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let outcome = async {
                let tokens = api::login(&request).await?;
                api::keep_tokens(&tokens);
                api::get::<Me>(&paths::auth::me()).await
            }
            .await;
            busy.set(false);
            match outcome {
                Ok(me) => {
                    password.set(String::new());
                    session.0.set(SessionState::Active(Box::new(me)));
                    navigate(&destination(), Default::default());
                }
                Err(error) => {
                    api::forget_tokens();
                    email_error.set(error.field_message("email"));
                    password_error.set(error.field_message("password"));
                    form_error.set(Some(error.message()));
                }
            }
        });
    };

    view! {
        <main id="contenido" class="login-page">
            <section class="login-card" aria-labelledby="login-title">
                <p class="brand">"Confrontas"</p>
                <h1 id="login-title">"Iniciar sesión"</h1>
                <p class="subtitle">"Servicio de Integración de Información de Confrontas de la DGTIC"</p>
                <form on:submit=submit novalidate>
                    <TextField id="email" label="Correo electrónico" value=email error=email_error input_type="email" autocomplete="username" />
                    <TextField id="password" label="Contraseña" value=password error=password_error input_type="password" autocomplete="current-password" />
                    <div class="alert" role="alert">
                        {move || form_error.get().map(|message| view! { <p class="alert-error">{message}</p> })}
                    </div>
                    <button type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Verificando…" } else { "Iniciar sesión" }}
                    </button>
                </form>
            </section>
        </main>
    }
}
