//! The request procedure of the service cards: submission with its documents, every action
//! allowed and refused by role and state, tickets and folios, the timeline, the response letter,
//! notifications, service-level clocks, dashboards and reports, and that an area never sees
//! another unit's requests; one file per scenario. The demo registry holds the first 300 demo
//! people.

mod clocks;
mod documents;
mod lists;
mod notifications;
mod procedure;
mod visibility;

use crate::support::Expect;
use crate::support::TestApp;
use crate::support::online;
use crate::support::procedure::{Tokens, layout, pdf, request_form, send_form};
use confrontas_api::paths;
use confrontas_api::{
    RequestAction, RequestDetail, RequestSla, RequestState, RequestType, TimelineEntry,
};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

async fn submit(app: &TestApp, token: &str) -> RequestDetail {
    let response = send_form(
        app,
        &paths::requests::submit(),
        token,
        request_form("renapo", Some(layout(&[1, 2, 3]))),
    )
    .await;
    response.expect_json(201).await
}
async fn detail(app: &TestApp, token: &str, id: i64) -> RequestDetail {
    let response = app.get(&paths::requests::one(id), token).await;
    response.expect_json(200).await
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
    let path = paths::requests::action(id, action);
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
                app.confront_with(&tokens.sub, request.summary.id, online())
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
    let after: RequestDetail = response.expect_json(200).await;
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
    let response = app.get(&paths::requests::timeline(id), token).await;
    response.expect_json(200).await
}
fn year() -> i32 {
    use chrono::Datelike;
    confrontas_server::calendar::local_date(chrono::Utc::now()).year()
}

async fn sla(app: &TestApp, token: &str, id: i64) -> RequestSla {
    app.get_ok(&paths::requests::sla(id), token).await
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
