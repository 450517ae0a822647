//! New request (areas): the data of the oficio, the documents (with the oficio format and the
//! layout template to download), a check of the layout before sending, and the submission.
//! A layout with rows in error is refused by the server too; its rows are listed here.

use confrontas_api::{
    LayoutCheckParams, LayoutReport, NewRequestFields, RequestDetail, RequestType, paths,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError};
use crate::components::{Alert, FilePicker, TextField, field_error, picked_file};
use crate::pages::layouts::{Report, download_report};

#[component]
pub fn NewRequestPage() -> impl IntoView {
    let navigate = use_navigate();
    let request_type = RwSignal::new(RequestType::Renapo);
    let subject = RwSignal::new(String::new());
    let signer_name = RwSignal::new(String::new());
    let signer_position = RwSignal::new(String::new());
    let oficio = NodeRef::<leptos::html::Input>::new();
    let layout = NodeRef::<leptos::html::Input>::new();
    let failure = RwSignal::new(None::<ApiError>);
    let check_failure = RwSignal::new(None::<ApiError>);
    let report = RwSignal::new(None::<LayoutReport>);
    let checking = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let needs_layout = move || request_type.get().needs_layout();
    // What was said of a layout (its report, its refused rows, a failed check) is about that
    // file only: another file, or a check that passes, takes it away.
    let about_layout = move |error: &ApiError| {
        error.problem.as_ref().is_some_and(|p| {
            p.code == "layout_has_errors" || p.errors.iter().any(|e| e.field == "layout")
        })
    };
    let forget_layout = move || {
        report.set(None);
        check_failure.set(None);
        if failure.with_untracked(|f| f.as_ref().is_some_and(about_layout)) {
            failure.set(None);
        }
    };

    let download = move |path: String, name: &'static str| {
        leptos::task::spawn_local(async move {
            failure.set(api::download(&path, name).await.err());
        });
    };
    let check_layout = move |_| {
        let Some(file) = picked_file(layout) else {
            check_failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new("layout", "Elija primero el archivo del layout."),
            ])));
            return;
        };
        checking.set(true);
        report.set(None);
        leptos::task::spawn_local(async move {
            let outcome = api::upload::<LayoutReport>(
                &paths::layouts::validate(&LayoutCheckParams::default()),
                &file,
            )
            .await;
            checking.set(false);
            match outcome {
                Ok(result) => {
                    if result.is_clean() {
                        forget_layout();
                    }
                    check_failure.set(None);
                    report.set(Some(result));
                }
                Err(error) => check_failure.set(Some(error)),
            }
        });
    };
    let download_report = move || {
        if let Some(file) = picked_file(layout) {
            download_report(file, check_failure);
        }
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let fields = NewRequestFields {
            request_type: request_type.get_untracked(),
            subject: subject.get_untracked(),
            signer_name: signer_name.get_untracked(),
            signer_position: signer_position.get_untracked(),
        };
        let mut errors = fields.validate().err().unwrap_or_default();
        let oficio_file = picked_file(oficio);
        if oficio_file.is_none() {
            errors.push(confrontas_api::FieldError::new(
                "oficio",
                "Adjunte el oficio de solicitud firmado, en PDF.",
            ));
        }
        let layout_file = picked_file(layout).filter(|_| fields.request_type.needs_layout());
        if fields.request_type.needs_layout() && layout_file.is_none() {
            errors.push(confrontas_api::FieldError::new(
                "layout",
                "Adjunte el layout de CURP (.xlsx o .csv).",
            ));
        }
        if !errors.is_empty() {
            failure.set(Some(ApiError::from_fields(errors)));
            return;
        }
        let texts = [
            ("request_type", fields.request_type.as_str().to_owned()),
            ("subject", fields.subject),
            ("signer_name", fields.signer_name),
            ("signer_position", fields.signer_position),
        ];
        let mut files = Vec::new();
        files.extend(oficio_file.map(|f| ("oficio", f)));
        files.extend(layout_file.map(|f| ("layout", f)));
        sending.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let outcome =
                api::send_form::<RequestDetail>(&paths::requests::submit(), &texts, &files).await;
            sending.set(false);
            match outcome {
                Ok(created) => {
                    navigate(
                        &format!("/solicitudes/{}", created.summary.id),
                        Default::default(),
                    );
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let layout_errors = move || {
        failure
            .get()
            .and_then(|f| f.problem)
            .filter(|p| p.code == "layout_has_errors")
            .map(|p| p.errors)
            .unwrap_or_default()
    };
    view! {
        <h1>"Nueva solicitud"</h1>
        <p class="lead">"Envíe el oficio firmado por el Director de Área o superior y, para confrontas, el layout de CURP con productores que estén en el padrón. La Mesa de Servicios asignará el número de ticket al recibirla."</p>
        <form on:submit=submit novalidate class="wide-form">
            <section class="card" aria-labelledby="step-data">
                <h2 id="step-data">"1. Datos de la solicitud"</h2>
                <fieldset class="choices">
                    <legend>"Tipo de solicitud"</legend>
                    {RequestType::ALL.into_iter().map(|kind| view! {
                        <label class="checkbox">
                            <input type="radio" name="request_type" value=kind.as_str()
                                prop:checked=move || request_type.get() == kind
                                on:change=move |_| { request_type.set(kind); report.set(None); } />
                            {kind.label()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <TextField id="subject" label="Asunto" value=subject error=field_error(failure, "subject") />
                <TextField id="signer_name" label="Nombre de quien firma el oficio" value=signer_name error=field_error(failure, "signer_name") />
                <TextField id="signer_position" label="Cargo de quien firma (Director de Área o superior)" value=signer_position error=field_error(failure, "signer_position") />
            </section>
            <section class="card" aria-labelledby="step-documents">
                <h2 id="step-documents">"2. Documentos"</h2>
                <p class="hint">"Descargue los formatos, llénelos y adjúntelos."</p>
                <div class="actions-row">
                    <button type="button" class="ghost" on:click=move |_| download(paths::requests::oficio_template(), "formato_oficio_solicitud.pdf")>"Descargar formato de oficio (PDF)"</button>
                    <button type="button" class="ghost" on:click=move |_| download(paths::layouts::template(), "layout_curp.xlsx")>"Descargar plantilla del layout (.xlsx)"</button>
                </div>
                <FilePicker id="oficio" label="Oficio firmado (PDF)" node=oficio failure=failure field="oficio" accept=".pdf,application/pdf" />
                <div class:hidden=move || !needs_layout()>
                    <FilePicker id="layout" label="Layout de CURP (.xlsx o .csv)" node=layout failure=failure field="layout"
                        on_change=Callback::new(move |_| forget_layout()) />
                    <button type="button" class="ghost" on:click=check_layout disabled=move || checking.get()>
                        {move || if checking.get() { "Revisando el layout…" } else { "Revisar el layout antes de enviar" }}
                    </button>
                    <Alert failure=check_failure notice=Signal::derive(|| None::<String>) />
                </div>
            </section>
            {move || report.get().filter(|_| needs_layout()).map(|r| view! {
                <Report report=r on_download=Callback::new(move |_| download_report()) />
            })}
            <section class="card" aria-labelledby="step-send">
                <h2 id="step-send">"3. Enviar"</h2>
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                {move || {
                    let rows = layout_errors();
                    (!rows.is_empty()).then(|| view! {
                        <ul class="row-errors" aria-label="Filas del layout con errores">
                            {rows.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}
                        </ul>
                    })
                }}
                <button type="submit" disabled=move || sending.get()>
                    {move || if sending.get() { "Enviando…" } else { "Enviar solicitud" }}
                </button>
            </section>
        </form>
    }
}
