//! An area never sees another unit's requests, on any route that takes an id.

use crate::support::Expect;
use crate::support::TestApp;
use crate::support::procedure::{Tokens, outsider, pdf, send_form};
use confrontas_api::RequestFilter;
use confrontas_api::paths;
use confrontas_api::{Dashboard, Notification, Page, RequestAction, RequestState, RequestSummary};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::*;

on_both_backends!(an_area_never_sees_another_units_requests_on_any_id_route,);

async fn an_area_never_sees_another_units_requests_on_any_id_route(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let other = outsider(&app, &tokens.admin).await;
    let request = in_state(&app, &tokens, RequestState::Submitted).await;
    let id = request.summary.id;
    let document = request.attachments[0].id;
    for path in [
        paths::requests::one(id),
        paths::requests::timeline(id),
        paths::requests::attachments(id),
        paths::requests::sla(id),
        paths::requests::attachment(document),
    ] {
        let response = app.get(&path, &other).await;
        response.expect_problem(404, "not_found").await;
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
        &paths::requests::attachments(id),
        &other,
        Form::new()
            .text("kind", "report")
            .part("file", Part::bytes(pdf()).file_name("r.pdf")),
    )
    .await;
    assert_eq!(added.status(), 404);
    // Lists, dashboards and reports leave it out as well.
    let listed: Page<RequestSummary> = app
        .get_ok(&paths::requests::list(&Default::default()), &other)
        .await;
    assert_eq!(listed.total, 0);
    let filtered: Page<RequestSummary> = app
        .get_ok(
            &paths::requests::list(&RequestFilter {
                unit_id: Some(2),
                ..Default::default()
            }),
            &other,
        )
        .await;
    assert_eq!(
        filtered.total, 0,
        "an area cannot widen its view with unit_id"
    );
    let dashboard: Dashboard = app.get_ok(&paths::requests::dashboard(), &other).await;
    assert!(dashboard.counts_by_state.iter().all(|c| c.count == 0));
    // Nor another user's notifications.
    let mine: Page<Notification> = app
        .get_ok(
            &paths::notifications::list(&Default::default()),
            &tokens.mesa,
        )
        .await;
    let theirs = mine.items[0].id;
    let response = app
        .send_json(
            Method::POST,
            &paths::notifications::read(theirs),
            &other,
            json!(null),
        )
        .await;
    assert_eq!(response.status(), 404);
    // Nothing changed.
    let after = detail(&app, &tokens.mesa, id).await;
    assert_eq!(after.version, request.version);
}
