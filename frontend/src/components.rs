//! Small pieces the pages share: labelled inputs with their errors, what a resource loaded (or
//! why it could not), pagination, alerts.

use confrontas_api::Page;
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

/// What a resource loaded, shown by `children` (which answer the resource's `Result`): a
/// loading line the first time, the previous content (marked busy, dimmed) while it loads
/// again, and in place of the content the server's reason when it fails (every page shows
/// failures the same way). A page whose heading comes with what it loads gives the `heading`
/// to show above the reason.
#[component]
pub fn Loaded(
    loading: &'static str,
    #[prop(optional)] heading: Option<&'static str>,
    children: ChildrenFn,
) -> impl IntoView {
    let reloading = RwSignal::new(false);
    view! {
        <div class="loaded" aria-busy=move || reloading.get().to_string()>
            <Transition fallback=move || view! { <p role="status">{loading}</p> } set_pending=reloading>
                <ErrorBoundary fallback=move |errors| view! {
                    {heading.map(|heading| view! { <h1>{heading}</h1> })}
                    {move || errors.get().into_iter().map(|(_, error)| view! {
                        <p class="alert-error" role="alert">{error.to_string()}</p>
                    }).collect_view()}
                }>
                    {children()}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

/// Where a loaded page of a list stands: its number, how many pages there are, how many items
/// in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    page: u32,
    page_count: u64,
    total: u64,
}

impl Position {
    pub fn of<T>(list: &Page<T>) -> Self {
        Position {
            page: list.page,
            page_count: list.page_count(),
            total: list.total,
        }
    }
}

/// Pagination for any list endpoint: previous, numbered pages and next, and where the loaded
/// page stands (`at`, taken from the answer itself, so it always describes the rows on screen);
/// `go_to` moves it.
#[component]
pub fn Pager(
    at: Position,
    #[prop(into)] go_to: Callback<u32>,
    noun: (&'static str, &'static str),
) -> impl IntoView {
    let Position {
        page,
        page_count,
        total,
    } = at;
    let noun = if total == 1 { noun.0 } else { noun.1 };
    let numbers = confrontas_api::page_numbers(u64::from(page), page_count)
        .into_iter()
        .map(|number| match number {
            Some(number) if number == u64::from(page) => view! {
                <li><button type="button" class="page-number" aria-current="page" aria-label=format!("Página {number}, la actual")>{thousands(number)}</button></li>
            }
            .into_any(),
            Some(number) => view! {
                <li><button type="button" class="ghost page-number" aria-label=format!("Página {number}")
                    on:click=move |_| go_to.run(number as u32)>{thousands(number)}</button></li>
            }
            .into_any(),
            None => view! { <li class="gap" aria-hidden="true">"…"</li> }.into_any(),
        })
        .collect_view();
    view! {
        <nav class="pager" aria-label="Paginación">
            <button type="button" class="ghost" disabled={page <= 1} on:click=move |_| go_to.run(page.saturating_sub(1).max(1))>
                "Anterior"
            </button>
            {(page_count > 1).then(|| view! { <ul class="page-numbers">{numbers}</ul> })}
            <button type="button" class="ghost" disabled={u64::from(page) >= page_count} on:click=move |_| go_to.run(page + 1)>
                "Siguiente"
            </button>
            <span aria-live="polite">{format!("Página {} de {} · {} {noun}", thousands(u64::from(page)), thousands(page_count), thousands(total))}</span>
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

/// An instant as people in the ministry read it: day, month, year and time in Mexico City
/// (`27/11/2026, 08:07`). The browser's own time-zone data (`Intl`) does the conversion, so the
/// bundle carries none.
pub fn format_time(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let Some(time) = time else {
        return "Nunca".to_owned();
    };
    let options = js_sys::Object::new();
    for (key, value) in [
        ("timeZone", "America/Mexico_City"),
        ("day", "2-digit"),
        ("month", "2-digit"),
        ("year", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let date = js_sys::Date::new(&(time.timestamp_millis() as f64).into());
    String::from(date.to_locale_string("es-MX", &options))
}

/// What a spreadsheet file input accepts.
pub const SPREADSHEETS: &str =
    ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv";

/// A labelled file input (by default for `.xlsx`/`.csv`), with the error the server gives for
/// its form field (by default `file`) tied to it.
#[component]
pub fn FilePicker(
    id: &'static str,
    label: &'static str,
    node: NodeRef<leptos::html::Input>,
    failure: RwSignal<Option<ApiError>>,
    #[prop(default = "file")] field: &'static str,
    #[prop(default = SPREADSHEETS)] accept: &'static str,
    /// Called when another file is chosen (what was said of the previous one no longer holds).
    #[prop(optional)]
    on_change: Option<Callback<()>>,
) -> impl IntoView {
    let error = field_error(failure, field);
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="file"
                accept=accept
                on:change=move |_| {
                    if let Some(changed) = on_change {
                        changed.run(());
                    }
                }
                node_ref=node
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}

/// The file chosen in a file input, if any.
pub fn picked_file(node: NodeRef<leptos::html::Input>) -> Option<web_sys::File> {
    node.get_untracked()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
}

/// The file chosen in a file input, or an error on the field `file` saying what to choose.
pub fn chosen_file(
    node: NodeRef<leptos::html::Input>,
    missing: &str,
) -> Result<web_sys::File, ApiError> {
    picked_file(node).ok_or_else(|| {
        ApiError::from_fields(vec![confrontas_api::FieldError::new("file", missing)])
    })
}

/// A labelled multi-line text field whose error message is tied to it.
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = 3)] rows: u32,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <textarea
                id=id
                rows=rows
                maxlength="2000"
                bind:value=value
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            ></textarea>
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}

/// `1 fila`, `3 filas`, `12,500 filas`: a count with its noun in the right number.
pub fn count_of(count: u64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(count),
        if count == 1 { one } else { many }
    )
}

pub use confrontas_api::thousands;

/// A file size people read: `512 B`, `34.2 KB`, `1.5 MB`.
pub fn file_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The page's numeric `:id` route parameter (0 when it is not a number: the server then says
/// there is no such record).
pub fn use_id_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    }
}
