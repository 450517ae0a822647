//! The request procedure of the service cards (DESIGN §5): submission with its documents, every
//! action allowed and refused by role and state, tickets and folios, the timeline, the response
//! letter, notifications, service-level clocks, dashboards and reports, and that an area never
//! sees another unit's requests. The demo registry holds the first 300 demo people.

mod common;

use std::collections::HashSet;

use common::procedure::{
    Tokens, layout, outsider, pdf, renapo_certificate, request_form, send_form,
};
use common::{TestApp, problem};
use confrontas_api::{
    Attachment, AttachmentKind, Dashboard, Notification, Page, RequestAction, RequestDetail,
    RequestSla, RequestState, RequestSummary, RequestType, Role, SlaClockKind, SlaPolicy,
    SlaReport, SlaStatus, TimelineEntry, TimelineEvent, UnreadCount,
};
use confrontas_server::population::{DEMO_SEED, Population};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

on_both_backends!(
    the_procedure_runs_from_submission_to_close_with_ticket_folio_and_timeline,
    every_action_is_allowed_only_to_its_role_and_from_its_states,
    concurrent_forwards_get_distinct_consecutive_folios_and_stale_versions_lose,
    an_area_never_sees_another_units_requests_on_any_id_route,
    a_layout_in_error_refuses_the_submission_row_by_row_and_keeps_nothing,
    a_rejection_attaches_a_response_letter_with_ticket_folio_unit_and_reason,
    notifications_reach_who_acts_next_and_the_area_when_answered,
    clocks_follow_the_timeline_and_keep_the_targets_of_their_submission,
    dashboards_and_the_sla_report_count_what_is_pending_late_and_met,
    documents_are_added_downloaded_and_versioned,
    the_list_filters_by_state_type_dates_and_text_and_sorts,
    a_day_the_admin_declares_moves_the_due_dates_of_running_clocks,
    a_request_one_business_day_from_its_due_date_is_at_risk_on_the_dashboard,
);

async fn submit(app: &TestApp, token: &str) -> RequestDetail {
    let response = send_form(
        app,
        "/api/v1/requests",
        token,
        request_form("renapo", Some(layout(&[1, 2, 3]))),
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

async fn detail(app: &TestApp, token: &str, id: i64) -> RequestDetail {
    let response = app.get(&format!("/api/v1/requests/{id}"), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A valid body for `action` on version `version`.
fn body(action: RequestAction, version: i32) -> Value {
    match action {
        RequestAction::Observe => {
            json!({ "version": version, "items": ["El oficio no está firmado."] })
        }
        RequestAction::Reject | RequestAction::Resolve => {
            json!({ "version": version, "comment": "La unidad no pertenece a la Secretaría." })
        }
        _ => json!({ "version": version }),
    }
}

/// Takes `action` with `token` (resubmit as a form, the others as JSON).
async fn act(
    app: &TestApp,
    token: &str,
    id: i64,
    action: RequestAction,
    version: i32,
) -> reqwest::Response {
    let path = format!("/api/v1/requests/{id}/{}", action.as_str());
    if action == RequestAction::Resubmit {
        let form = Form::new()
            .text("version", version.to_string())
            .text("comment", "Se firmó el oficio.")
            .part("oficio", Part::bytes(pdf()).file_name("oficio-firmado.pdf"));
        return send_form(app, &path, token, form).await;
    }
    app.send_json(Method::POST, &path, token, body(action, version))
        .await
}

/// Takes `action` with its role's token, expecting success.
async fn step(
    app: &TestApp,
    tokens: &Tokens,
    request: &RequestDetail,
    action: RequestAction,
) -> RequestDetail {
    // A RENAPO or SAT request resolves after its confrontation.
    if action == RequestAction::Resolve {
        match request.summary.request_type {
            RequestType::Renapo => {
                app.confront(&tokens.sub, request.summary.id).await;
            }
            RequestType::Sat => {
                app.confront_with(&tokens.sub, request.summary.id, "?provider=online")
                    .await;
            }
            RequestType::Certificate => {}
        }
    }
    let response = act(
        app,
        tokens.of_role(action.role()),
        request.summary.id,
        action,
        request.version,
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "{action:?}: {:?}",
        response.text().await
    );
    let after: RequestDetail = response.json().await.unwrap();
    assert_eq!(after.summary.state, action.to_state());
    assert_eq!(after.version, request.version + 1);
    after
}

/// A new request brought to `state` along the procedure.
async fn in_state(app: &TestApp, tokens: &Tokens, state: RequestState) -> RequestDetail {
    use RequestAction::*;
    let path: &[RequestAction] = match state {
        RequestState::Submitted => &[],
        RequestState::Observed => &[Observe],
        RequestState::Forwarded => &[Forward],
        RequestState::Rejected => &[Forward, Reject],
        RequestState::InProgress => &[Forward, Accept],
        RequestState::Resolved => &[Forward, Accept, Resolve],
        RequestState::Closed => &[Forward, Accept, Resolve, Close],
        RequestState::Cancelled => &[Cancel],
    };
    let mut request = submit(app, &tokens.area).await;
    for action in path {
        request = step(app, tokens, &request, *action).await;
    }
    assert_eq!(request.summary.state, state);
    request
}

async fn timeline(app: &TestApp, token: &str, id: i64) -> Vec<TimelineEntry> {
    let response = app
        .get(&format!("/api/v1/requests/{id}/timeline"), token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn year() -> i32 {
    use chrono::Datelike;
    confrontas_server::calendar::local_date(chrono::Utc::now()).year()
}

async fn the_procedure_runs_from_submission_to_close_with_ticket_folio_and_timeline(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let submitted = submit(&app, &tokens.area).await;
    assert_eq!(submitted.summary.state, RequestState::Submitted);
    assert_eq!(
        submitted.summary.ticket_number,
        format!("MS-{}-000001", year())
    );
    assert_eq!(submitted.summary.folio, None);
    assert_eq!(submitted.summary.unit.key, "DGFA");
    assert_eq!(submitted.available_actions, [RequestAction::Cancel]);
    let kinds: Vec<AttachmentKind> = submitted.attachments.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AttachmentKind::Oficio, AttachmentKind::Layout]);
    let layout_totals = submitted.attachments[1].layout_totals.clone().unwrap();
    assert_eq!((layout_totals.rows, layout_totals.valid_rows), (3, 3));

    // The desk sees the actions it may take.
    let seen_by_desk = detail(&app, &tokens.mesa, submitted.summary.id).await;
    assert_eq!(
        seen_by_desk.available_actions,
        [RequestAction::Observe, RequestAction::Forward]
    );

    let observed = step(&app, &tokens, &submitted, RequestAction::Observe).await;
    let for_area = detail(&app, &tokens.area, observed.summary.id).await;
    assert_eq!(for_area.open_observations, ["El oficio no está firmado."]);
    assert_eq!(
        for_area.available_actions,
        [RequestAction::Resubmit, RequestAction::Cancel]
    );

    let resubmitted = step(&app, &tokens, &for_area, RequestAction::Resubmit).await;
    assert!(resubmitted.open_observations.is_empty());
    let oficio = resubmitted
        .attachments
        .iter()
        .find(|a| a.kind == AttachmentKind::Oficio)
        .unwrap();
    assert_eq!(
        (oficio.version, oficio.file_name.as_str()),
        (2, "oficio-firmado.pdf")
    );

    let forwarded = step(&app, &tokens, &resubmitted, RequestAction::Forward).await;
    assert_eq!(
        forwarded.summary.folio.as_deref(),
        Some(format!("DGTIC/DSSD/003/{}/000001", year()).as_str())
    );
    let accepted = step(&app, &tokens, &forwarded, RequestAction::Accept).await;
    // A resolution needs its text.
    let bare = app
        .send_json(
            Method::POST,
            &format!("/api/v1/requests/{}/resolve", accepted.summary.id),
            &tokens.sub,
            json!({ "version": accepted.version, "comment": "  " }),
        )
        .await;
    assert_eq!(bare.status(), 422);
    assert_eq!(problem(bare).await.errors[0].field, "comment");
    let resolved = step(&app, &tokens, &accepted, RequestAction::Resolve).await;
    let closed = step(&app, &tokens, &resolved, RequestAction::Close).await;
    assert!(closed.available_actions.is_empty());

    let entries = timeline(&app, &tokens.area, closed.summary.id).await;
    let events: Vec<(TimelineEvent, Role)> =
        entries.iter().map(|e| (e.event, e.actor.role)).collect();
    assert_eq!(
        events,
        [
            (TimelineEvent::Submit, Role::Area),
            (TimelineEvent::Observe, Role::Mesa),
            (TimelineEvent::Resubmit, Role::Area),
            (TimelineEvent::Forward, Role::Mesa),
            (TimelineEvent::Accept, Role::Subdireccion),
            (TimelineEvent::Resolve, Role::Subdireccion),
            (TimelineEvent::Close, Role::Mesa),
        ]
    );
    assert_eq!(entries[1].items, ["El oficio no está firmado."]);
    assert_eq!(entries[2].comment.as_deref(), Some("Se firmó el oficio."));
    assert_eq!(entries[2].attachments.len(), 1, "the corrected oficio");
    assert_eq!(entries[3].folio, forwarded.summary.folio);
    assert_eq!(entries[0].attachments.len(), 2);
    assert!(entries.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(
        (entries[4].from_state, entries[4].to_state),
        (Some(RequestState::Forwarded), RequestState::InProgress)
    );

    // Both versions of the oficio are kept.
    let documents: Vec<Attachment> = app
        .get(
            &format!("/api/v1/requests/{}/attachments", closed.summary.id),
            &tokens.mesa,
        )
        .await
        .json()
        .await
        .unwrap();
    let oficios: Vec<(i32, bool)> = documents
        .iter()
        .filter(|a| a.kind == AttachmentKind::Oficio)
        .map(|a| (a.version, a.current))
        .collect();
    assert_eq!(oficios, [(1, false), (2, true)]);

    // Every change has its audit row.
    let actions = app
        .state
        .pool
        .get()
        .map(|mut conn| {
            confrontas_server::audit::actions_for(
                &mut conn,
                "request",
                &closed.summary.id.to_string(),
            )
            .unwrap()
        })
        .unwrap();
    let names: Vec<&str> = actions.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "request_submitted",
            "request_observe",
            "request_resubmit",
            "request_forward",
            "request_accept",
            "request_resolve",
            "request_close"
        ]
    );
}

async fn every_action_is_allowed_only_to_its_role_and_from_its_states(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    // Refusals leave the request as it was, so one request per state serves every refusal.
    for state in RequestState::ALL {
        let request = in_state(&app, &tokens, state).await;
        let entries = timeline(&app, &tokens.mesa, request.summary.id).await.len();
        for action in RequestAction::ALL {
            if action == RequestAction::Submit {
                continue;
            }
            for role in Role::ALL {
                let allowed = role == action.role() && action.from_states().contains(&state);
                if allowed {
                    continue;
                }
                let response = act(
                    &app,
                    tokens.of_role(role),
                    request.summary.id,
                    action,
                    request.version,
                )
                .await;
                let expected = if role != action.role() { 403 } else { 409 };
                assert_eq!(
                    response.status(),
                    expected,
                    "{role:?} {action:?} from {state:?}"
                );
                let refusal = problem(response).await;
                if expected == 409 {
                    assert_eq!(refusal.code, "invalid_transition");
                    assert!(refusal.detail.contains(state.label()), "{}", refusal.detail);
                }
            }
        }
        let unchanged = detail(&app, &tokens.mesa, request.summary.id).await;
        assert_eq!(
            (unchanged.summary.state, unchanged.version),
            (state, request.version)
        );
        assert_eq!(
            timeline(&app, &tokens.mesa, request.summary.id).await.len(),
            entries,
            "a refused action leaves no trace in the timeline"
        );
    }
    // Every allowed move, each on a fresh request in its state.
    for action in RequestAction::ALL {
        for from in action.from_states() {
            let request = in_state(&app, &tokens, *from).await;
            step(&app, &tokens, &request, action).await;
        }
    }
    // Submission is the area's alone.
    for role in [Role::Mesa, Role::Subdireccion, Role::Admin] {
        let response = send_form(
            &app,
            "/api/v1/requests",
            tokens.of_role(role),
            request_form("renapo", Some(layout(&[1]))),
        )
        .await;
        assert_eq!(response.status(), 403, "{role:?}");
    }
}

async fn concurrent_forwards_get_distinct_consecutive_folios_and_stale_versions_lose(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let mut requests = Vec::new();
    for _ in 0..8 {
        requests.push(submit(&app, &tokens.area).await);
    }
    let forwards = requests.iter().map(|r| {
        act(
            &app,
            &tokens.mesa,
            r.summary.id,
            RequestAction::Forward,
            r.version,
        )
    });
    let mut folios = Vec::new();
    for response in futures_util::future::join_all(forwards).await {
        assert_eq!(response.status(), 200);
        let forwarded: RequestDetail = response.json().await.unwrap();
        folios.push(forwarded.summary.folio.unwrap());
    }
    folios.sort();
    let expected: Vec<String> = (1..=8)
        .map(|n| format!("DGTIC/DSSD/003/{}/{n:06}", year()))
        .collect();
    assert_eq!(folios, expected, "gap-free and unique");

    // Two actions on the same version: one wins, the other is told the request changed.
    let request = submit(&app, &tokens.area).await;
    let (a, b) = tokio::join!(
        act(
            &app,
            &tokens.mesa,
            request.summary.id,
            RequestAction::Forward,
            request.version
        ),
        act(
            &app,
            &tokens.mesa,
            request.summary.id,
            RequestAction::Observe,
            request.version
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let loser = if a.status() == 409 { a } else { b };
    let code = problem(loser).await.code;
    assert!(
        code == "stale_version" || code == "invalid_transition",
        "{code}"
    );
    let stale = act(
        &app,
        &tokens.area,
        request.summary.id,
        RequestAction::Cancel,
        request.version,
    )
    .await;
    assert_eq!(stale.status(), 409);
    // Still only nine folios at most: a failed action takes none.
    let after = detail(&app, &tokens.mesa, request.summary.id).await;
    if let Some(folio) = after.summary.folio {
        assert_eq!(folio, format!("DGTIC/DSSD/003/{}/000009", year()));
    }
}

async fn an_area_never_sees_another_units_requests_on_any_id_route(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let other = outsider(&app, &tokens.admin).await;
    let request = in_state(&app, &tokens, RequestState::Submitted).await;
    let id = request.summary.id;
    let document = request.attachments[0].id;
    for path in [
        format!("/api/v1/requests/{id}"),
        format!("/api/v1/requests/{id}/timeline"),
        format!("/api/v1/requests/{id}/attachments"),
        format!("/api/v1/requests/{id}/sla"),
        format!("/api/v1/attachments/{document}"),
    ] {
        let response = app.get(&path, &other).await;
        assert_eq!(response.status(), 404, "GET {path}");
        assert_eq!(problem(response).await.code, "not_found");
        assert_eq!(app.get(&path, &tokens.area).await.status(), 200, "{path}");
    }
    for action in RequestAction::ALL {
        if action == RequestAction::Submit {
            continue;
        }
        let response = act(&app, &other, id, action, request.version).await;
        assert_eq!(response.status(), 404, "{action:?}");
    }
    let added = send_form(
        &app,
        &format!("/api/v1/requests/{id}/attachments"),
        &other,
        Form::new()
            .text("kind", "report")
            .part("file", Part::bytes(pdf()).file_name("r.pdf")),
    )
    .await;
    assert_eq!(added.status(), 404);
    // Lists, dashboards and reports leave it out as well.
    let listed: Page<RequestSummary> = app
        .get("/api/v1/requests", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.total, 0);
    let filtered: Page<RequestSummary> = app
        .get("/api/v1/requests?unit_id=2", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        filtered.total, 0,
        "an area cannot widen its view with unit_id"
    );
    let dashboard: Dashboard = app
        .get("/api/v1/dashboard", &other)
        .await
        .json()
        .await
        .unwrap();
    assert!(dashboard.counts_by_state.iter().all(|c| c.count == 0));
    // Nor another user's notifications.
    let mine: Page<Notification> = app
        .get("/api/v1/notifications", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    let theirs = mine.items[0].id;
    let response = app
        .send_json(
            Method::POST,
            &format!("/api/v1/notifications/{theirs}/read"),
            &other,
            json!(null),
        )
        .await;
    assert_eq!(response.status(), 404);
    // Nothing changed.
    let after = detail(&app, &tokens.mesa, id).await;
    assert_eq!(after.version, request.version);
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
        "/api/v1/requests",
        &tokens.area,
        request_form("sat", Some(csv.into_bytes())),
    )
    .await;
    assert_eq!(response.status(), 422);
    let refusal = problem(response).await;
    assert_eq!(refusal.code, "layout_has_errors");
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
    let response = send_form(&app, "/api/v1/requests", &tokens.area, not_pdf).await;
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await.code, "invalid_pdf");

    let without_layout = send_form(
        &app,
        "/api/v1/requests",
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
        "/api/v1/requests",
        &tokens.area,
        request_form("certificate", Some(layout(&[1]))),
    )
    .await;
    assert_eq!(certificate_with_layout.status(), 422);

    let blank = Form::new()
        .text("request_type", "nada")
        .text("subject", " ")
        .part("oficio", Part::bytes(pdf()).file_name("oficio.pdf"));
    let response = send_form(&app, "/api/v1/requests", &tokens.area, blank).await;
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
    let response = send_form(&app, "/api/v1/requests", &tokens.area, unexpected).await;
    assert_eq!(response.status(), 400);
    assert_eq!(problem(response).await.code, "unexpected_field");

    // Nothing was created, no ticket number was used.
    let listed: Page<RequestSummary> = app
        .get("/api/v1/requests", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.total, 0);
    let certificate = send_form(
        &app,
        "/api/v1/requests",
        &tokens.area,
        request_form("certificate", None),
    )
    .await;
    assert_eq!(certificate.status(), 201);
    let created: RequestDetail = certificate.json().await.unwrap();
    assert_eq!(
        created.summary.ticket_number,
        format!("MS-{}-000001", year())
    );
}

/// The text of a PDF, as poppler's `pdftotext` reads it (an independent reader).
fn pdf_text(bytes: &[u8]) -> String {
    let dir = common::TempDir::new();
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

async fn a_rejection_attaches_a_response_letter_with_ticket_folio_unit_and_reason(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let forwarded = in_state(&app, &tokens, RequestState::Forwarded).await;
    let reason = "El solicitante no es personal de la Secretaría; la solicitud debe presentarla la unidad que administra el programa.";
    let response = app
        .send_json(
            Method::POST,
            &format!("/api/v1/requests/{}/reject", forwarded.summary.id),
            &tokens.sub,
            json!({ "version": forwarded.version, "comment": reason }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let rejected: RequestDetail = response.json().await.unwrap();
    assert_eq!(rejected.summary.state, RequestState::Rejected);
    let letter = rejected
        .attachments
        .iter()
        .find(|a| a.kind == AttachmentKind::ResponseLetter)
        .expect("response letter attached");
    assert_eq!(letter.content_type, "application/pdf");

    // The area downloads it.
    let download = app
        .get(&format!("/api/v1/attachments/{}", letter.id), &tokens.area)
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

async fn unread(app: &TestApp, token: &str) -> u64 {
    app.get("/api/v1/notifications/unread-count", token)
        .await
        .json::<UnreadCount>()
        .await
        .unwrap()
        .unread
}

async fn notifications_reach_who_acts_next_and_the_area_when_answered(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let submitted = submit(&app, &tokens.area).await;
    assert_eq!(unread(&app, &tokens.mesa).await, 1, "the desk acts next");
    assert_eq!(
        unread(&app, &tokens.area).await,
        0,
        "nobody is told of their own action"
    );
    assert_eq!(unread(&app, &tokens.sub).await, 0);

    let observed = step(&app, &tokens, &submitted, RequestAction::Observe).await;
    assert_eq!(unread(&app, &tokens.area).await, 1);
    let news: Page<Notification> = app
        .get("/api/v1/notifications", &tokens.area)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(news.items[0].event, Some(TimelineEvent::Observe));
    assert_eq!(news.items[0].request_id, Some(submitted.summary.id));
    assert!(
        news.items[0]
            .message
            .starts_with(&submitted.summary.ticket_number)
    );

    let resubmitted = step(&app, &tokens, &observed, RequestAction::Resubmit).await;
    let forwarded = step(&app, &tokens, &resubmitted, RequestAction::Forward).await;
    assert_eq!(
        unread(&app, &tokens.sub).await,
        1,
        "the sub-directorate acts next"
    );
    let accepted = step(&app, &tokens, &forwarded, RequestAction::Accept).await;
    let resolved = step(&app, &tokens, &accepted, RequestAction::Resolve).await;
    assert_eq!(
        unread(&app, &tokens.area).await,
        2,
        "told of the resolution"
    );
    step(&app, &tokens, &resolved, RequestAction::Close).await;
    assert_eq!(unread(&app, &tokens.area).await, 3, "told of the close");

    let forward_news: Page<Notification> = app
        .get("/api/v1/notifications?unread=true", &tokens.sub)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        forward_news.items[0]
            .message
            .contains(forwarded.summary.folio.as_deref().unwrap())
    );

    // Read one, then all.
    let first = news.items[0].id;
    let marked = app
        .send_json(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            &tokens.area,
            json!(null),
        )
        .await;
    assert_eq!(marked.status(), 204);
    assert_eq!(unread(&app, &tokens.area).await, 2);
    let unread_list: Page<Notification> = app
        .get("/api/v1/notifications?unread=true", &tokens.area)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unread_list.total, 2);
    assert!(unread_list.items.iter().all(|n| n.read_at.is_none()));
    let all = app
        .send_json(
            Method::POST,
            "/api/v1/notifications/read-all",
            &tokens.area,
            json!(null),
        )
        .await;
    assert_eq!(all.status(), 204);
    assert_eq!(unread(&app, &tokens.area).await, 0);
    let everything: Page<Notification> = app
        .get("/api/v1/notifications", &tokens.area)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(everything.total, 3);
}

async fn sla(app: &TestApp, token: &str, id: i64) -> RequestSla {
    app.get(&format!("/api/v1/requests/{id}/sla"), token)
        .await
        .json()
        .await
        .unwrap()
}

/// Moves every timeline entry of a request `days` calendar days into the past.
fn age(app: &TestApp, id: i64, days: i64) {
    use confrontas_server::schema::{request_events, requests};
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    let events: Vec<(i64, chrono::NaiveDateTime)> = request_events::table
        .filter(request_events::request_id.eq(id))
        .select((request_events::id, request_events::at))
        .load(&mut *conn)
        .unwrap();
    for (event, at) in events {
        diesel::update(request_events::table.find(event))
            .set(request_events::at.eq(at - chrono::TimeDelta::days(days)))
            .execute(&mut *conn)
            .unwrap();
    }
    let submitted: chrono::NaiveDateTime = requests::table
        .find(id)
        .select(requests::submitted_at)
        .first(&mut *conn)
        .unwrap();
    diesel::update(requests::table.find(id))
        .set(requests::submitted_at.eq(submitted - chrono::TimeDelta::days(days)))
        .execute(&mut *conn)
        .unwrap();
}

async fn clocks_follow_the_timeline_and_keep_the_targets_of_their_submission(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = submit(&app, &tokens.area).await;
    let clocks = sla(&app, &tokens.area, request.summary.id).await;
    let kinds: Vec<(SlaClockKind, u32, Option<SlaStatus>)> = clocks
        .clocks
        .iter()
        .map(|c| (c.clock, c.target_days, c.status))
        .collect();
    assert_eq!(
        kinds,
        [
            (SlaClockKind::FirstContact, 5, Some(SlaStatus::OnTime)),
            (SlaClockKind::Attention, 10, Some(SlaStatus::OnTime)),
        ]
    );
    let calendar = {
        let mut conn = app.state.pool.get().unwrap();
        confrontas_server::calendar::load(&mut conn, year()..=year() + 1).unwrap()
    };
    assert_eq!(
        clocks.clocks[0].due_date,
        Some(calendar.add_business_days(clocks.today, 5)),
        "five business days after today's submission"
    );

    // Thirty days later without an answer, both clocks are breached.
    age(&app, request.summary.id, 30);
    let late = sla(&app, &tokens.mesa, request.summary.id).await;
    assert!(
        late.clocks
            .iter()
            .all(|c| c.status == Some(SlaStatus::Breached)),
        "{late:?}"
    );
    assert!(late.clocks.iter().all(|c| c.remaining_days.unwrap() < 0));
    let listed: Page<RequestSummary> = app
        .get("/api/v1/requests?sla_status=breached", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.total, 1);

    // The observation stops first contact (late) and pauses attention.
    let observed = step(
        &app,
        &tokens,
        &detail(&app, &tokens.mesa, request.summary.id).await,
        RequestAction::Observe,
    )
    .await;
    let paused = sla(&app, &tokens.area, observed.summary.id).await;
    assert_eq!(paused.clocks[0].status, Some(SlaStatus::Missed));
    assert!(paused.clocks[0].stopped_at.is_some());
    assert!(paused.clocks[1].paused);

    // The admin lengthens RENAPO attention to 60 days: new requests take it, this one keeps 10.
    let response = app
        .send_json(
            Method::PUT,
            "/api/v1/sla-policies/renapo/attention",
            &tokens.admin,
            json!({ "business_days": 60, "at_risk_days": 5 }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let policy: SlaPolicy = response.json().await.unwrap();
    assert_eq!((policy.business_days, policy.at_risk_days), (60, 5));
    assert_eq!(
        sla(&app, &tokens.mesa, request.summary.id).await.clocks[1].target_days,
        10
    );
    let newer = submit(&app, &tokens.area).await;
    assert_eq!(
        sla(&app, &tokens.mesa, newer.summary.id).await.clocks[1].target_days,
        60
    );

    // Policies: only the admin edits them, with sane values, and only clocks a type has.
    for (path, token, body, status) in [
        (
            "renapo/attention",
            &tokens.mesa,
            json!({ "business_days": 3, "at_risk_days": 1 }),
            403,
        ),
        (
            "sat/attention",
            &tokens.admin,
            json!({ "business_days": 5, "at_risk_days": 5 }),
            422,
        ),
        (
            "certificate/attention",
            &tokens.admin,
            json!({ "business_days": 5, "at_risk_days": 1 }),
            404,
        ),
    ] {
        let response = app
            .send_json(
                Method::PUT,
                &format!("/api/v1/sla-policies/{path}"),
                token,
                body,
            )
            .await;
        assert_eq!(response.status(), status, "{path}");
    }
    let policies: Vec<SlaPolicy> = app
        .get("/api/v1/sla-policies", &tokens.area)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(policies.len(), 6);
    let sat = policies
        .iter()
        .find(|p| {
            p.request_type == confrontas_api::RequestType::Sat && p.clock == SlaClockKind::Attention
        })
        .unwrap();
    assert_eq!(
        sat.business_days, 27,
        "the service card's SAT attention time"
    );
}

async fn dashboards_and_the_sla_report_count_what_is_pending_late_and_met(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let waiting = submit(&app, &tokens.area).await;
    let late = submit(&app, &tokens.area).await;
    age(&app, late.summary.id, 30);
    let forwarded = in_state(&app, &tokens, RequestState::Forwarded).await;

    let desk: Dashboard = app
        .get("/api/v1/dashboard", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(desk.role, Role::Mesa);
    let pending: Vec<i64> = desk.pending.iter().map(|s| s.id).collect();
    assert_eq!(
        pending,
        [late.summary.id, waiting.summary.id],
        "nearest due date first"
    );
    assert_eq!(desk.breached_total, 1);
    assert_eq!(desk.breached[0].id, late.summary.id);
    let count = |dashboard: &Dashboard, state: RequestState| {
        dashboard
            .counts_by_state
            .iter()
            .find(|c| c.state == state)
            .unwrap()
            .count
    };
    assert_eq!(count(&desk, RequestState::Submitted), 2);
    assert_eq!(count(&desk, RequestState::Forwarded), 1);

    let sub: Dashboard = app
        .get("/api/v1/dashboard", &tokens.sub)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        sub.pending.iter().map(|s| s.id).collect::<Vec<_>>(),
        [forwarded.summary.id]
    );
    let area: Dashboard = app
        .get("/api/v1/dashboard", &tokens.area)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(area.pending_total, 0, "nothing waits for the area");

    // The forwarded request met its first contact this month; the late one breached it 30
    // days ago (in the period of its due date).
    let month = confrontas_server::calendar::local_date(chrono::Utc::now())
        .format("%Y-%m")
        .to_string();
    let report: SlaReport = app
        .get(&format!("/api/v1/reports/sla?period={month}"), &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    let first_contact = report
        .lines
        .iter()
        .find(|l| {
            l.clock == SlaClockKind::FirstContact && l.grouping == confrontas_api::SlaGrouping::All
        })
        .unwrap();
    assert_eq!(first_contact.met, 1);
    assert_eq!(first_contact.missed, 0);
    let by_unit = report
        .lines
        .iter()
        .find(|l| {
            l.clock == SlaClockKind::FirstContact && l.grouping == confrontas_api::SlaGrouping::Unit
        })
        .unwrap();
    assert_eq!((by_unit.key.as_str(), by_unit.met), ("DGFA", 1));
    let year_report: SlaReport = app
        .get(
            &format!("/api/v1/reports/sla?period={}", year()),
            &tokens.mesa,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        year_report.first_day.to_string(),
        format!("{}-01-01", year())
    );

    let workbook = app
        .get(
            &format!("/api/v1/reports/sla?period={month}&format=xlsx"),
            &tokens.mesa,
        )
        .await;
    let bytes = common::workbook(workbook, "cumplimiento_sla").await;
    let rows = common::sheets::read_sheet(bytes, "Cumplimiento");
    assert_eq!(rows[0][0], "Periodo");
    assert!(
        rows.iter()
            .any(|r| r[1] == "Primer contacto" && r[3] == "Todas las solicitudes" && r[4] == "1"),
        "{rows:?}"
    );

    let invalid = app
        .get("/api/v1/reports/sla?period=2026-13", &tokens.mesa)
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(problem(invalid).await.errors[0].field, "period");
}

async fn documents_are_added_downloaded_and_versioned(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    // The oficio format areas fill in.
    let format = app.get("/api/v1/templates/oficio.pdf", &tokens.area).await;
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
    let path = format!("/api/v1/requests/{}/attachments", accepted.summary.id);
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
    assert_eq!(added.status(), 201);
    let documents: Vec<Attachment> = added.json().await.unwrap();
    let csv = documents
        .iter()
        .find(|a| a.kind == AttachmentKind::Report)
        .unwrap();
    assert_eq!((csv.version, csv.content_type.as_str()), (1, "text/csv"));
    let again = send_form(&app, &path, &tokens.mesa, report()).await;
    assert_eq!(again.status(), 201);
    let documents: Vec<Attachment> = again.json().await.unwrap();
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
        .get(&format!("/api/v1/attachments/{}", csv.id), &tokens.area)
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
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await.code, "invalid_pdf");
    let exe = Form::new()
        .text("kind", "report")
        .part("file", Part::bytes(b"MZ".to_vec()).file_name("reporte.exe"));
    assert_eq!(send_form(&app, &path, &tokens.sub, exe).await.status(), 415);

    // A certificate request in attention receives RENAPO's certificate, which starts the
    // deployment clock.
    let response = send_form(
        &app,
        "/api/v1/requests",
        &tokens.area,
        request_form("certificate", None),
    )
    .await;
    let certificate_request: RequestDetail = response.json().await.unwrap();
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
        &format!("/api/v1/requests/{}/attachments", in_progress.summary.id),
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

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let response = app.get(&format!("/api/v1/requests?{query}"), token).await;
    assert_eq!(response.status(), 200, "{query}");
    let page: Page<RequestSummary> = response.json().await.unwrap();
    page.items.into_iter().map(|s| s.ticket_number).collect()
}

async fn the_list_filters_by_state_type_dates_and_text_and_sorts(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let first = in_state(&app, &tokens, RequestState::Submitted).await;
    let second = in_state(&app, &tokens, RequestState::Forwarded).await;
    let certificate: RequestDetail = send_form(
        &app,
        "/api/v1/requests",
        &tokens.area,
        request_form("certificate", None),
    )
    .await
    .json()
    .await
    .unwrap();
    let (a, b, c) = (
        first.summary.ticket_number.clone(),
        second.summary.ticket_number.clone(),
        certificate.summary.ticket_number.clone(),
    );
    assert_eq!(
        list(&app, &tokens.mesa, "").await,
        [c.clone(), b.clone(), a.clone()],
        "newest first"
    );
    assert_eq!(
        list(&app, &tokens.mesa, "sort=oldest").await,
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        list(&app, &tokens.mesa, "state=forwarded").await,
        vec![b.clone()]
    );
    assert_eq!(
        list(&app, &tokens.mesa, "request_type=certificate").await,
        vec![c.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            "unit_id=2&request_type=renapo&sort=oldest"
        )
        .await,
        [a.clone(), b.clone()]
    );
    assert_eq!(
        list(&app, &tokens.mesa, "unit_id=3").await,
        Vec::<String>::new()
    );
    // Text: part of the ticket, of the folio, or of the subject without regard to case.
    let folio = second.summary.folio.clone().unwrap();
    assert_eq!(
        list(&app, &tokens.mesa, &format!("q={}", a.to_lowercase())).await,
        vec![a.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            &format!("q={}", folio.replace('/', "%2F"))
        )
        .await,
        vec![b.clone()]
    );
    assert_eq!(
        list(&app, &tokens.mesa, "q=PRODUCTORES%20DE%20NOV&sort=oldest").await,
        [a.clone(), b.clone(), c.clone()]
    );
    // Dates in Mexico City: today holds all three, yesterday none.
    let today = confrontas_server::calendar::local_date(chrono::Utc::now());
    let yesterday = today.pred_opt().unwrap();
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            &format!("submitted_from={today}&submitted_to={today}")
        )
        .await
        .len(),
        3
    );
    assert!(
        list(&app, &tokens.mesa, &format!("submitted_to={yesterday}"))
            .await
            .is_empty()
    );
    let reversed = app
        .get(
            &format!("/api/v1/requests?submitted_from={today}&submitted_to={yesterday}"),
            &tokens.mesa,
        )
        .await;
    assert_eq!(reversed.status(), 422);
    assert_eq!(problem(reversed).await.errors[0].field, "submitted_to");
    // Nearest due date first: the certificate's first contact is due like the others, but
    // the forwarded one has no first-contact clock left running.
    let due = list(&app, &tokens.mesa, "sort=due").await;
    assert_eq!(due.len(), 3);
    assert_eq!(due[2], b, "{due:?}");
    let unknown = app
        .get("/api/v1/requests?state=perdida", &tokens.mesa)
        .await;
    assert_eq!(unknown.status(), 400);
    let paged: Page<RequestSummary> = app
        .get("/api/v1/requests?per_page=2&page=2", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((paged.total, paged.items.len()), (3, 1));
}

async fn a_day_the_admin_declares_moves_the_due_dates_of_running_clocks(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = submit(&app, &tokens.area).await;
    let before = sla(&app, &tokens.mesa, request.summary.id).await;
    let due = before.clocks[0].due_date.unwrap();
    // Declare the first business day after submission non-working.
    let calendar = {
        let mut conn = app.state.pool.get().unwrap();
        confrontas_server::calendar::load(&mut conn, year()..=year() + 1).unwrap()
    };
    let next = calendar.add_business_days(before.today, 1);
    let declared = app
        .send_json(
            Method::POST,
            "/api/v1/calendar/non-working-days",
            &tokens.admin,
            json!({ "date": next, "name": "Acuerdo de suspensión de labores" }),
        )
        .await;
    assert_eq!(declared.status(), 201);
    let after = sla(&app, &tokens.mesa, request.summary.id).await;
    let moved = after.clocks[0].due_date.unwrap();
    assert!(moved > due, "{due} → {moved}");
    let declared_calendar = {
        let mut conn = app.state.pool.get().unwrap();
        confrontas_server::calendar::load(&mut conn, year()..=year() + 1).unwrap()
    };
    assert!(!declared_calendar.is_business_day(next));
    assert_eq!(moved, declared_calendar.add_business_days(before.today, 5));
}

/// The demo starts with a request in each stage of the procedure, made by the demo users.
async fn the_demo_starts_with_requests_along_the_procedure(db: common::Db) {
    let Some(app) = TestApp::start_with(db, |vars| {
        vars.insert("CONFRONTAS_DEMO_REQUESTS".to_owned(), "true".to_owned());
    })
    .await
    else {
        return;
    };
    let tokens = Tokens::of(&app).await;
    let all: Page<RequestSummary> = app
        .get("/api/v1/requests?sort=oldest", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    let states: Vec<RequestState> = all.items.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            RequestState::Submitted,
            RequestState::Observed,
            RequestState::Forwarded,
            RequestState::InProgress,
            RequestState::Closed,
            RequestState::InProgress,
        ]
    );
    let first = detail(&app, &tokens.area, all.items[0].id).await;
    let layout = first
        .attachments
        .iter()
        .find(|a| a.kind == AttachmentKind::Layout)
        .unwrap();
    let totals = layout.layout_totals.clone().unwrap();
    assert_eq!((totals.rows, totals.valid_rows), (25, 25));
    let closed = timeline(&app, &tokens.area, all.items[4].id).await;
    assert_eq!(closed.len(), 5);
    let desk: Dashboard = app
        .get("/api/v1/dashboard", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(desk.pending_total, 1);
    let area: Dashboard = app
        .get("/api/v1/dashboard", &tokens.area)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(area.pending_total, 1, "the observed one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_demo_starts_with_requests_along_the_procedure() {
    the_demo_starts_with_requests_along_the_procedure(common::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_demo_starts_with_requests_along_the_procedure() {
    the_demo_starts_with_requests_along_the_procedure(common::Db::Postgres).await;
}

async fn a_request_one_business_day_from_its_due_date_is_at_risk_on_the_dashboard(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    // First contact in 2 business days, flagged with 1 left.
    let policy = app
        .send_json(
            Method::PUT,
            "/api/v1/sla-policies/renapo/first_contact",
            &tokens.admin,
            json!({ "business_days": 2, "at_risk_days": 1 }),
        )
        .await;
    assert_eq!(policy.status(), 200);
    let request = submit(&app, &tokens.area).await;
    // Move its submission back so that exactly one business day has gone by.
    let calendar = {
        let mut conn = app.state.pool.get().unwrap();
        confrontas_server::calendar::load(&mut conn, year() - 1..=year() + 1).unwrap()
    };
    let today = confrontas_server::calendar::local_date(chrono::Utc::now());
    let days = (1..=10)
        .find(|d| {
            let then = today - chrono::TimeDelta::days(*d);
            calendar.business_days_between(then, today) == 1
        })
        .unwrap();
    age(&app, request.summary.id, days);
    let clocks = sla(&app, &tokens.mesa, request.summary.id).await;
    assert_eq!(
        (clocks.clocks[0].status, clocks.clocks[0].remaining_days),
        (Some(SlaStatus::AtRisk), Some(1))
    );
    let desk: Dashboard = app
        .get("/api/v1/dashboard", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(desk.at_risk_total, 1);
    assert_eq!(desk.at_risk[0].id, request.summary.id);
    assert_eq!(desk.breached_total, 0);
    let listed: Page<RequestSummary> = app
        .get("/api/v1/requests?sla_status=at_risk", &tokens.mesa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
}
