//! The procedure itself: submission to close with ticket, folio and timeline, every action allowed only to its role and from its states, concurrent actions, and the requests the demo starts with.

use crate::support::Expect;
use crate::support::procedure::{Tokens, layout, request_form, send_form};
use crate::support::{TestApp, problem};
use confrontas_api::paths;
use confrontas_api::{
    Attachment, AttachmentKind, Dashboard, Page, RequestAction, RequestDetail, RequestState,
    RequestSummary, Role, TimelineEvent,
};
use confrontas_api::{RequestFilter, RequestSort};
use reqwest::Method;
use serde_json::json;

use super::*;

on_both_backends!(
    the_procedure_runs_from_submission_to_close_with_ticket_folio_and_timeline,
    every_action_is_allowed_only_to_its_role_and_from_its_states,
    concurrent_forwards_get_distinct_consecutive_folios_and_stale_versions_lose,
);

/// The demo starts with a request in each stage of the procedure, made by the demo users.
async fn the_demo_starts_with_requests_along_the_procedure(db: crate::support::Db) {
    let Some(app) = TestApp::start_with(db, |vars| {
        vars.insert("CONFRONTAS_DEMO_REQUESTS".to_owned(), "true".to_owned());
    })
    .await
    else {
        return;
    };
    let tokens = Tokens::of(&app).await;
    let all: Page<RequestSummary> = app
        .get_ok(
            &paths::requests::list(&RequestFilter {
                sort: Some(RequestSort::Oldest),
                ..Default::default()
            }),
            &tokens.mesa,
        )
        .await;
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
        .get_ok(&paths::requests::dashboard(), &tokens.mesa)
        .await;
    assert_eq!(desk.pending_total, 1);
    let area: Dashboard = app
        .get_ok(&paths::requests::dashboard(), &tokens.area)
        .await;
    assert_eq!(area.pending_total, 1, "the observed one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_demo_starts_with_requests_along_the_procedure() {
    the_demo_starts_with_requests_along_the_procedure(crate::support::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_demo_starts_with_requests_along_the_procedure() {
    the_demo_starts_with_requests_along_the_procedure(crate::support::Db::Postgres).await;
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
            &paths::requests::action(accepted.summary.id, RequestAction::Resolve),
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
        .get_ok(
            &paths::requests::attachments(closed.summary.id),
            &tokens.mesa,
        )
        .await;
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
            &paths::requests::submit(),
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
        let forwarded: RequestDetail = response.expect_json(200).await;
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
