//! Service-level clocks: computed from the timeline with the targets of their submission, moved by a day the admin declares, at risk a business day before they are due.

use crate::support::Expect;
use crate::support::TestApp;
use crate::support::procedure::Tokens;
use confrontas_api::RequestFilter;
use confrontas_api::paths;
use confrontas_api::{
    Dashboard, Page, RequestAction, RequestSummary, SlaClockKind, SlaPolicy, SlaStatus,
};
use reqwest::Method;
use serde_json::json;

use super::*;

on_both_backends!(
    clocks_follow_the_timeline_and_keep_the_targets_of_their_submission,
    a_day_the_admin_declares_moves_the_due_dates_of_running_clocks,
    a_request_one_business_day_from_its_due_date_is_at_risk_on_the_dashboard,
);

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
        .get_ok(
            &paths::requests::list(&RequestFilter {
                sla_status: Some(SlaStatus::Breached),
                ..Default::default()
            }),
            &tokens.mesa,
        )
        .await;
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
            &paths::sla::policy(RequestType::Renapo, SlaClockKind::Attention),
            &tokens.admin,
            json!({ "business_days": 60, "at_risk_days": 5 }),
        )
        .await;
    let policy: SlaPolicy = response.expect_json(200).await;
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
            paths::sla::policy(RequestType::Renapo, SlaClockKind::Attention),
            &tokens.mesa,
            json!({ "business_days": 3, "at_risk_days": 1 }),
            403,
        ),
        (
            paths::sla::policy(RequestType::Sat, SlaClockKind::Attention),
            &tokens.admin,
            json!({ "business_days": 5, "at_risk_days": 5 }),
            422,
        ),
        (
            paths::sla::policy(RequestType::Certificate, SlaClockKind::Attention),
            &tokens.admin,
            json!({ "business_days": 5, "at_risk_days": 1 }),
            404,
        ),
    ] {
        let response = app.send_json(Method::PUT, &path, token, body).await;
        assert_eq!(response.status(), status, "{path}");
    }
    let policies: Vec<SlaPolicy> = app.get_ok(&paths::sla::policies(), &tokens.area).await;
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
            &paths::calendar::declare_day(),
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

async fn a_request_one_business_day_from_its_due_date_is_at_risk_on_the_dashboard(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    // First contact in 2 business days, flagged with 1 left.
    let policy = app
        .send_json(
            Method::PUT,
            &paths::sla::policy(RequestType::Renapo, SlaClockKind::FirstContact),
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
        .get_ok(&paths::requests::dashboard(), &tokens.mesa)
        .await;
    assert_eq!(desk.at_risk_total, 1);
    assert_eq!(desk.at_risk[0].id, request.summary.id);
    assert_eq!(desk.breached_total, 0);
    let listed: Page<RequestSummary> = app
        .get_ok(
            &paths::requests::list(&RequestFilter {
                sla_status: Some(SlaStatus::AtRisk),
                ..Default::default()
            }),
            &tokens.mesa,
        )
        .await;
    assert_eq!(listed.total, 1);
}
