//! Layout check: download the template, upload a filled layout, read the report row by row and
//! download it as a workbook. Open to every role.

use confrontas_api::{LayoutCheckParams, LayoutIssueKind, LayoutReport, ReportFormat, paths};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Alert, FilePicker, chosen_file, count_of};

/// Issues shown per page of the report table.
const PER_PAGE: usize = 25;

#[component]
pub fn LayoutCheckPage() -> impl IntoView {
    let picker = NodeRef::<leptos::html::Input>::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let report = RwSignal::new(None::<LayoutReport>);
    // The checked file stays in the page, so its report can be downloaded without choosing it again.
    let checked = StoredValue::new_local(None::<web_sys::File>);
    let template = move |_| {
        leptos::task::spawn_local(async move {
            let outcome = api::download(&paths::layouts::template(), "layout_curp.xlsx").await;
            failure.set(outcome.err());
        });
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let file = match chosen_file(picker, "Elija el archivo del layout (.xlsx o .csv).") {
            Ok(file) => file,
            Err(missing) => {
                failure.set(Some(missing));
                return;
            }
        };
        busy.set(true);
        report.set(None);
        checked.set_value(Some(file.clone()));
        leptos::task::spawn_local(async move {
            let outcome = api::upload::<LayoutReport>(
                &paths::layouts::validate(&LayoutCheckParams::default()),
                &file,
            )
            .await;
            busy.set(false);
            match outcome {
                Ok(result) => {
                    failure.set(None);
                    report.set(Some(result));
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let download_report = move || {
        if let Some(file) = checked.get_value() {
            download_report(file, failure);
        }
    };
    view! {
        <h1>"Validar layout de CURP"</h1>
        <p class="lead">"Revise el archivo antes de enviarlo con una solicitud: se señalan las CURP no válidas (con el motivo), repetidas, sin CURP o fuera del padrón, y las advertencias de RFC, con el número de fila que muestra Excel."</p>
        <section class="card" aria-labelledby="template-title">
            <h2 id="template-title">"1. Plantilla"</h2>
            <p class="hint">"La plantilla trae los encabezados, una fila de ejemplo, notas en cada columna y validación de datos. La columna CURP es obligatoria."</p>
            <button type="button" class="ghost" on:click=template>"Descargar plantilla (.xlsx)"</button>
        </section>
        <section class="card" aria-labelledby="check-title">
            <h2 id="check-title">"2. Validar"</h2>
            <form on:submit=submit novalidate>
                <FilePicker id="file" label="Archivo del layout (.xlsx o .csv)" node=picker failure=failure />
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Validando…" } else { "Validar" }}
                </button>
            </form>
        </section>
        {move || report.get().map(|r| view! { <Report report=r on_download=Callback::new(move |_| download_report()) /> })}
    }
}

/// Checks `file` again and saves the full report as a workbook; a failure goes to `failure`.
pub fn download_report(file: web_sys::File, failure: RwSignal<Option<ApiError>>) {
    leptos::task::spawn_local(async move {
        let outcome = api::upload_and_save(
            &paths::layouts::validate(&LayoutCheckParams {
                format: Some(ReportFormat::Xlsx),
            }),
            &file,
            "reporte_layout.xlsx",
        )
        .await;
        failure.set(outcome.err());
    });
}

#[component]
pub fn Report(report: LayoutReport, on_download: Callback<()>) -> impl IntoView {
    let totals = report.totals.clone();
    let clean = report.is_clean();
    let page = RwSignal::new(1usize);
    let kind = RwSignal::new(String::new());
    let issues = StoredValue::new(report.issues.clone());
    let shown = Memo::new(move |_| {
        let wanted = kind.get();
        issues.with_value(|all| {
            all.iter()
                .filter(|i| wanted.is_empty() || kind_code(i.kind) == wanted)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let page_count = move || shown.with(|s| s.len().div_ceil(PER_PAGE).max(1));
    let summary = if clean {
        format!(
            "El layout está listo: {}.",
            count_of(totals.valid_rows, "fila válida", "filas válidas")
        )
    } else {
        format!(
            "El layout tiene {} de {}; corríjalas antes de enviarlo.",
            count_of(
                totals.rows_with_errors,
                "fila con errores",
                "filas con errores"
            ),
            count_of(totals.rows, "fila", "filas")
        )
    };
    let counts = [
        ("Filas con datos", totals.rows),
        ("Filas válidas", totals.valid_rows),
        ("Filas con errores", totals.rows_with_errors),
        ("CURP no válidas", totals.invalid_curp),
        ("Sin CURP", totals.missing_curp),
        ("CURP repetidas", totals.duplicates),
        ("No están en el padrón", totals.not_in_registry),
        ("Advertencias de RFC", totals.rfc_warnings),
    ];
    view! {
        <section class="card" aria-labelledby="report-title">
            <div class="section-head">
                <h2 id="report-title">{format!("Reporte de «{}»", report.file_name)}</h2>
                <button type="button" class="ghost" on:click=move |_| on_download.run(())>"Descargar reporte (.xlsx)"</button>
            </div>
            <p class=if clean { "alert-ok" } else { "alert-error" } role="status">{summary}</p>
            <p class="muted">{format!("Encabezados en la fila {}; columnas reconocidas: {}.", report.header_row, report.columns.join(", "))}</p>
            <dl class="totals">
                {counts.into_iter().map(|(label, value)| view! { <div><dt>{label}</dt><dd>{value}</dd></div> }).collect_view()}
            </dl>
            {report.issues_truncated.then(|| view! {
                <p class="hint">"Se muestran las primeras 1,000 observaciones; el reporte en Excel las tiene todas."</p>
            })}
            {(!report.issues.is_empty()).then(|| view! {
                <div class="filters">
                    <div class="field">
                        <label for="issue-kind">"Mostrar"</label>
                        <select id="issue-kind" bind:value=kind on:change=move |_| page.set(1)>
                            <option value="">"Todas las observaciones"</option>
                            {LayoutIssueKind::ALL.iter().map(|k| view! { <option value=kind_code(*k)>{k.label()}</option> }).collect_view()}
                        </select>
                    </div>
                </div>
                <table>
                    <caption class="visually-hidden">"Observaciones por fila"</caption>
                    <thead><tr><th scope="col">"Fila"</th><th scope="col">"CURP"</th><th scope="col">"Observación"</th><th scope="col">"Detalle"</th></tr></thead>
                    <tbody>
                        {move || shown.with(|all| {
                            let start = (page.get() - 1) * PER_PAGE;
                            all.iter().skip(start).take(PER_PAGE).map(|issue| {
                                let class = if issue.kind.is_error() { "badge badge-error" } else { "badge badge-warn" };
                                view! {
                                    <tr>
                                        <td>{issue.row}</td>
                                        <td><code>{if issue.curp.is_empty() { "—".to_owned() } else { issue.curp.clone() }}</code></td>
                                        <td><span class=class>{issue.kind.label()}</span></td>
                                        <td>{issue.message.clone()}</td>
                                    </tr>
                                }
                            }).collect_view()
                        })}
                    </tbody>
                </table>
                <nav class="pager" aria-label="Paginación de observaciones">
                    <button type="button" class="ghost" disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"Anterior"</button>
                    <span aria-live="polite">{move || {
                        let count = shown.with(Vec::len);
                        let noun = if count == 1 { "observación" } else { "observaciones" };
                        format!("Página {} de {} · {count} {noun}", page.get(), page_count())
                    }}</span>
                    <button type="button" class="ghost" disabled=move || { page.get() >= page_count() } on:click=move |_| page.update(|p| *p += 1)>"Siguiente"</button>
                </nav>
            })}
        </section>
    }
}

fn kind_code(kind: LayoutIssueKind) -> &'static str {
    match kind {
        LayoutIssueKind::MissingCurp => "missing_curp",
        LayoutIssueKind::InvalidCurp => "invalid_curp",
        LayoutIssueKind::Duplicate => "duplicate",
        LayoutIssueKind::NotInRegistry => "not_in_registry",
        LayoutIssueKind::RfcWarning => "rfc_warning",
    }
}
