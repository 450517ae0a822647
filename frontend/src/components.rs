//! Small pieces the pages share: labelled inputs with their errors, pagination, alerts.

use leptos::prelude::*;

use crate::api::ApiError;

/// A labelled input whose error message is tied to it with `aria-describedby`.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type=input_type
                autocomplete=autocomplete
                bind:value=value
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}

/// The message the server gave for `field` in the last failed submission.
pub fn field_error(
    failure: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || failure.get().and_then(|error| error.field_message(field)))
}

/// A live region announcing the outcome of the last action.
#[component]
pub fn Alert(
    failure: RwSignal<Option<ApiError>>,
    #[prop(into)] notice: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="alert" role="alert">
            {move || failure.get().map(|error| view! { <p class="alert-error">{error.message()}</p> })}
            {move || notice.get().map(|message| view! { <p class="alert-ok">{message}</p> })}
        </div>
    }
}

/// Previous/next pagination with the position and total, for any list endpoint.
#[component]
pub fn Pager(
    page: RwSignal<u32>,
    #[prop(into)] page_count: Signal<u64>,
    #[prop(into)] total: Signal<u64>,
    noun: (&'static str, &'static str),
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Paginación">
            <button type="button" class="ghost" disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>
                "Anterior"
            </button>
            <span aria-live="polite">
                {move || {
                    let total = total.get();
                    let noun = if total == 1 { noun.0 } else { noun.1 };
                    format!("Página {} de {} · {total} {noun}", page.get(), page_count.get())
                }}
            </span>
            <button type="button" class="ghost" disabled=move || { u64::from(page.get()) >= page_count.get() } on:click=move |_| page.update(|p| *p += 1)>
                "Siguiente"
            </button>
        </nav>
    }
}

/// "Activo"/"Inactivo" as a badge that does not rely on colour alone.
pub fn status_badge(active: bool) -> impl IntoView {
    if active {
        view! { <span class="badge badge-ok">"Activo"</span> }
    } else {
        view! { <span class="badge badge-off">"Inactivo"</span> }
    }
}

/// `2026-11-22 18:30` in Mexico City time is what people expect; the API gives UTC. Without a
/// time-zone database in the bundle, show the UTC time with its suffix rather than guess.
pub fn format_time(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map_or_else(
        || "Nunca".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// A query-string value, percent-encoded.
pub fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

/// A labelled file input for `.xlsx`/`.csv`, with its error (field `file`) tied to it.
#[component]
pub fn FilePicker(
    id: &'static str,
    label: &'static str,
    node: NodeRef<leptos::html::Input>,
    failure: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let error = field_error(failure, "file");
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="file"
                accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
                node_ref=node
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}

/// The file chosen in a file input, or an error on the field `file` saying what to choose.
pub fn chosen_file(
    node: NodeRef<leptos::html::Input>,
    missing: &str,
) -> Result<web_sys::File, ApiError> {
    node.get_untracked()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
        .ok_or_else(|| {
            ApiError::from_fields(vec![confrontas_api::FieldError::new("file", missing)])
        })
}
