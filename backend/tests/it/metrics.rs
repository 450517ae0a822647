//! `GET /metrics` in Prometheus' text format: requests by route template with their latency,
//! jobs, the engine's lanes, login failures, the e-mail outbox and the pool, with no personal
//! data in any label; and only to the configured token when one is set.

use crate::support::procedure::{Tokens, in_attention, layout};
use crate::support::{Db, TestApp};
use confrontas_api::{Role, paths};
use confrontas_server::population::{DEMO_SEED, Population};

/// The value of the series written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let request = app.http.get(app.url(&paths::ops::metrics()));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

async fn metrics_count_the_work_without_personal_data(db: Db) {
    // E-mail on (to a relay nobody listens to; the sending worker does not run in tests), so
    // the outbox is counted.
    let Some(app) = TestApp::start_with(db, |vars| {
        vars.insert("CONFRONTAS_SMTP_HOST".into(), "127.0.0.1".into());
        vars.insert("CONFRONTAS_SMTP_PORT".into(), "9".into());
        vars.insert("CONFRONTAS_SMTP_SECURITY".into(), "none".into());
        vars.insert(
            "CONFRONTAS_SMTP_FROM".into(),
            "confrontas@agricultura.gob.mx".into(),
        );
    })
    .await
    else {
        return;
    };
    let stranger = "persona.ajena@example.mx";
    assert_eq!(
        app.login_as(stranger, "no-es-la-contraseña").await.status(),
        401
    );
    let tokens = Tokens::of(&app).await;
    let curp = Population::new(DEMO_SEED).person(5).curp;
    let farmer = app
        .get(&paths::registry::farmer(curp.as_str()), &tokens.sub)
        .await;
    assert_eq!(farmer.status(), 200);
    let request = in_attention(&app, &tokens, layout(&(0..30).collect::<Vec<_>>())).await;
    app.confront(&tokens.sub, request.summary.id).await;

    let response = scrape(&app, None).await;
    assert_eq!(response.status(), 200);
    let media_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        media_type.starts_with("text/plain; version=0.0.4"),
        "{media_type}"
    );
    let text = response.text().await.unwrap();
    let series = |s: &str| value(&text, s).unwrap_or_else(|| panic!("{s} in\n{text}"));

    assert!(
        series(
            r#"confrontas_http_requests_total{method="GET",route="/api/v1/farmers/{curp}",status="200"}"#
        ) >= 1.0
    );
    assert!(
        series(
            r#"confrontas_http_request_duration_seconds_count{method="GET",route="/api/v1/farmers/{curp}"}"#
        ) >= 1.0
    );
    assert!(text.contains(r#"confrontas_http_request_duration_seconds_bucket{method="POST",route="/api/v1/auth/login",le="0.005"}"#));
    assert_eq!(
        series(r#"confrontas_login_failures_total{credential="password",reason="wrong"}"#),
        1.0
    );
    assert_eq!(
        series(r#"confrontas_confrontations{authority="renapo",state="finished"}"#),
        1.0
    );
    assert_eq!(
        series(r#"confrontas_confrontation_items_processed_total{authority="renapo"}"#),
        30.0
    );
    assert!(series(r#"confrontas_authority_queries_total{authority="renapo"}"#) >= 30.0);
    assert_eq!(
        series(r#"confrontas_authority_queries_in_flight{authority="renapo"}"#),
        0.0
    );
    assert_eq!(
        series(r#"confrontas_authority_breaker_open{authority="renapo"}"#),
        0.0
    );
    assert_eq!(
        series(r#"confrontas_authority_quota_per_second{authority="renapo"}"#),
        0.0
    );
    assert!(
        series(r#"confrontas_email_outbox{state="pending"}"#) >= 1.0,
        "notifications await the relay"
    );
    assert_eq!(
        series(r#"confrontas_db_pool_connections{state="max"}"#),
        4.0
    );
    for personal in [curp.as_str(), stranger, "demo.confrontas.mx"] {
        assert!(!text.contains(personal), "{personal} in the metrics");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_work_without_personal_data_on_sqlite() {
    metrics_count_the_work_without_personal_data(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_work_without_personal_data_on_postgres() {
    metrics_count_the_work_without_personal_data(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_configured_metrics_answer_only_to_it() {
    let app = TestApp::start_with(Db::Sqlite, |vars| {
        vars.insert(
            "CONFRONTAS_METRICS_TOKEN".into(),
            "token-de-prometheus-7f3a".into(),
        );
    })
    .await
    .unwrap();
    let refused = scrape(&app, None).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(scrape(&app, Some("otro")).await.status(), 401);
    let admin = app.login(Role::Admin).await.access_token;
    assert_eq!(
        scrape(&app, Some(&admin)).await.status(),
        401,
        "a session is not the token"
    );
    assert_eq!(
        scrape(&app, Some("token-de-prometheus-7f3a"))
            .await
            .status(),
        200
    );
    app.stop().await;
}
