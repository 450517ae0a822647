//! The documents of a request: a layout in error refuses the submission, the response letter of a rejection, documents added, downloaded and versioned.

use crate::support::Expect;
use confrontas_api::paths;
use std::collections::HashSet;

use crate::support::procedure::{Tokens, layout, pdf, renapo_certificate, request_form, send_form};
use crate::support::{TestApp, problem};
use confrontas_api::{
    Attachment, AttachmentKind, Page, RequestAction, RequestDetail, RequestState, RequestSummary,
    SlaClockKind, TimelineEvent,
};
use confrontas_server::population::{DEMO_SEED, Population};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::*;

on_both_backends!(
    a_layout_in_error_refuses_the_submission_row_by_row_and_keeps_nothing,
    a_rejection_attaches_a_response_letter_with_ticket_folio_unit_and_reason,
    documents_are_added_downloaded_and_versioned,
);

/// The text of a PDF, as poppler's `pdftotext` reads it (an independent reader).
fn pdf_text(bytes: &[u8]) -> String {
    let dir = crate::support::TempDir::new();
    let path = dir.0.join("letter.pdf");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian package poppler-utils; scripts/test installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn a_layout_in_error_refuses_the_submission_row_by_row_and_keeps_nothing(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let people = Population::new(DEMO_SEED);
    let unknown = people.person(5_000).curp.to_string(); // not among the 300 in the registry
    let known = people.person(7).curp.to_string();
    let csv = format!(
        "CURP\n{known}\nHEGG560427MVZRRL05\n{unknown}\n{known}\n{}\n",
        people.person(8).curp
    );
    let response = send_form(
        &app,
        &paths::requests::submit(),
        &tokens.area,
        request_form("sat", Some(csv.into_bytes())),
    )
    .await;
    let refusal = response.expect_problem(422, "layout_has_errors").await;
    assert!(
        refusal.detail.contains("3 de 5 filas"),
        "{}",
        refusal.detail
    );
    let rows: Vec<&str> = refusal.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[0].starts_with("Fila 3 (HEGG560427MVZRRL05)"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with(&format!("Fila 4 ({unknown})")),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains("padrón"), "{}", rows[1]);
    assert!(
        rows[2].starts_with("Fila 5") && rows[2].contains("fila 2"),
        "{}",
        rows[2]
    );

    let not_pdf = Form::new()
        .text("request_type", "renapo")
        .text("subject", "Confronta")
        .text("signer_name", "Ana")
        .text("signer_position", "Directora")
        .part(
            "oficio",
            Part::bytes(b"PK\x03\x04 not a pdf".to_vec()).file_name("oficio.pdf"),
        )
        .part("layout", Part::bytes(layout(&[1])).file_name("layout.csv"));
    let response = send_form(&app, &paths::requests::submit(), &tokens.area, not_pdf).await;
    response.expect_problem(422, "invalid_pdf").await;

    let without_layout = send_form(
        &app,
        &paths::requests::submit(),
        &tokens.area,
        request_form("renapo", None),
    )
    .await;
    assert_eq!(without_layout.status(), 422);
    let fields: Vec<String> = problem(without_layout)
        .await
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["layout"]);

    let certificate_with_layout = send_form(
        &app,
        &paths::requests::submit(),
        &tokens.area,
        request_form("certificate", Some(layout(&[1]))),
    )
    .await;
    assert_eq!(certificate_with_layout.status(), 422);

    let blank = Form::new()
        .text("request_type", "nada")
        .text("subject", " ")
        .part("oficio", Part::bytes(pdf()).file_name("oficio.pdf"));
    let response = send_form(&app, &paths::requests::submit(), &tokens.area, blank).await;
    assert_eq!(response.status(), 422);
    let fields: HashSet<String> = problem(response)
        .await
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect();
    for field in ["request_type", "subject", "signer_name", "signer_position"] {
        assert!(fields.contains(field), "{field}: {fields:?}");
    }

    let unexpected = Form::new().text("hacker", "1");
    let response = send_form(&app, &paths::requests::submit(), &tokens.area, unexpected).await;
    response.expect_problem(400, "unexpected_field").await;

    // Nothing was created, no ticket number was used.
    let listed: Page<RequestSummary> = app
        .get_ok(&paths::requests::list(&Default::default()), &tokens.mesa)
        .await;
    assert_eq!(listed.total, 0);
    let certificate = send_form(
        &app,
        &paths::requests::submit(),
        &tokens.area,
        request_form("certificate", None),
    )
    .await;
    let created: RequestDetail = certificate.expect_json(201).await;
    assert_eq!(
        created.summary.ticket_number,
        format!("MS-{}-000001", year())
    );
}

async fn a_rejection_attaches_a_response_letter_with_ticket_folio_unit_and_reason(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let forwarded = in_state(&app, &tokens, RequestState::Forwarded).await;
    let reason = "El solicitante no es personal de la Secretaría; la solicitud debe presentarla la unidad que administra el programa.";
    let response = app
        .send_json(
            Method::POST,
            &paths::requests::action(forwarded.summary.id, RequestAction::Reject),
            &tokens.sub,
            json!({ "version": forwarded.version, "comment": reason }),
        )
        .await;
    let rejected: RequestDetail = response.expect_json(200).await;
    assert_eq!(rejected.summary.state, RequestState::Rejected);
    let letter = rejected
        .attachments
        .iter()
        .find(|a| a.kind == AttachmentKind::ResponseLetter)
        .expect("response letter attached");
    assert_eq!(letter.content_type, "application/pdf");

    // The area downloads it.
    let download = app
        .get(&paths::requests::attachment(letter.id), &tokens.area)
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(&letter.file_name),
        "{disposition}"
    );
    let bytes = download.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        rejected.summary.ticket_number.as_str(),
        rejected.summary.folio.as_deref().unwrap(),
        "Dirección General de Fomento a la Agricultura",
        "no es procedente",
        "Secretaría; la solicitud debe presentarla la unidad que administra el programa.",
        "OFICIO DE RESPUESTA",
    ] {
        assert!(
            flat.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let date = confrontas_server::calendar::local_date(chrono::Utc::now());
    assert!(
        flat.contains(&format!("{} de ", chrono::Datelike::day(&date))),
        "{text}"
    );

    let closed = step(&app, &tokens, &rejected, RequestAction::Close).await;
    assert_eq!(closed.summary.state, RequestState::Closed);
}

async fn documents_are_added_downloaded_and_versioned(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    // The oficio format areas fill in.
    let format = app
        .get(&paths::requests::oficio_template(), &tokens.area)
        .await;
    assert_eq!(format.status(), 200);
    assert_eq!(format.headers()["content-type"], "application/pdf");
    let text = pdf_text(&format.bytes().await.unwrap());
    for expected in [
        "FORMATO DE OFICIO DE SOLICITUD",
        "Titular de la Dirección General",
        "Director(a) de Área o superior",
        "layout de CURP",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let accepted = in_state(&app, &tokens, RequestState::InProgress).await;
    let path = paths::requests::attachments(accepted.summary.id);
    let report = || {
        Form::new()
            .text("kind", "report")
            .text("comment", "Resultados preliminares")
            .part(
                "file",
                Part::bytes(b"CURP,RESULTADO\nX,OK\n".to_vec()).file_name("resultados.csv"),
            )
    };
    let added = send_form(&app, &path, &tokens.sub, report()).await;
    let documents: Vec<Attachment> = added.expect_json(201).await;
    let csv = documents
        .iter()
        .find(|a| a.kind == AttachmentKind::Report)
        .unwrap();
    assert_eq!((csv.version, csv.content_type.as_str()), (1, "text/csv"));
    let again = send_form(&app, &path, &tokens.mesa, report()).await;
    let documents: Vec<Attachment> = again.expect_json(201).await;
    let versions: Vec<(i32, bool)> = documents
        .iter()
        .filter(|a| a.kind == AttachmentKind::Report)
        .map(|a| (a.version, a.current))
        .collect();
    assert_eq!(versions, [(1, false), (2, true)]);
    assert_eq!(
        documents[2].sha256, documents[3].sha256,
        "same content, same hash"
    );

    let download = app
        .get(&paths::requests::attachment(csv.id), &tokens.area)
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.text().await.unwrap(), "CURP,RESULTADO\nX,OK\n");

    // The area does not add reports; certificates go only to certificate requests; a fake PDF
    // and an unknown type are refused.
    assert_eq!(
        send_form(&app, &path, &tokens.area, report())
            .await
            .status(),
        403
    );
    let certificate = Form::new().text("kind", "certificate").part(
        "file",
        Part::bytes(renapo_certificate().into_bytes()).file_name("renapo.pem"),
    );
    let response = send_form(&app, &path, &tokens.sub, certificate).await;
    assert_eq!(response.status(), 409);
    let fake = Form::new().text("kind", "report").part(
        "file",
        Part::bytes(b"<html>".to_vec()).file_name("reporte.pdf"),
    );
    let response = send_form(&app, &path, &tokens.sub, fake).await;
    response.expect_problem(422, "invalid_pdf").await;
    let exe = Form::new()
        .text("kind", "report")
        .part("file", Part::bytes(b"MZ".to_vec()).file_name("reporte.exe"));
    assert_eq!(send_form(&app, &path, &tokens.sub, exe).await.status(), 415);

    // A certificate request in attention receives RENAPO's certificate, which starts the
    // deployment clock.
    let response = send_form(
        &app,
        &paths::requests::submit(),
        &tokens.area,
        request_form("certificate", None),
    )
    .await;
    let certificate_request: RequestDetail = response.expect_json(201).await;
    let forwarded = step(&app, &tokens, &certificate_request, RequestAction::Forward).await;
    let in_progress = step(&app, &tokens, &forwarded, RequestAction::Accept).await;
    let waiting = sla(&app, &tokens.sub, in_progress.summary.id).await;
    let deployment = waiting
        .clocks
        .iter()
        .find(|c| c.clock == SlaClockKind::CertificateDeployment)
        .unwrap();
    assert_eq!((deployment.started_at, deployment.status), (None, None));
    let certificate = Form::new().text("kind", "certificate").part(
        "file",
        Part::bytes(renapo_certificate().into_bytes()).file_name("renapo.pem"),
    );
    let response = send_form(
        &app,
        &paths::requests::attachments(in_progress.summary.id),
        &tokens.sub,
        certificate,
    )
    .await;
    assert_eq!(response.status(), 201);
    let running = sla(&app, &tokens.sub, in_progress.summary.id).await;
    let deployment = running
        .clocks
        .iter()
        .find(|c| c.clock == SlaClockKind::CertificateDeployment)
        .unwrap();
    assert!(deployment.started_at.is_some());
    assert_eq!(deployment.target_days, 1);
    let entries = timeline(&app, &tokens.area, in_progress.summary.id).await;
    assert_eq!(
        entries.last().unwrap().event,
        TimelineEvent::CertificateReceived
    );
}
