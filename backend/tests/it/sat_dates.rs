//! Opinion dates that make sense (`docs/sat-protocol.md`, "Validity"): an opinion dated after
//! today is refused wherever it arrives (answer file, QR; the online answer in `sat::client`),
//! one that arrives expired is stored and shown expired, a newer document of the same sense
//! replaces the registry's folio and dates, a refused answer file is audited, and a changed
//! validity setting recomputes every stored last valid day.

use chrono::NaiveDate;
use confrontas_api::paths;
use confrontas_api::{ItemReason, OpinionVerification, ValidityState};
use confrontas_server::calendar::rules::local_date;
use confrontas_server::config::OpinionValidity;
use confrontas_server::population::{DEMO_SEED, Person, Population};
use confrontas_server::schema::audit_log;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::rfc_ownership::{apply, exchange_started};
use crate::sat::{exported_rfcs, farmer, import, items};
use crate::support::procedure::Tokens;
use crate::support::{Expect, TestApp};

on_both_backends!(
    an_answer_dated_after_today_refuses_the_file_and_the_refusal_is_audited,
    an_opinion_expired_on_arrival_is_stored_and_shown_expired_everywhere,
    a_newer_opinion_of_the_same_sense_replaces_the_folio_and_dates,
    a_qr_dated_after_today_is_refused,
    a_changed_validity_setting_recomputes_every_stored_last_day,
);

fn person(index: u64) -> Person {
    Population::new(DEMO_SEED).person(index)
}

pub(crate) fn today() -> NaiveDate {
    local_date(chrono::Utc::now())
}

fn dmy(day: NaiveDate) -> String {
    day.format("%d-%m-%Y").to_string()
}

/// A finished exchange-file confrontation of farmers `indexes` (their registry RFCs), each
/// answered «positiva» with folio `{prefix}{n}` issued on `issued`.
async fn answered(
    app: &TestApp,
    tokens: &Tokens,
    indexes: &[u64],
    prefix: &str,
    issued: NaiveDate,
) -> confrontas_api::Confrontation {
    let people: Vec<Person> = indexes.iter().map(|i| person(*i)).collect();
    let rows: Vec<(&str, &str)> = people.iter().map(|p| (p.curp.as_str(), "")).collect();
    let started = exchange_started(app, tokens, &rows).await;
    let mut answers = String::from("RFC,SENTIDO,FOLIO,FECHA_EMISION\n");
    for (n, rfc) in exported_rfcs(app, &tokens.sub, started.id)
        .await
        .iter()
        .enumerate()
    {
        answers.push_str(&format!("{rfc},POSITIVO,{prefix}{n},{}\n", dmy(issued)));
    }
    let response = import(app, &tokens.sub, started.id, "respuesta.csv", answers).await;
    let report: confrontas_api::AnswerImport = response.expect_json(200).await;
    assert!(report.accepted, "{report:?}");
    app.get_ok(&paths::confrontations::one(started.id), &tokens.sub)
        .await
}

async fn an_answer_dated_after_today_refuses_the_file_and_the_refusal_is_audited(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let one = person(1);
    let started = exchange_started(&app, &tokens, &[(one.curp.as_str(), "")]).await;
    let tomorrow = today().succ_opt().unwrap();
    let answers = format!(
        "RFC,SENTIDO,FOLIO,FECHA_EMISION\n{},POSITIVO,26NE0000001,{}\n",
        one.rfc,
        dmy(tomorrow)
    );
    let response = import(&app, &tokens.sub, started.id, "futura.csv", answers).await;
    let report: confrontas_api::AnswerImport = response.expect_json(200).await;
    assert!(!report.accepted);
    assert_eq!(report.error_count, 1);
    assert!(
        report.errors[0].message.contains("posterior a hoy"),
        "{report:?}"
    );
    let job: confrontas_api::Confrontation = app
        .get_ok(&paths::confrontations::one(started.id), &tokens.sub)
        .await;
    assert_eq!(
        job.state,
        confrontas_api::ConfrontationState::WaitingAuthority,
        "nothing stored"
    );
    let mut conn = app.state.pool.get().unwrap();
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::action.eq("sat_answers_refused"))
        .filter(audit_log::entity_id.eq(started.id.to_string()))
        .select(audit_log::detail)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(
        audited[0].contains("futura.csv") && audited[0].contains("\"wrong_rows\":1"),
        "{audited:?}"
    );
}

async fn an_opinion_expired_on_arrival_is_stored_and_shown_expired_everywhere(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let long_ago = today() - chrono::Days::new(200);
    let stale = answered(&app, &tokens, &[1], "26OLD", long_ago).await;
    let item = &items(&app, &tokens.sub, stale.id).await[0];
    assert_eq!(item.reason, Some(ItemReason::NewOpinion));
    let standing = item.opinion_standing.expect("a validity for the answer");
    assert_eq!(standing.state, ValidityState::Expired);
    assert!(standing.days_left < 0);
    apply(&app, &tokens.sub, &stale).await;
    let one = farmer(&app, &tokens.sub, person(1).curp.as_str()).await;
    assert_eq!(one.sat_opinion.as_deref(), Some("positiva"));
    assert_eq!(
        one.sat_standing.map(|s| s.state),
        Some(ValidityState::Expired),
        "a «positiva» past its validity is never shown as current"
    );
    let csv = app
        .get(&paths::confrontations::report_csv(stale.id), &tokens.sub)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .ends_with(",Vencida,Requiere nueva opinión"),
        "{csv}"
    );

    let fresh = answered(&app, &tokens, &[3], "26NEW", today()).await;
    let item = &items(&app, &tokens.sub, fresh.id).await[0];
    assert_eq!(
        item.opinion_standing.map(|s| s.state),
        Some(ValidityState::Valid)
    );
}

async fn a_newer_opinion_of_the_same_sense_replaces_the_folio_and_dates(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let first = answered(
        &app,
        &tokens,
        &[4],
        "26AAA",
        today() - chrono::Days::new(20),
    )
    .await;
    apply(&app, &tokens.sub, &first).await;
    let newer = answered(&app, &tokens, &[4], "26BBB", today()).await;
    let item = &items(&app, &tokens.sub, newer.id).await[0];
    assert_eq!(item.reason, Some(ItemReason::ChangedOpinion), "{item:?}");
    let fields: Vec<&str> = item.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["sat_folio", "sat_issued_on", "sat_valid_until"]);
    apply(&app, &tokens.sub, &newer).await;
    let four = farmer(&app, &tokens.sub, person(4).curp.as_str()).await;
    assert_eq!(four.sat_folio.as_deref(), Some("26BBB0"));
    assert_eq!(four.sat_issued_on, Some(today()));

    // The same document again changes nothing.
    let again = answered(&app, &tokens, &[4], "26BBB", today()).await;
    let item = &items(&app, &tokens.sub, again.id).await[0];
    assert_eq!(item.reason, Some(ItemReason::SameOpinion));
}

async fn a_qr_dated_after_today_is_refused(app: TestApp) {
    let token = app
        .login(confrontas_api::Role::Subdireccion)
        .await
        .access_token;
    let url = format!(
        "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=26NE0000001_{}_{}_P",
        person(1).rfc,
        dmy(today().succ_opt().unwrap())
    );
    let response = app
        .send_json(
            Method::POST,
            &paths::sat::verify_opinion(),
            &token,
            json!({ "url": url }),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem = crate::support::problem(response).await;
    assert!(
        problem
            .errors
            .iter()
            .any(|e| e.message.contains("posterior a hoy")),
        "{problem:?}"
    );
    // Today's is verified.
    let today_url = url.replace(&dmy(today().succ_opt().unwrap()), &dmy(today()));
    let verified: OpinionVerification = app
        .send_json(
            Method::POST,
            &paths::sat::verify_opinion(),
            &token,
            json!({ "url": today_url }),
        )
        .await
        .expect_json(200)
        .await;
    assert!(verified.valid);
}

async fn a_changed_validity_setting_recomputes_every_stored_last_day(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let issued = today() - chrono::Days::new(3);
    let job = answered(&app, &tokens, &[7, 6], "26CCC", issued).await;
    apply(&app, &tokens.sub, &job).await;
    let curp = person(6).curp;
    let by_months = farmer(&app, &tokens.sub, curp.as_str()).await;
    assert!(by_months.sat_valid_until.unwrap() > issued + chrono::Days::new(80));

    // The server starts again with CONFRONTAS_SAT_OPINION_VALIDITY=30d.
    let mut conn = app.state.pool.get().unwrap();
    let changed =
        confrontas_server::sat::validity::reconcile(&mut conn, OpinionValidity::Days(30)).unwrap();
    assert!(changed >= 2, "{changed}");
    let by_days = farmer(&app, &tokens.sub, curp.as_str()).await;
    assert_eq!(
        by_days.sat_valid_until,
        Some(issued + chrono::Days::new(29))
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("sat_validity_recomputed"))
        .filter(audit_log::detail.like("%30d%"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(audited, 1);
    // Started again with the same setting, nothing moves.
    assert_eq!(
        confrontas_server::sat::validity::reconcile(&mut conn, OpinionValidity::Days(30)).unwrap(),
        0
    );
}
