//! The forms that bring documents with a request: its submission, a correction after
//! observations, and documents added later. Every file is checked before anything is stored:
//! an oficio must be a PDF (by its first bytes, not its name), and a CURP layout must pass the
//! layout check with no row in error (the area is told which rows and why).

use actix_web::{HttpRequest, web};
use confrontas_api::{
    AttachmentKind, Checks, FieldError, LayoutIssue, LayoutTotals, NewRequestFields, RequestType,
    check_comment, long_text_problem,
};

use crate::attachments::{content_type_for, looks_like_pdf};
use crate::certificates::service::UploadRules;
use crate::error::{AppError, AppResult};
use crate::layouts::{FirstIssues, check_layout};
use crate::state::AppState;
use crate::uploads::{self, Form, FormSpec, ReceivedFile, SheetFormat};

/// Issues named in the refusal of a layout (the full report is `POST /layouts/validate`).
const LAYOUT_ERRORS_LISTED: usize = 50;

/// A received file that passed its checks.
pub struct Document {
    pub kind: AttachmentKind,
    pub file: ReceivedFile,
    pub content_type: &'static str,
    pub layout_totals: Option<LayoutTotals>,
}

pub struct NewRequest {
    pub fields: NewRequestFields,
    pub documents: Vec<Document>,
}

pub struct Correction {
    pub version: i32,
    pub comment: String,
    pub documents: Vec<Document>,
}

/// A document added to an open request, with its comment.
pub struct Addition {
    pub comment: Option<String>,
    pub added: Added<Document>,
}

/// What is added to an open request: a report, or RENAPO's certificate together with what it is
/// checked by (inside the transaction that records it, after who may attach it and where).
pub enum Added<D> {
    Report(D),
    Certificate(D, ReceivedCertificate),
}

impl<D> Added<D> {
    pub fn document(&self) -> &D {
        match self {
            Added::Report(document) | Added::Certificate(document, _) => document,
        }
    }
}

/// The bytes of the certificate RENAPO sent, and this server's rules for it.
pub struct ReceivedCertificate {
    pub bytes: Vec<u8>,
    pub rules: UploadRules,
}

fn multipart(request: &HttpRequest, payload: web::Payload) -> actix_multipart::Multipart {
    actix_multipart::Multipart::new(request.headers(), payload)
}

/// Checks a PDF document (an oficio, a report): a `.pdf` name and a PDF's first bytes.
async fn pdf(kind: AttachmentKind, file: ReceivedFile) -> AppResult<Document> {
    let path = file.file.path().to_owned();
    let is_pdf = content_type_for(kind, &file.file_name) == Some("application/pdf")
        && web::block(move || looks_like_pdf(&path))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)?;
    if !is_pdf {
        return Err(AppError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_pdf",
            format!(
                "«{}» no es un PDF: {} debe enviarse como archivo PDF.",
                file.file_name,
                kind.label().to_lowercase()
            ),
        ));
    }
    Ok(Document {
        kind,
        file,
        content_type: "application/pdf",
        layout_totals: None,
    })
}

fn row_error(issue: &LayoutIssue) -> FieldError {
    let curp = if issue.curp.is_empty() {
        String::new()
    } else {
        format!(" ({})", issue.curp)
    };
    FieldError::new(
        "layout",
        format!("Fila {}{curp}: {}", issue.row, issue.message),
    )
}

/// Checks a CURP layout with the layout rules; any row in error refuses it.
async fn layout(state: &AppState, file: ReceivedFile) -> AppResult<Document> {
    let format = SheetFormat::from_file_name(&file.file_name)?;
    let limits = state.config.layout_uploads;
    let pool = state.pool.clone();
    let path = file.file.path().to_owned();
    let (check, first) = state
        .parse_permits
        .run(move || {
            let mut first = FirstIssues::default();
            let check = check_layout(&path, format, limits, &pool, &mut first)?;
            Ok((check, first))
        })
        .await?;
    let totals = check.totals;
    if totals.rows_with_errors > 0 {
        let errors: Vec<FieldError> = first
            .issues
            .iter()
            .filter(|issue| issue.kind.is_error())
            .take(LAYOUT_ERRORS_LISTED)
            .map(row_error)
            .collect();
        let mut refusal = AppError::validation(errors);
        refusal.code = "layout_has_errors";
        refusal.detail = format!(
            "El layout «{}» tiene {} de {} filas con errores (CURP no válidas, repetidas o que no están en el padrón). Corríjalas y vuelva a enviarlo; la lista indica cada fila{}.",
            file.file_name,
            totals.rows_with_errors,
            totals.rows,
            if totals.rows_with_errors as usize > LAYOUT_ERRORS_LISTED {
                " (las primeras 50; el reporte completo se obtiene en «Validar layout»)"
            } else {
                ""
            }
        );
        return Err(refusal);
    }
    let content_type = match format {
        SheetFormat::Xlsx => crate::spreadsheet::XLSX_CONTENT_TYPE,
        SheetFormat::Csv => "text/csv",
    };
    Ok(Document {
        kind: AttachmentKind::Layout,
        file,
        content_type,
        layout_totals: Some(totals),
    })
}

/// Receives a form of `texts` with the two documents of a request, `oficio` and `layout`.
async fn receive_with_documents(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
    texts: &[&str],
) -> AppResult<Form> {
    let spec = FormSpec {
        texts,
        files: &[
            ("oficio", state.config.document_max_bytes),
            ("layout", state.config.layout_uploads.max_bytes),
        ],
    };
    uploads::receive_form(
        request,
        multipart(request, payload),
        &state.uploads_dir(),
        &spec,
    )
    .await
}

/// Checks the documents sent: the oficio as a PDF, the layout with the layout rules.
async fn checked(
    state: &AppState,
    oficio: Option<ReceivedFile>,
    layout_file: Option<ReceivedFile>,
) -> AppResult<Vec<Document>> {
    let mut documents = Vec::new();
    if let Some(file) = oficio {
        documents.push(pdf(AttachmentKind::Oficio, file).await?);
    }
    if let Some(file) = layout_file {
        documents.push(layout(state, file).await?);
    }
    Ok(documents)
}

/// `POST /api/v1/requests`: the fields, the oficio and (for RENAPO and SAT) the layout.
pub async fn receive_new_request(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
) -> AppResult<NewRequest> {
    let mut form = receive_with_documents(
        state,
        request,
        payload,
        &["request_type", "subject", "signer_name", "signer_position"],
    )
    .await?;
    let mut checks = Checks::default();
    let request_type = form.text("request_type").and_then(RequestType::parse);
    checks.check(
        request_type.is_some(),
        "request_type",
        "Elija el tipo de solicitud: renapo, sat o certificate.",
    );
    let fields = NewRequestFields {
        request_type: request_type.unwrap_or(RequestType::Renapo),
        subject: form.text("subject").unwrap_or_default().to_owned(),
        signer_name: form.text("signer_name").unwrap_or_default().to_owned(),
        signer_position: form.text("signer_position").unwrap_or_default().to_owned(),
    };
    if let Err(errors) = fields.validate() {
        for error in errors {
            checks.push(error);
        }
    }
    let oficio_file = form.take_file("oficio");
    checks.check(
        oficio_file.is_some(),
        "oficio",
        "Adjunte el oficio de solicitud firmado, en PDF.",
    );
    let layout_file = form.take_file("layout");
    if let Some(request_type) = request_type {
        checks.check(
            !request_type.needs_layout() || layout_file.is_some(),
            "layout",
            "Adjunte el layout de CURP (.xlsx o .csv) con los productores a confrontar.",
        );
        checks.check(
            request_type.needs_layout() || layout_file.is_none(),
            "layout",
            "Una solicitud de certificado no lleva layout de CURP.",
        );
    }
    checks.finish().map_err(AppError::validation)?;
    let documents = checked(state, oficio_file, layout_file).await?;
    Ok(NewRequest { fields, documents })
}

/// `POST /api/v1/requests/{id}/resubmit`: how the observations were addressed, and corrected
/// documents if any.
pub async fn receive_correction(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
    request_type: RequestType,
) -> AppResult<Correction> {
    let mut form = receive_with_documents(state, request, payload, &["version", "comment"]).await?;
    let mut checks = Checks::default();
    let version = form.text("version").and_then(|v| v.parse::<i32>().ok());
    checks.check(
        version.is_some(),
        "version",
        "Envíe la versión de la solicitud que corrige (campo «version»).",
    );
    let comment = form.text("comment").unwrap_or_default().to_owned();
    if let Some(problem) = long_text_problem(&comment, confrontas_api::COMMENT_MAX) {
        checks.push(FieldError::new(
            "comment",
            format!("Explique cómo atendió las observaciones. {problem}"),
        ));
    }
    let layout_file = form.take_file("layout");
    checks.check(
        request_type.needs_layout() || layout_file.is_none(),
        "layout",
        "Una solicitud de certificado no lleva layout de CURP.",
    );
    let oficio_file = form.take_file("oficio");
    checks.finish().map_err(AppError::validation)?;
    let documents = checked(state, oficio_file, layout_file).await?;
    Ok(Correction {
        version: version.unwrap_or_default(),
        comment,
        documents,
    })
}

/// `POST /api/v1/requests/{id}/attachments`: a report or RENAPO's certificate.
pub async fn receive_addition(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
) -> AppResult<Addition> {
    let spec = FormSpec {
        texts: &["kind", "comment"],
        files: &[("file", state.config.document_max_bytes)],
    };
    let mut form = uploads::receive_form(
        request,
        multipart(request, payload),
        &state.uploads_dir(),
        &spec,
    )
    .await?;
    let mut checks = Checks::default();
    let kind = form
        .text("kind")
        .and_then(AttachmentKind::parse)
        .filter(|k| matches!(k, AttachmentKind::Report | AttachmentKind::Certificate));
    checks.check(
        kind.is_some(),
        "kind",
        "El tipo de documento debe ser «report» (reporte) o «certificate» (certificado de RENAPO).",
    );
    let comment = form.text("comment").map(str::to_owned);
    check_comment(&mut checks, "comment", comment.as_deref());
    let file = form.take_file("file");
    checks.check(file.is_some(), "file", "Adjunte el archivo.");
    checks.finish().map_err(AppError::validation)?;
    let (Some(kind), Some(file)) = (kind, file) else {
        return Err(AppError::internal(
            "form checks passed without a kind or a file",
        ));
    };
    let content_type = content_type_for(kind, &file.file_name).ok_or_else(|| {
        AppError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file_type",
            match kind {
                AttachmentKind::Certificate => {
                    "El certificado debe ser un archivo .pem, .crt, .cer o .der."
                }
                _ => "El reporte debe ser un archivo .pdf, .xlsx o .csv.",
            },
        )
    })?;
    let document = if content_type == "application/pdf" {
        pdf(kind, file).await?
    } else {
        Document {
            kind,
            file,
            content_type,
            layout_totals: None,
        }
    };
    let added = if kind == AttachmentKind::Certificate {
        let path = document.file.file.path().to_owned();
        let bytes = web::block(move || std::fs::read(path))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)?;
        let rules = UploadRules::of(state)?;
        Added::Certificate(document, ReceivedCertificate { bytes, rules })
    } else {
        Added::Report(document)
    };
    Ok(Addition { comment, added })
}
