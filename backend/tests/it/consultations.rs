//! The online CURP consultation for partner systems: who may ask, the normalized
//! answer from the simulator over TLS, RENAPO's refusals and failures as clear problems, the
//! per-client quota, and an audit row for every query.

use crate::support::Expect;
use crate::support::process::spawn_server;
use crate::support::{Db, TestApp, problem, test_database};
use confrontas_api::paths;
use confrontas_api::{CurpConsultation, Role};
use confrontas_server::population::{DEMO_SEED, Population};
use confrontas_server::schema::audit_log;
use confrontas_server::simulator::pki::Authority;
use confrontas_server::simulator::renapo::Faults;
use diesel::prelude::*;

on_both_backends!(
    a_partner_with_the_scope_gets_renapos_answer_normalized_and_every_query_is_audited,
    renapo_failures_and_an_untrusted_certificate_are_clear_problems,
);

fn curp(index: u64) -> String {
    Population::new(DEMO_SEED).person(index).curp.to_string()
}

fn audited(app: &TestApp, curp: &str) -> Vec<(String, String)> {
    let mut conn = app.state.pool.get().unwrap();
    audit_log::table
        .filter(audit_log::action.eq("curp_consulted"))
        .filter(audit_log::entity_id.eq(curp))
        .order(audit_log::id)
        .select((audit_log::actor, audit_log::detail))
        .load(&mut conn)
        .unwrap()
}

async fn a_partner_with_the_scope_gets_renapos_answer_normalized_and_every_query_is_audited(
    app: TestApp,
) {
    let admin = app.login(Role::Admin).await.access_token;
    let partner = app.client_token(&admin, &["consulta_curp"]).await;
    let person = Population::new(DEMO_SEED).person(0);
    let response = app
        .get(&paths::consultations::curp(&person.curp), &partner)
        .await;
    let answer: CurpConsultation = response.expect_json(200).await;
    assert_eq!(answer.curp, person.curp.as_str());
    assert_eq!(answer.given_names, person.given_names.to_uppercase());
    assert_eq!(answer.birth_date, Some(person.birth_date));
    assert!(answer.active && !answer.deceased && answer.simulated);
    assert_eq!(answer.status, "AN");

    let dead: CurpConsultation = app
        .get_ok(&paths::consultations::curp(curp(7)), &partner)
        .await;
    assert!(dead.deceased && !dead.active);

    let missing = app
        .get(&paths::consultations::curp(curp(3)), &partner)
        .await;
    assert_eq!(missing.status(), 404);
    let invalid = app
        .get(&paths::consultations::curp("NOESUNACURP"), &partner)
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(problem(invalid).await.errors[0].field, "curp");

    // Who may ask.
    let subdireccion = app.login(Role::Subdireccion).await.access_token;
    let path = paths::consultations::curp(curp(1));
    assert_eq!(app.get(&path, &subdireccion).await.status(), 200);
    for role in [Role::Area, Role::Mesa, Role::Admin] {
        let token = app.login(role).await.access_token;
        assert_eq!(app.get(&path, &token).await.status(), 403, "{role:?}");
    }

    // Every query leaves a row: who, the CURP, the outcome.
    let rows = audited(&app, person.curp.as_str());
    assert_eq!(rows.len(), 1);
    assert!(rows[0].0.starts_with("client:"), "{rows:?}");
    assert!(rows[0].1.contains("found"));
    let rows = audited(&app, &curp(3));
    assert!(rows[0].1.contains("not_found"), "{rows:?}");
    assert!(
        audited(&app, "NOESUNACURP").is_empty(),
        "invalid CURPs never reach RENAPO"
    );
}

async fn renapo_failures_and_an_untrusted_certificate_are_clear_problems(app: TestApp) {
    let subdireccion = app.login(Role::Subdireccion).await.access_token;
    let path = paths::consultations::curp(curp(2));
    let simulator = app.state.renapo.simulator().unwrap();
    simulator.lock().await.set_faults(Faults {
        unavailable_rate: 1.0,
        ..Faults::default()
    });
    let down = app.get(&path, &subdireccion).await;
    assert_eq!(down.status(), 503);
    assert!(down.headers().contains_key("retry-after"));
    assert_eq!(problem(down).await.code, "renapo_unavailable");
    simulator.lock().await.set_faults(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    });
    let garbled = app.get(&path, &subdireccion).await;
    garbled.expect_problem(502, "renapo_bad_answer").await;
    simulator.lock().await.set_faults(Faults::default());

    // Trusting another certificate than the one RENAPO presents: nothing is sent.
    let stranger = Authority::generate("Otra autoridad").unwrap();
    app.state
        .renapo
        .replace_trust_anchor(stranger.pem())
        .unwrap();
    let untrusted = app.get(&path, &subdireccion).await;
    let refusal = untrusted
        .expect_problem(502, "renapo_certificate_untrusted")
        .await;
    assert!(refusal.detail.contains("certificado"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_has_a_quota_of_queries_per_minute() {
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert("CONFRONTAS_CONSULTATIONS_PER_MINUTE".into(), "3".into());
    })
    .await
    .unwrap();
    let admin = app.login(Role::Admin).await.access_token;
    let partner = app.client_token(&admin, &["consulta_curp"]).await;
    let other = app.client_token(&admin, &["consulta_curp"]).await;
    let path = paths::consultations::curp(curp(4));
    for _ in 0..3 {
        assert_eq!(app.get(&path, &partner).await.status(), 200);
    }
    let over = app.get(&path, &partner).await;
    assert_eq!(over.status(), 429);
    assert!(over.headers().contains_key("retry-after"));
    assert_eq!(
        app.get(&path, &other).await.status(),
        200,
        "another client is not affected"
    );
}

/// A client's consultations are counted in the database: a restart (like another instance on
/// the same database) does not give it a fresh quota.
async fn a_clients_quota_survives_a_restart_of_the_server(db: Db) {
    let Some(database) = test_database(db) else {
        return;
    };
    let vars = [("CONFRONTAS_CONSULTATIONS_PER_MINUTE", "3".to_owned())];
    let (mut first, api) = spawn_server(&database, "first", &vars);
    let admin = api.login(Role::Admin).await.access_token;
    let partner = api.client_token(&admin, &["consulta_curp"]).await;
    let path = paths::consultations::curp(curp(4));
    for _ in 0..3 {
        assert_eq!(api.get(&path, &partner).await.status(), 200);
    }
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, api) = spawn_server(&database, "second", &vars);
    let over = api.get(&path, &partner).await;
    assert_eq!(over.status(), 429, "the restart kept the count");
    assert!(over.headers().contains_key("retry-after"));
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_quota_survives_a_restart_on_sqlite() {
    a_clients_quota_survives_a_restart_of_the_server(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_quota_survives_a_restart_on_postgres() {
    a_clients_quota_survives_a_restart_of_the_server(Db::Postgres).await;
}

/// RENAPO's quota is one for the deployment: online consultations wait for their slot in the
/// pace the engine keeps (`CONFRONTAS_RENAPO_RATE_PER_SECOND`), never burst past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_consultations_keep_renapos_pace() {
    let app = TestApp::start_with(Db::Sqlite, |vars| {
        vars.insert("CONFRONTAS_RENAPO_RATE_PER_SECOND".into(), "2".into());
    })
    .await
    .unwrap();
    let subdireccion = app.login(Role::Subdireccion).await.access_token;
    let path = paths::consultations::curp(curp(4));
    let started = std::time::Instant::now();
    for _ in 0..3 {
        assert_eq!(app.get(&path, &subdireccion).await.status(), 200);
    }
    // Paced at 1.96 a second: the third query starts two intervals (1.02 s) after the first.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_millis(1_000),
        "{elapsed:?}"
    );
}
