//! RENAPO confrontations end to end against the built-in simulator over TLS: every
//! row classified as the simulator's discrepancies say, metrics that add up, apply and revert
//! with history, faults (transient retried, permanent not, RENAPO down → the job waits and
//! continues by itself), the configured rate counted by the simulator, pause, resume and
//! cancel, KPIs and who may do what. The demo registry holds the first 300 demo people.

use crate::support::Expect;
use confrontas_api::paths;
use confrontas_api::{Classification, ConfrontationControl, ItemFilter, KpiQuery, PageParams};
use std::time::Duration;

use crate::support::procedure::{Tokens, in_attention, layout, of_kind_in_attention, outsider};
use crate::support::{TestApp, problem};
use confrontas_api::{
    ApplyOutcome, Confrontation, ConfrontationItem, ConfrontationState, Farmer, FarmerChange,
    ItemReason, KpiReport, Page, Role,
};
use confrontas_server::population::{DEMO_SEED, Person, Population};
use confrontas_server::simulator::renapo::Faults;
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    every_row_is_classified_as_renapo_answers_and_the_metrics_add_up,
    applying_writes_history_once_and_reverting_restores_the_registry,
    transient_faults_are_retried_and_permanent_ones_fail_only_their_item,
    while_renapo_is_down_the_job_waits_and_then_continues_by_itself,
    pause_resume_and_cancel_take_effect_between_chunks,
    a_renapo_request_resolves_only_after_a_finished_confrontation,
    only_the_sub_directorate_runs_confrontations_and_areas_see_only_their_own,
    an_apply_cut_short_before_it_writes_leaves_the_version_for_the_retry,
    a_newly_started_instance_leaves_a_dead_instances_items_to_those_that_have_lived,
);

/// The registry refuses every write while `on` (a real trigger in the real database: the way
/// a crash or a lost connection cuts an apply short), and accepts them again after.
fn registry_writes_fail(app: &TestApp, on: bool) {
    use diesel::RunQueryDsl;
    let mut conn = app.state.pool.get().unwrap();
    let statements: &[&str] = match (app.db, on) {
        (crate::support::Db::Sqlite, true) => &[
            "CREATE TRIGGER cut_short BEFORE UPDATE ON farmers BEGIN SELECT RAISE(ABORT, 'cut short'); END",
        ],
        (crate::support::Db::Sqlite, false) => &["DROP TRIGGER cut_short"],
        (crate::support::Db::Postgres, true) => &[
            "CREATE FUNCTION cut_short() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'cut short'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER cut_short BEFORE UPDATE ON farmers FOR EACH ROW EXECUTE FUNCTION cut_short()",
        ],
        (crate::support::Db::Postgres, false) => &[
            "DROP TRIGGER cut_short ON farmers",
            "DROP FUNCTION cut_short()",
        ],
    };
    for statement in statements {
        diesel::sql_query(*statement).execute(&mut *conn).unwrap();
    }
}

async fn an_apply_cut_short_before_it_writes_leaves_the_version_for_the_retry(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = in_attention(&app, &tokens, layout(&(0..40).collect::<Vec<_>>())).await;
    let job = app.confront(&tokens.sub, request.summary.id).await;
    assert!(job.metrics.to_update > 0);
    let apply = paths::confrontations::apply(job.id);
    let body = json!({ "version": job.version });
    registry_writes_fail(&app, true);
    let failed = app
        .send_json(Method::POST, &apply, &tokens.sub, body.clone())
        .await;
    assert_eq!(failed.status(), 500, "the apply was cut short");
    registry_writes_fail(&app, false);
    let unchanged: Confrontation = app
        .get_ok(&paths::confrontations::one(job.id), &tokens.sub)
        .await;
    assert_eq!(
        unchanged.version, job.version,
        "nothing was written, nothing moved"
    );
    let retried = app.send_json(Method::POST, &apply, &tokens.sub, body).await;
    let outcome: confrontas_api::ApplyOutcome = retried.expect_json(200).await;
    assert!(outcome.fields > 0);
}

/// People of the demo registry whose index ends in `ending` (mod 100), the first that `fits`.
fn person_ending(ending: u64, fits: impl Fn(&Person) -> bool) -> Person {
    let people = Population::new(DEMO_SEED);
    (0..3)
        .map(|hundred| people.person(hundred * 100 + ending))
        .find(|p| fits(p))
        .expect("a person of the demo registry fits")
}

async fn items(app: &TestApp, token: &str, id: i64, filter: ItemFilter) -> Page<ConfrontationItem> {
    app.get_ok(&paths::confrontations::items(id, &filter), token)
        .await
}

fn by_reason(reason: ItemReason) -> ItemFilter {
    ItemFilter {
        reason: Some(reason),
        ..Default::default()
    }
}

fn all_of(per_page: u32) -> ItemFilter {
    ItemFilter {
        per_page: Some(per_page),
        ..Default::default()
    }
}

async fn farmer(app: &TestApp, token: &str, curp: &str) -> Farmer {
    let response = app.get(&paths::registry::farmer(curp), token).await;
    response.expect_json(200).await
}

async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    app.send_json(Method::POST, path, token, body).await
}

async fn with_simulator(app: &TestApp, faults: Faults) {
    let simulator = app
        .state
        .renapo
        .simulator()
        .expect("tests run the simulator");
    simulator.lock().await.set_faults(faults);
}

/// The layout of the discrepancy cases: (index, expected reason).
fn discrepancy_cases() -> Vec<(u64, ItemReason)> {
    let with_z = person_ending(31, |p| p.first_surname.to_uppercase().contains('Z'));
    let with_second = person_ending(19, |p| p.second_surname.is_some());
    vec![
        (0, ItemReason::Identical),
        (3, ItemReason::NotFound),
        (7, ItemReason::Deceased),
        (11, ItemReason::CurpInactive),
        (12, ItemReason::CurpInactive),
        (13, ItemReason::CurpInactive),
        (17, ItemReason::DataChanged),
        (with_second.index, ItemReason::DataChanged),
        (23, ItemReason::DataChanged),
        (29, ItemReason::Identical),
        (with_z.index, ItemReason::DataChanged),
        (41, ItemReason::Identical),
    ]
}

async fn every_row_is_classified_as_renapo_answers_and_the_metrics_add_up(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let cases = discrepancy_cases();
    let indices: Vec<u64> = cases.iter().map(|(i, _)| *i).collect();
    let request = in_attention(&app, &tokens, layout(&indices)).await;
    let job = app.confront(&tokens.sub, request.summary.id).await;
    assert_eq!(job.state, ConfrontationState::Finished);
    assert_eq!(job.ticket_number, request.summary.ticket_number);

    let all = items(&app, &tokens.sub, job.id, all_of(100)).await;
    assert_eq!(all.total, cases.len() as u64);
    for ((index, expected), item) in cases.iter().zip(&all.items) {
        assert_eq!(item.reason, Some(*expected), "person {index}: {item:?}");
        assert_eq!(item.classification, Some(expected.classification()));
        assert_eq!(item.attempts, 1, "no fault, one query");
    }
    let given = &all.items[6];
    assert_eq!(given.changes.len(), 1);
    assert_eq!(given.changes[0].field, "given_names");
    assert!(
        given.changes[0]
            .after
            .as_deref()
            .unwrap()
            .ends_with(" GUADALUPE")
    );
    let dead = &all.items[2];
    assert_eq!(dead.authority_status.as_deref(), Some("BD"));
    assert!(
        dead.changes
            .iter()
            .any(|c| c.field == "status" && c.after.as_deref() == Some("deceased"))
    );
    let replaced = &all.items[8];
    assert_eq!(replaced.authority_status.as_deref(), Some("RCC"));
    assert_eq!(replaced.changes[0].field, "curp");

    let m = job.metrics;
    assert_eq!(m.to_process, 12);
    assert_eq!(m.processed, 12);
    assert_eq!((m.to_update, m.no_update, m.cannot_update), (5, 3, 4));
    assert_eq!(m.to_update + m.no_update + m.cannot_update, m.to_process);
    assert_eq!(m.deceased, 1);
    assert_eq!(m.found, 11, "all but the CURP RENAPO does not have");
    assert_eq!(job.kpis.inconsistencies, Some(9.0 / 12.0));
    let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
    assert!(close(job.kpis.mortality_index, 1.0 / 11.0));
    assert!(close(job.kpis.survival, 10.0 / 11.0));

    // Filters.
    let updates = items(
        &app,
        &tokens.sub,
        job.id,
        ItemFilter {
            classification: Some(Classification::Update),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(updates.total, 5);
    let deaths = items(&app, &tokens.sub, job.id, by_reason(ItemReason::Deceased)).await;
    assert_eq!(deaths.total, 1);
    let bad = app
        .get(
            // A reason the contract does not have, written by hand.
            &format!("/api/v1/confrontations/{}/items?reason=nope", job.id),
            &tokens.sub,
        )
        .await;
    assert_eq!(bad.status(), 400);

    // Proof of life: for the identical and the corrected, never for the dead or inactive.
    let people = Population::new(DEMO_SEED);
    let alive = farmer(&app, &tokens.sub, people.person(0).curp.as_str()).await;
    assert!(alive.last_proof_of_life_at.is_some());
    let gone = farmer(&app, &tokens.sub, people.person(7).curp.as_str()).await;
    assert!(gone.last_proof_of_life_at.is_none());
    let inactive = farmer(&app, &tokens.sub, people.person(11).curp.as_str()).await;
    assert!(inactive.last_proof_of_life_at.is_none());

    // The reports: a summary and one row per layout row.
    let response = app
        .get(&paths::confrontations::report_xlsx(job.id), &tokens.area)
        .await;
    let bytes = crate::support::workbook(response, &job.ticket_number).await;
    let summary = crate::support::sheets::read_sheet(bytes.clone(), "Resumen");
    let line = |label: &str| {
        summary
            .iter()
            .find(|row| row[0] == label)
            .map(|row| row[1].clone())
            .unwrap_or_else(|| panic!("{label} in {summary:?}"))
    };
    assert_eq!(line("Registros a procesar"), "12");
    assert_eq!(line("% de inconsistencias"), "75.00 %");
    assert_eq!(line("Solicitud"), job.ticket_number);
    let results = crate::support::sheets::read_sheet(bytes, "Resultados");
    assert_eq!(results.len(), 13, "a header and one row per layout row");
    assert_eq!(results[0][4], "Diferencias (antes → después)");
    assert!(results[7][4].starts_with("Nombre(s): "), "{:?}", results[7]);
    assert!(results[7][4].ends_with(" GUADALUPE"));
    assert_eq!(results[3][5], "BD — Baja por defunción");
    let response = app
        .get(&paths::confrontations::report_csv(job.id), &tokens.sub)
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    let lines: Vec<&str> = text.trim_end().lines().collect();
    assert_eq!(lines.len(), 13);
    assert!(
        lines[3].contains("Baja por defunción en RENAPO"),
        "{}",
        lines[3]
    );

    // The month's KPIs count the job.
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let response = app
        .get(
            &paths::confrontations::kpis(&KpiQuery {
                period: month,
                authority: None,
            }),
            &tokens.mesa,
        )
        .await;
    let kpis: KpiReport = response.expect_json(200).await;
    assert_eq!(kpis.overall.confrontations, 1);
    assert_eq!(kpis.overall.metrics, m);
    assert_eq!(kpis.units.len(), 1);
    assert_eq!(kpis.active_farmers, 300);
    assert_eq!(
        kpis.with_recent_proof_of_life, 7,
        "identical and corrected, all active"
    );
    let invalid = app
        .get(
            &paths::confrontations::kpis(&KpiQuery {
                period: "2026-13".into(),
                authority: None,
            }),
            &tokens.mesa,
        )
        .await;
    assert_eq!(invalid.status(), 422);
}

async fn applying_writes_history_once_and_reverting_restores_the_registry(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let cases = discrepancy_cases();
    let indices: Vec<u64> = cases.iter().map(|(i, _)| *i).collect();
    let request = in_attention(&app, &tokens, layout(&indices)).await;
    let job = app.confront(&tokens.sub, request.summary.id).await;
    let people = Population::new(DEMO_SEED);
    let seventeen = people.person(17);
    let before = farmer(&app, &tokens.sub, seventeen.curp.as_str()).await;

    // Deaths only first, then the rest; a stale version loses.
    let path = paths::confrontations::apply(job.id);
    let response = post(
        &app,
        &tokens.sub,
        &path,
        json!({ "version": job.version, "reasons": ["deceased"] }),
    )
    .await;
    let deaths: ApplyOutcome = response.expect_json(200).await;
    assert_eq!((deaths.farmers, deaths.fields, deaths.conflicts), (1, 1, 0));
    let stale = post(&app, &tokens.sub, &path, json!({ "version": job.version })).await;
    stale.expect_problem(409, "stale_version").await;
    let wrong = post(
        &app,
        &tokens.sub,
        &path,
        json!({ "version": job.version + 1, "reasons": ["identical"] }),
    )
    .await;
    assert_eq!(wrong.status(), 422);

    let response = post(
        &app,
        &tokens.sub,
        &path,
        json!({ "version": job.version + 1 }),
    )
    .await;
    let rest: ApplyOutcome = response.expect_json(200).await;
    assert_eq!(rest.farmers, 4, "the four corrections");
    let after = farmer(&app, &tokens.sub, seventeen.curp.as_str()).await;
    assert!(after.given_names.ends_with(" GUADALUPE"), "{after:?}");
    let dead = farmer(&app, &tokens.sub, people.person(7).curp.as_str()).await;
    assert_eq!(dead.status, confrontas_api::FarmerStatus::Deceased);
    // The person with a new CURP is found under it.
    let replaced = &items(
        &app,
        &tokens.sub,
        job.id,
        by_reason(ItemReason::DataChanged),
    )
    .await
    .items;
    let new_curp = replaced
        .iter()
        .find_map(|i| i.changes.iter().find(|c| c.field == "curp"))
        .and_then(|c| c.after.clone())
        .unwrap();
    farmer(&app, &tokens.sub, &new_curp).await;
    // Confronted again, the layout's old CURP is no longer in the registry: that row is
    // classified when the job is created, without asking RENAPO.
    let again = app.confront(&tokens.sub, request.summary.id).await;
    let gone = items(
        &app,
        &tokens.sub,
        again.id,
        by_reason(ItemReason::NotInRegistry),
    )
    .await;
    assert_eq!(gone.total, 1);
    assert_eq!(
        (
            gone.items[0].attempts,
            gone.items[0].authority_status.clone()
        ),
        (0, None)
    );
    assert_eq!(again.metrics.processed, 12);

    // Applying again changes nothing.
    let job = app.confrontation_until(&tokens.sub, job.id, |_| true).await;
    assert_eq!(job.metrics.applied, 5);
    assert_eq!(job.kpis.population_updated, Some(5.0 / 12.0));
    let again = post(&app, &tokens.sub, &path, json!({ "version": job.version })).await;
    let again: ApplyOutcome = again.expect_json(200).await;
    assert_eq!((again.farmers, again.fields), (0, 0));

    // One history row per changed field, filed under the confrontation.
    let history = app
        .get(
            &paths::registry::history(&seventeen.curp, &PageParams::default()),
            &tokens.sub,
        )
        .await;
    let history: Page<FarmerChange> = history.expect_json(200).await;
    let from_job: Vec<&FarmerChange> = history
        .items
        .iter()
        .filter(|c| c.source == confrontas_api::ChangeSource::Confrontation)
        .collect();
    assert_eq!(from_job.len(), 1);
    assert_eq!(from_job[0].field, "given_names");

    // Revert restores every field and records it.
    let job = app.confrontation_until(&tokens.sub, job.id, |_| true).await;
    let revert = paths::confrontations::revert(job.id);
    let response = post(
        &app,
        &tokens.sub,
        &revert,
        json!({ "version": job.version }),
    )
    .await;
    let undone: ApplyOutcome = response.expect_json(200).await;
    assert_eq!((undone.farmers, undone.conflicts), (5, 0));
    assert_eq!(undone.fields, again.fields + deaths.fields + rest.fields);
    let restored = farmer(&app, &tokens.sub, seventeen.curp.as_str()).await;
    assert_eq!(restored.given_names, before.given_names);
    let alive_again = farmer(&app, &tokens.sub, people.person(7).curp.as_str()).await;
    assert_eq!(alive_again.status, confrontas_api::FarmerStatus::Active);
    let job = app.confrontation_until(&tokens.sub, job.id, |_| true).await;
    assert_eq!(job.metrics.applied, 0);
    assert!(job.reverted_at.is_some());
}

async fn transient_faults_are_retried_and_permanent_ones_fail_only_their_item(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let indices: Vec<u64> = (100..130).collect();
    // Half the queries fail in a transient way (HTTP 503, SOAP faults, TipoError 99, resets).
    with_simulator(
        &app,
        Faults {
            unavailable_rate: 0.15,
            fault_rate: 0.1,
            busy_rate: 0.1,
            reset_rate: 0.05,
            ..Faults::default()
        },
    )
    .await;
    let request = in_attention(&app, &tokens, layout(&indices)).await;
    let job = app.confront(&tokens.sub, request.summary.id).await;
    let all = items(&app, &tokens.sub, job.id, all_of(100)).await.items;
    let retried = all.iter().filter(|i| i.attempts > 1).count();
    assert!(retried > 0, "some items needed retries");
    assert!(
        all.iter().all(|i| i.attempts <= 5),
        "never above the attempts allowed"
    );
    let given_up: Vec<_> = all
        .iter()
        .filter(|i| i.reason == Some(ItemReason::AuthorityUnavailable))
        .collect();
    for item in &given_up {
        assert_eq!(item.attempts, 5, "given up only after every try");
    }
    assert_eq!(job.metrics.processed, 30);

    // Malformed and oversized answers are permanent: one try, and only their item fails.
    for faults in [
        Faults {
            malformed_rate: 0.3,
            ..Faults::default()
        },
        Faults {
            oversized_rate: 0.3,
            ..Faults::default()
        },
    ] {
        with_simulator(&app, faults.clone()).await;
        let request = in_attention(&app, &tokens, layout(&(150..180).collect::<Vec<_>>())).await;
        let job = app.confront(&tokens.sub, request.summary.id).await;
        let all = items(&app, &tokens.sub, job.id, all_of(100)).await.items;
        let (unusable, answered): (Vec<_>, Vec<_>) = all
            .iter()
            .partition(|i| i.reason == Some(ItemReason::UnusableAnswer));
        assert!(!unusable.is_empty(), "{faults:?} hit some items");
        assert!(
            unusable.iter().all(|i| i.attempts == 1),
            "not retried: {faults:?}"
        );
        assert!(!answered.is_empty(), "{faults:?} spared the others");
        assert!(
            answered
                .iter()
                .all(|i| i.authority_status.is_some() || i.reason == Some(ItemReason::NotFound)),
            "the others were classified from their answers: {answered:?}"
        );
    }
    // A redirect is never followed.
    with_simulator(
        &app,
        Faults {
            redirect: true,
            ..Faults::default()
        },
    )
    .await;
    let request = in_attention(&app, &tokens, layout(&[190, 191])).await;
    let job = app.confront(&tokens.sub, request.summary.id).await;
    for item in items(&app, &tokens.sub, job.id, ItemFilter::default())
        .await
        .items
    {
        assert_eq!(item.reason, Some(ItemReason::UnusableAnswer));
        assert_eq!(item.attempts, 1);
    }
}

async fn while_renapo_is_down_the_job_waits_and_then_continues_by_itself(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    with_simulator(
        &app,
        Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let request = in_attention(&app, &tokens, layout(&(200..240).collect::<Vec<_>>())).await;
    let job = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let waiting = app
        .confrontation_until(&tokens.sub, job.id, |j| {
            j.state == ConfrontationState::WaitingAuthority
        })
        .await;
    assert!(
        waiting
            .waiting_reason
            .as_deref()
            .unwrap()
            .contains("RENAPO no responde")
    );
    // Down for a while: nothing is given up while the breaker holds the queries back.
    tokio::time::sleep(Duration::from_secs(2)).await;
    with_simulator(&app, Faults::default()).await;
    let done = app
        .confrontation_until(&tokens.sub, job.id, |j| {
            j.state == ConfrontationState::Finished
        })
        .await;
    assert_eq!(done.metrics.processed, 40);
    assert_eq!(done.waiting_reason, None);
    let given_up = items(
        &app,
        &tokens.sub,
        job.id,
        by_reason(ItemReason::AuthorityUnavailable),
    )
    .await;
    assert_eq!(
        given_up.total, 0,
        "the job waited instead of failing its items"
    );
}

/// A 250-row confrontation started against a simulator answering in 200 ms: it runs long
/// enough to be paused in the middle.
async fn slow_job(app: &TestApp, tokens: &Tokens) -> Confrontation {
    with_simulator(
        app,
        Faults {
            latency: Duration::from_millis(200),
            ..Faults::default()
        },
    )
    .await;
    let request = in_attention(app, tokens, layout(&(0..250).collect::<Vec<_>>())).await;
    app.start_confrontation(&tokens.sub, request.summary.id)
        .await
}

async fn pause_resume_and_cancel_take_effect_between_chunks(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let job = slow_job(&app, &tokens).await;
    let control = |verb: ConfrontationControl, job: &Confrontation| {
        (
            paths::confrontations::control(job.id, verb),
            json!({ "version": job.version }),
        )
    };
    let (path, body) = control(ConfrontationControl::Pause, &job);
    let response = post(&app, &tokens.sub, &path, body).await;
    let paused: Confrontation = response.expect_json(200).await;
    assert_eq!(paused.state, ConfrontationState::Paused);
    // The chunk in flight stops at the next heartbeat and commits what was answered; from then
    // on nothing moves (how soon depends on the machine's load, so it is waited for).
    let read = || app.confrontation_until(&tokens.sub, job.id, |_| true);
    // A heartbeat comes every 500 ms; under the whole suite's load the stop and the commit
    // after it have taken more than a second.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let mut settled = read().await;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let now = read().await;
        if now.metrics.processed == settled.metrics.processed {
            break;
        }
        settled = now;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let still = read().await;
    assert_eq!(
        still.metrics.processed, settled.metrics.processed,
        "a paused job does not move"
    );
    assert!(still.metrics.processed < 250);
    let (path, body) = control(ConfrontationControl::Pause, &still);
    let twice = post(&app, &tokens.sub, &path, body).await;
    assert_eq!(problem(twice).await.code, "invalid_transition");

    let (path, body) = control(ConfrontationControl::Resume, &still);
    let response = post(&app, &tokens.sub, &path, body).await;
    let resumed: Confrontation = response.expect_json(200).await;
    let moving = app
        .confrontation_until(&tokens.sub, job.id, |j| {
            j.metrics.processed > still.metrics.processed
        })
        .await;
    let (path, body) = control(ConfrontationControl::Cancel, &moving);
    let response = post(&app, &tokens.sub, &path, body).await;
    assert_eq!(
        response.status(),
        200,
        "{resumed:?} {:?}",
        response.text().await
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cancelled = app.confrontation_until(&tokens.sub, job.id, |_| true).await;
    assert_eq!(cancelled.state, ConfrontationState::Cancelled);
    assert!(
        cancelled.metrics.processed < 250,
        "cancelled before the end"
    );
    let counted = items(
        &app,
        &tokens.sub,
        job.id,
        ItemFilter {
            page: Some(1),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await
    .total;
    assert_eq!(counted, 250, "every row keeps its item");
    // A new confrontation may start once the other is cancelled.
    app.confront(&tokens.sub, job.request_id).await;
}

async fn a_renapo_request_resolves_only_after_a_finished_confrontation(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = in_attention(&app, &tokens, layout(&(1..21).collect::<Vec<_>>())).await;
    let path = paths::requests::action(request.summary.id, confrontas_api::RequestAction::Resolve);
    let body = json!({ "version": request.version, "comment": "Confronta aplicada." });
    let early = post(&app, &tokens.sub, &path, body.clone()).await;
    early.expect_problem(409, "confrontation_required").await;
    // Two starts at once: one confrontation runs, the other start is refused.
    with_simulator(
        &app,
        Faults {
            latency: Duration::from_millis(100),
            ..Faults::default()
        },
    )
    .await;
    let start = paths::requests::confrontations(request.summary.id);
    let (first, second) = tokio::join!(
        post(&app, &tokens.sub, &start, json!({})),
        post(&app, &tokens.sub, &start, json!({}))
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let started = if first.status() == 201 { first } else { second };
    let job: Confrontation = started.expect_json(201).await;
    app.confrontation_until(&tokens.sub, job.id, |j| {
        j.state == ConfrontationState::Finished
    })
    .await;
    let resolved = post(&app, &tokens.sub, &path, body).await;
    assert_eq!(resolved.status(), 200, "{:?}", resolved.text().await);
}

async fn only_the_sub_directorate_runs_confrontations_and_areas_see_only_their_own(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = in_attention(&app, &tokens, layout(&[5, 6])).await;
    let path = paths::requests::confrontations(request.summary.id);
    for role in [Role::Area, Role::Mesa, Role::Admin] {
        let response = post(&app, tokens.of_role(role), &path, json!({})).await;
        assert_eq!(response.status(), 403, "{role:?}");
    }
    let job = app.confront(&tokens.sub, request.summary.id).await;
    // The requesting area and the desk follow it.
    for token in [&tokens.area, &tokens.mesa] {
        let seen = app.get(&paths::confrontations::one(job.id), token).await;
        assert_eq!(seen.status(), 200);
    }
    let apply = paths::confrontations::apply(job.id);
    let refused = post(
        &app,
        &tokens.area,
        &apply,
        json!({ "version": job.version }),
    )
    .await;
    assert_eq!(refused.status(), 403);
    // An area of another unit does not see it at all.
    let other = outsider(&app, &tokens.admin).await;
    for route in [
        paths::confrontations::one(job.id),
        paths::confrontations::items(job.id, &ItemFilter::default()),
        paths::confrontations::events(job.id),
    ] {
        let response = app.get(&route, &other).await;
        assert_eq!(response.status(), 404, "{route}");
    }
    let listed = app.get(&path, &other).await;
    assert_eq!(listed.status(), 404);
    // A missing request and a certificate request cannot be confronted.
    let missing = post(
        &app,
        &tokens.sub,
        &paths::requests::confrontations(999_999),
        json!({}),
    )
    .await;
    assert_eq!(missing.status(), 404);
    let certificate = of_kind_in_attention(&app, &tokens, "certificate", None).await;
    let refused = post(
        &app,
        &tokens.sub,
        &paths::requests::confrontations(certificate.summary.id),
        json!({}),
    )
    .await;
    refused.expect_problem(409, "not_confrontable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_rate_is_never_exceeded_as_the_simulator_counts() {
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert("CONFRONTAS_RENAPO_RATE_PER_SECOND".into(), "25".into());
    })
    .await
    .unwrap();
    let tokens = Tokens::of(&app).await;
    // RENAPO's quota equals the configured rate: any burst above it would be refused.
    with_simulator(
        &app,
        Faults {
            quota_per_second: Some(25),
            ..Faults::default()
        },
    )
    .await;
    let request = in_attention(&app, &tokens, layout(&(0..100).collect::<Vec<_>>())).await;
    let job = app.confront(&tokens.sub, request.summary.id).await;
    assert_eq!(job.metrics.processed, 100);
    let simulator = app.state.renapo.simulator().unwrap().lock().await;
    let stats = &simulator.stats;
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(
        stats.refused_quota.load(Relaxed),
        0,
        "never refused for the quota"
    );
    assert!(stats.busiest_second.load(Relaxed) <= 25);
    assert!(stats.answered.load(Relaxed) >= 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_streams_as_server_sent_events_until_the_job_finishes() {
    let app = TestApp::start(crate::support::Db::Sqlite).await.unwrap();
    let tokens = Tokens::of(&app).await;
    with_simulator(
        &app,
        Faults {
            latency: Duration::from_millis(30),
            ..Faults::default()
        },
    )
    .await;
    let request = in_attention(&app, &tokens, layout(&(0..120).collect::<Vec<_>>())).await;
    let job = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let response = app
        .get(&paths::confrontations::events(job.id), &tokens.area)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let stream = tokio::time::timeout(Duration::from_secs(60), response.text())
        .await
        .expect("the stream ends when the job finishes")
        .unwrap();
    let events: Vec<Confrontation> = stream
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("event: progress\ndata: "))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    assert!(
        events.len() >= 2,
        "progress is reported along the way: {}",
        events.len()
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0].metrics.processed <= w[1].metrics.processed)
    );
    let last = events.last().unwrap();
    assert_eq!(last.state, ConfrontationState::Finished);
    assert_eq!(last.metrics.processed, 120);
}

/// Progress moves at least every second while items are answered, even within one
/// 200-item chunk that takes seconds: answers are committed as they come and the stream sends
/// each change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_events_come_about_every_second_within_a_chunk() {
    use futures_util::StreamExt;
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert("CONFRONTAS_RENAPO_RATE_PER_SECOND".into(), "41".into());
        vars.insert("CONFRONTAS_CONFRONTATION_CHUNK".into(), "200".into());
    })
    .await
    .unwrap();
    let tokens = Tokens::of(&app).await;
    // One chunk of 200 at 40 a second: five seconds before a whole-chunk commit.
    let request = in_attention(&app, &tokens, layout(&(0..200).collect::<Vec<_>>())).await;
    let job = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let response = app
        .get(&paths::confrontations::events(job.id), &tokens.sub)
        .await;
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    let mut seen: Vec<(std::time::Instant, u64)> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline.into(), stream.next()).await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(data) = event.strip_prefix("event: progress\ndata: ") {
                let job: Confrontation = serde_json::from_str(data.trim()).unwrap();
                seen.push((std::time::Instant::now(), job.metrics.processed));
            }
        }
    }
    let moving: Vec<&(std::time::Instant, u64)> = seen.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(moving.last().unwrap().1, 200, "{seen:?}");
    assert!(moving.len() >= 4, "progress moved in steps: {seen:?}");
    let longest = moving.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap();
    assert!(
        longest < Duration::from_millis(1_300),
        "progress events about a second apart at most: {longest:?}"
    );
}

/// Puts `count` pending items of `job` under `owner`'s lease, ending `minutes` from now
/// (negative: a lease that ran out); returns their ids.
fn lease_directly(app: &TestApp, job: i64, owner: &str, minutes: i64, count: i64) -> Vec<i64> {
    use confrontas_server::schema::confrontation_items as items;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    let ids: Vec<i64> = items::table
        .filter(items::confrontation_id.eq(job))
        .filter(items::state.eq("pending"))
        .order(items::id)
        .limit(count)
        .select(items::id)
        .load(&mut conn)
        .unwrap();
    diesel::update(items::table.filter(items::id.eq_any(&ids)))
        .set((
            items::state.eq("leased"),
            items::lease_owner.eq(owner),
            items::lease_until
                .eq(confrontas_server::db::now() + chrono::TimeDelta::minutes(minutes)),
        ))
        .execute(&mut conn)
        .unwrap();
    ids
}

/// An instance restarted after a crash may crash again: for its first lease it takes no
/// orphaned items while another instance lives to take them, so the same items are not
/// orphaned again and again (README, "Confrontations").
async fn a_newly_started_instance_leaves_a_dead_instances_items_to_those_that_have_lived(
    app: TestApp,
) {
    use confrontas_server::confrontations::queue::{self, Takeover};
    let tokens = Tokens::of(&app).await;
    let job = slow_job(&app, &tokens).await;
    let path = paths::confrontations::control(job.id, ConfrontationControl::Pause);
    post(&app, &tokens.sub, &path, json!({ "version": job.version }))
        .await
        .expect_json::<Confrontation>(200)
        .await;
    // The paused job's chunk stops and gives back what it had not asked.
    let leased = || {
        use confrontas_server::schema::confrontation_items as items;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        items::table
            .filter(items::confrontation_id.eq(job.id))
            .filter(items::state.eq("leased"))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while leased() > 0 {
        assert!(std::time::Instant::now() < deadline, "the chunk stops");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // However far the engine got before the pause, the paused job's items are all waiting
    // again: the claims below are the only ones (a paused job is never claimed by the engine).
    {
        use confrontas_server::schema::confrontation_items as items;
        use diesel::prelude::*;
        diesel::update(items::table.filter(items::confrontation_id.eq(job.id)))
            .set(items::state.eq("pending"))
            .execute(&mut app.state.pool.get().unwrap())
            .unwrap();
    }

    let orphaned = lease_directly(&app, job.id, "dead", -1, 5);
    lease_directly(&app, job.id, "survivor", 1, 5);
    let mut conn = app.state.pool.get().unwrap();
    let now = confrontas_server::db::now();
    let until = now + chrono::TimeDelta::minutes(1);
    assert!(
        !queue::has_orphans(&mut conn, job.id, "newcomer", Takeover::WhenAlone, now).unwrap(),
        "a newcomer is not told to take them while the survivor lives"
    );
    let newcomers = queue::claim(
        &mut conn,
        job.id,
        "newcomer",
        Takeover::WhenAlone,
        until,
        10,
    )
    .unwrap();
    assert_eq!(newcomers.len(), 10, "it works on pending items meanwhile");
    assert!(
        newcomers.iter().all(|item| !orphaned.contains(&item.id)),
        "the newcomer leaves the orphaned items"
    );
    assert!(queue::has_orphans(&mut conn, job.id, "survivor", Takeover::Any, now).unwrap());
    let survivors = queue::claim(&mut conn, job.id, "survivor", Takeover::Any, until, 10).unwrap();
    assert_eq!(
        survivors
            .iter()
            .take(5)
            .map(|item| item.id)
            .collect::<Vec<_>>(),
        orphaned,
        "the instance that has lived takes them first"
    );

    // Alone (every other lease ran out), the newcomer takes them: nobody else would.
    let orphaned_again = lease_directly(&app, job.id, "dead", -1, 5);
    drop(conn);
    {
        use confrontas_server::schema::confrontation_items as items;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(items::table.filter(items::lease_owner.eq("survivor")))
            .set(items::lease_until.eq(now - chrono::TimeDelta::minutes(1)))
            .execute(&mut conn)
            .unwrap();
    }
    let mut conn = app.state.pool.get().unwrap();
    let now = confrontas_server::db::now();
    assert!(queue::has_orphans(&mut conn, job.id, "newcomer", Takeover::WhenAlone, now).unwrap());
    let alone = queue::claim(
        &mut conn,
        job.id,
        "newcomer",
        Takeover::WhenAlone,
        until,
        20,
    )
    .unwrap();
    let taken: Vec<i64> = alone.iter().map(|item| item.id).collect();
    assert!(
        orphaned_again.iter().all(|id| taken.contains(id)),
        "alone, the newcomer takes them: {taken:?}"
    );
}
