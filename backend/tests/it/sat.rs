//! SAT confrontations end to end against the built-in SAT simulator over TLS: the
//! exchange file exported and SAT's answer imported (a malformed answer refused whole, with
//! every row's problem, and nothing stored), each opinion sense classified and applied with
//! history and reverted, an expired opinion renewed, the online provider under faults, the
//! opinion QR verified against the registry, and the request resolved only after its SAT
//! confrontation. The demo registry holds the first 300 demo people; the simulator answers
//! by index: 41/42 negative, 43 suspended, 44 without obligations, 45 not registered.

use crate::support::Expect;
use crate::support::online;
use confrontas_api::paths;
use confrontas_api::{Authority, ItemFilter, KpiQuery, PageParams, StartQuery};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

use crate::support::procedure::{Tokens, of_kind_in_attention};
use crate::support::{TestApp, problem, workbook};
use calamine::Reader;
use confrontas_api::{
    AnswerImport, ApplyOutcome, Confrontation, ConfrontationItem, ConfrontationState, Farmer,
    FarmerChange, ItemReason, KpiReport, OpinionVerification, Page, RequestSla, SatOutcome,
    SatProvider, SlaClockKind,
};
use confrontas_server::population::{DEMO_SEED, Person, Population};
use confrontas_server::simulator::sat::SatFaults;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

on_both_backends!(
    the_exchange_file_round_trip_classifies_each_sense_and_applies_with_history,
    a_malformed_answer_file_is_refused_whole_with_every_row_problem_and_nothing_stored,
    the_online_provider_survives_faults_and_an_expired_opinion_is_renewed,
    an_opinion_qr_is_verified_against_the_registry,
    a_sat_request_resolves_only_after_a_finished_sat_confrontation,
);

fn person(index: u64) -> Person {
    Population::new(DEMO_SEED).person(index)
}

/// A CSV layout: each row a demo person's CURP and the RFC written (`None`: left blank).
fn sat_layout(rows: &[(u64, Option<&str>)]) -> Vec<u8> {
    let mut csv = String::from("CURP,RFC\n");
    for (index, rfc) in rows {
        csv.push_str(&format!("{},{}\n", person(*index).curp, rfc.unwrap_or("")));
    }
    csv.into_bytes()
}

/// An RFC of `person` with its check digit changed (a warning, not a refusal).
fn with_wrong_check_digit(person: &Person) -> String {
    let rfc = person.rfc.as_str();
    let (body, last) = rfc.split_at(rfc.len() - 1);
    let other = if last == "1" { '2' } else { '1' };
    format!("{body}{other}")
}

pub(crate) async fn items(app: &TestApp, token: &str, id: i64) -> Vec<ConfrontationItem> {
    let response = app
        .get(
            &paths::confrontations::items(
                id,
                &ItemFilter {
                    per_page: Some(200),
                    ..Default::default()
                },
            ),
            token,
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    response
        .json::<Page<ConfrontationItem>>()
        .await
        .unwrap()
        .items
}

async fn job(app: &TestApp, token: &str, id: i64) -> Confrontation {
    let response = app.get(&paths::confrontations::one(id), token).await;
    response.expect_json(200).await
}

pub(crate) async fn farmer(app: &TestApp, token: &str, curp: &str) -> Farmer {
    let response = app.get(&paths::registry::farmer(curp), token).await;
    response.expect_json(200).await
}

pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    id: i64,
    name: &str,
    csv: String,
) -> reqwest::Response {
    let form = Form::new().part(
        "file",
        Part::bytes(csv.into_bytes()).file_name(name.to_owned()),
    );
    app.http
        .post(app.url(&paths::sat::answers(id)))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The fixed-width export, read back into RFCs (checking every record's width).
pub(crate) async fn exported_rfcs(app: &TestApp, token: &str, id: i64) -> Vec<String> {
    let response = app
        .get(
            &paths::sat::exchange(id, paths::sat::ExchangeFile::Text),
            token,
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=iso-8859-1"
    );
    let bytes = response.bytes().await.unwrap();
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(n, line)| {
            assert_eq!(line.len(), 21, "20 bytes and CR: {line:?}");
            assert_eq!(&line[..7], format!("{:07}", n + 1).as_bytes());
            let rfc: String = line[7..20].iter().map(|b| char::from(*b)).collect();
            rfc.trim_end().to_owned()
        })
        .collect()
}

/// The SAT's answer line for `person`: the sense as the simulator would give it.
fn answer_line(rfc: &str, sense: &str, folio: &str, date: &str) -> String {
    format!("{rfc},{sense},{folio},{date}\n")
}

const ANSWER_HEADER: &str = "RFC,SENTIDO,FOLIO,FECHA_EMISION\n";

async fn the_exchange_file_round_trip_classifies_each_sense_and_applies_with_history(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let warned = with_wrong_check_digit(&person(2));
    // Index 5 has no RFC in the registry (1 in 12 farmers: index % 12 = 5) and none in the
    // layout.
    let rows = [
        (0, None),
        (42, None),
        (43, None),
        (44, None),
        (45, None),
        (2, Some(warned.as_str())),
        (5, None),
        (6, Some("NO-ES-RFC")),
        (8, None),
    ];
    let request = of_kind_in_attention(&app, &tokens, "sat", Some(sat_layout(&rows))).await;
    let started = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    assert_eq!(started.provider, Some(SatProvider::ExchangeFile));
    assert_eq!(started.state, ConfrontationState::WaitingAuthority);
    assert!(
        started
            .waiting_reason
            .as_deref()
            .unwrap()
            .contains("archivo de respuesta del SAT")
    );
    assert_eq!(started.metrics.to_process, 9);
    assert_eq!(
        started.metrics.cannot_update, 2,
        "no RFC and a malformed RFC are refused at once"
    );

    // While the SAT answers, the request's clocks keep running (nothing pauses them).
    let sla: RequestSla = app
        .get_ok(&paths::requests::sla(request.summary.id), &tokens.sub)
        .await;
    let attention = sla
        .clocks
        .iter()
        .find(|c| c.clock == SlaClockKind::Attention)
        .expect("the attention clock");
    assert!(
        !attention.paused && attention.status.is_some_and(|s| s.is_running()),
        "{attention:?}"
    );

    // The file the SAT receives: the seven RFCs to ask, in layout order.
    let sent = exported_rfcs(&app, &tokens.sub, started.id).await;
    let expected: Vec<String> = [0, 42, 43, 44, 45]
        .iter()
        .map(|i| person(*i).rfc.to_string())
        .chain([warned.clone(), person(8).rfc.to_string()])
        .collect();
    assert_eq!(sent, expected);
    let xlsx = workbook(
        app.get(
            &paths::sat::exchange(started.id, paths::sat::ExchangeFile::Xlsx),
            &tokens.sub,
        )
        .await,
        "sat_32d_",
    )
    .await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an .xlsx");
    let sheet = book
        .worksheet_range("Solicitud32D")
        .expect("the sheet the SAT receives");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0], ["CONSECUTIVO", "RFC"]);
    assert_eq!(rows.len(), expected.len() + 1);
    for (n, (row, rfc)) in rows[1..].iter().zip(&expected).enumerate() {
        assert_eq!(row[0], (n + 1).to_string());
        assert_eq!(&row[1], rfc);
    }
    assert_eq!(
        app.get(
            &paths::sat::exchange(started.id, paths::sat::ExchangeFile::Text),
            &tokens.area,
        )
        .await
        .status(),
        403,
        "only the sub-directorate exports"
    );

    // SAT answers every RFC but person 8's, senses written as people write them.
    let date = "27-11-2026";
    let mut answer = String::from(ANSWER_HEADER);
    answer.push_str(&answer_line(&sent[0], "POSITIVO", "26NE0000001", date));
    answer.push_str(&answer_line(
        &sent[1],
        "Negativa",
        "26NE0000002",
        "27/11/2026",
    ));
    answer.push_str(&answer_line(
        &sent[2],
        "En suspensión de actividades",
        "26NE0000003",
        "2026-11-27",
    ));
    answer.push_str(&answer_line(
        &sent[3],
        "INSCRITO SIN OBLIGACIONES",
        "26NE0000004",
        date,
    ));
    answer.push_str(&answer_line(&sent[4], "No inscrito", "", ""));
    answer.push_str(&answer_line(&sent[5], "P", "26NE0000006", date));
    let response = import(&app, &tokens.sub, started.id, "respuesta_sat.csv", answer).await;
    let report: AnswerImport = response.expect_json(200).await;
    assert!(report.accepted, "{report:?}");
    assert_eq!(
        (report.rows, report.answered, report.not_answered),
        (6, 6, 1)
    );

    let finished = job(&app, &tokens.sub, started.id).await;
    assert_eq!(finished.state, ConfrontationState::Finished);
    let m = finished.metrics;
    assert_eq!(m.to_update + m.no_update + m.cannot_update, m.to_process);
    assert_eq!((m.to_update, m.cannot_update), (6, 3));
    assert_eq!(
        m.found, 5,
        "every sense but «no inscrito» is a registered RFC"
    );
    let counts: HashMap<SatOutcome, u64> = finished
        .outcomes
        .iter()
        .map(|c| (c.outcome, c.count))
        .collect();
    assert_eq!(counts[&SatOutcome::Positiva], 2);
    for outcome in [
        SatOutcome::Negativa,
        SatOutcome::EnSuspension,
        SatOutcome::InscritoSinObligaciones,
        SatOutcome::NoInscrito,
    ] {
        assert_eq!(counts[&outcome], 1, "{outcome:?}");
    }

    let listed = items(&app, &tokens.sub, started.id).await;
    let reasons: Vec<Option<ItemReason>> = listed.iter().map(|i| i.reason).collect();
    use ItemReason::*;
    assert_eq!(
        reasons,
        [
            NewOpinion,
            NewOpinion,
            NewOpinion,
            NewOpinion,
            NewOpinion,
            NewOpinion,
            MissingRfc,
            InvalidRfc,
            NotAnswered
        ]
        .map(Some)
    );
    assert_eq!(listed[0].authority_status.as_deref(), Some("positiva"));
    assert_eq!(listed[0].opinion_folio.as_deref(), Some("26NE0000001"));
    // Validity: three months for subsidies (the default), to the same day (CFF art. 12).
    assert_eq!(
        listed[0].opinion_valid_until,
        chrono::NaiveDate::from_ymd_opt(2027, 2, 27)
    );
    assert_eq!(
        listed[5].rfc_warnings,
        [confrontas_api::RfcWarning::CheckDigit],
        "a check digit that does not match is a warning"
    );
    assert_eq!(listed[5].rfc.as_deref(), Some(warned.as_str()));
    assert!(
        listed[4].opinion_folio.is_none(),
        "no document when not registered"
    );

    // A second import finds nothing waiting.
    let again = import(
        &app,
        &tokens.sub,
        started.id,
        "otra.csv",
        ANSWER_HEADER.into(),
    )
    .await;
    assert_eq!(problem(again).await.code, "not_awaiting_answers");

    // Apply: every opinion to the registry, with a history row per field; revert undoes it.
    let response = app
        .send_json(
            Method::POST,
            &paths::confrontations::apply(started.id),
            &tokens.sub,
            json!({ "version": finished.version }),
        )
        .await;
    let applied: ApplyOutcome = response.expect_json(200).await;
    assert_eq!((applied.farmers, applied.conflicts), (6, 0));
    let negative = farmer(&app, &tokens.sub, person(42).curp.as_str()).await;
    assert_eq!(negative.sat_opinion.as_deref(), Some("negativa"));
    assert_eq!(negative.sat_folio.as_deref(), Some("26NE0000002"));
    assert_eq!(
        negative.sat_issued_on,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
    );
    let warned_farmer = farmer(&app, &tokens.sub, person(2).curp.as_str()).await;
    assert_eq!(
        warned_farmer.rfc.as_deref(),
        Some(warned.as_str()),
        "the layout's RFC, answered by the SAT, is recorded"
    );
    let history: Page<FarmerChange> = app
        .get_ok(
            &paths::registry::history(person(42).curp, &PageParams::default()),
            &tokens.sub,
        )
        .await;
    let fields: Vec<&str> = history
        .items
        .iter()
        .filter(|c| c.source_ref.as_deref() == Some(&format!("confrontation:{}", started.id)))
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields.len(), 4, "{fields:?}");
    // People read who and where from in words: the sub-directorate's name, the confrontation
    // with its ticket.
    let applied_change = history
        .items
        .iter()
        .find(|c| c.source_ref.as_deref() == Some(&format!("confrontation:{}", started.id)))
        .unwrap();
    assert_eq!(
        applied_change.source_title.as_deref(),
        Some(format!("Confronta {} · {}", started.id, finished.ticket_number).as_str())
    );
    assert_eq!(applied_change.actor_name, "Daniela Flores Ortega");

    let kpis: KpiReport = app
        .get_ok(
            &paths::confrontations::kpis(&KpiQuery {
                period: "2026".into(),
                authority: Some(Authority::Sat),
            }),
            &tokens.sub,
        )
        .await;
    assert!(
        kpis.overall
            .outcomes
            .iter()
            .any(|c| c.outcome == SatOutcome::Negativa && c.count >= 1),
        "{kpis:?}"
    );
    let csv = app
        .get(&paths::confrontations::report_csv(started.id), &tokens.sub)
        .await
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("Sentido de la opinión") && header.contains("Folio de la opinión"),
        "{header}"
    );
    assert!(csv.contains("En suspensión de actividades"));

    let current = job(&app, &tokens.sub, started.id).await;
    let response = app
        .send_json(
            Method::POST,
            &paths::confrontations::revert(started.id),
            &tokens.sub,
            json!({ "version": current.version }),
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);

    // The report after the revert: its summary says so and when; SAT indicators, not
    // RENAPO's; every coded value in words.
    let response = app
        .get(&paths::confrontations::report_xlsx(started.id), &tokens.sub)
        .await;
    let bytes = crate::support::workbook(response, &finished.ticket_number).await;
    let summary = crate::support::sheets::read_sheet(bytes.clone(), "Resumen");
    let labels: Vec<&str> = summary.iter().map(|row| row[0].as_str()).collect();
    let reverted_line = summary
        .iter()
        .find(|row| row[0].starts_with("Revertida"))
        .unwrap_or_else(|| panic!("a reverted line in {summary:?}"));
    assert!(
        reverted_line[1].starts_with(&crate::sat_dates::today().to_string()),
        "{reverted_line:?}"
    );
    for sat_line in [
        "Elegibles para subsidios (política vigente)",
        "Opiniones ya vencidas al llegar",
        "Filas con problemas de RFC",
        "Opiniones distintas de la del padrón",
    ] {
        assert!(labels.contains(&sat_line), "{sat_line} in {labels:?}");
    }
    assert!(
        !labels
            .iter()
            .any(|l| l.contains("mortalidad") || l.contains("bajas"))
    );
    let results = crate::support::sheets::read_sheet(bytes, "Resultados");
    let text = format!("{results:?}");
    for code in [
        "en_suspension",
        "inscrito_sin_obligaciones",
        "no_inscrito",
        "check_digit",
        "positiva",
    ] {
        assert!(!text.contains(code), "{code} in the results: {text}");
    }
    assert!(text.contains("Dígito verificador no coincide"));
    assert!(text.contains("Opinión 32-D: (vacío) → En suspensión de actividades"));

    let reverted = farmer(&app, &tokens.sub, person(42).curp.as_str()).await;
    assert_eq!(reverted.sat_opinion, None);
    assert_eq!(reverted.sat_folio, None);
    let restored = farmer(&app, &tokens.sub, person(2).curp.as_str()).await;
    assert_eq!(restored.rfc.as_deref(), Some(person(2).rfc.as_str()));
}

async fn a_malformed_answer_file_is_refused_whole_with_every_row_problem_and_nothing_stored(
    app: TestApp,
) {
    let tokens = Tokens::of(&app).await;
    let request = of_kind_in_attention(
        &app,
        &tokens,
        "sat",
        Some(sat_layout(&[(0, None), (1, None), (3, None)])),
    )
    .await;
    let started = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let sent = exported_rfcs(&app, &tokens.sub, started.id).await;
    let outsider = person(250).rfc.to_string();
    let mut answer = String::from(ANSWER_HEADER);
    answer.push_str(&answer_line(
        &sent[0],
        "POSITIVO",
        "26NE0000001",
        "27-11-2026",
    ));
    answer.push_str(&answer_line(
        "NOESRFC",
        "POSITIVO",
        "26NE0000002",
        "27-11-2026",
    ));
    answer.push_str(&answer_line(
        &outsider,
        "POSITIVO",
        "26NE0000003",
        "27-11-2026",
    ));
    answer.push_str(&answer_line(
        &sent[0],
        "NEGATIVO",
        "26NE0000004",
        "27-11-2026",
    ));
    answer.push_str(&answer_line(&sent[1], "QUIZÁ", "26NE0000005", "27-11-2026"));
    answer.push_str(&answer_line(&sent[2], "NEGATIVO", "", "27-11-2026"));
    answer.push_str(&answer_line(
        &sent[2],
        "NEGATIVO",
        "26NE0000006",
        "31-02-2026",
    ));
    let response = import(&app, &tokens.sub, started.id, "respuesta.csv", answer).await;
    let report: AnswerImport = response.expect_json(200).await;
    assert!(!report.accepted);
    assert_eq!((report.rows, report.error_count), (7, 6));
    let by_row: Vec<(u32, &str)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.message.as_str()))
        .collect();
    let expect = [
        (3, "RFC no válido"),
        (4, "no se envió"),
        (5, "se repite: ya viene en la fila 2"),
        (6, "no reconocido"),
        (7, "folio"),
        (8, "fecha"),
    ];
    assert_eq!(by_row.len(), expect.len(), "{by_row:?}");
    for ((row, message), (want_row, says)) in by_row.iter().zip(expect) {
        assert_eq!(*row, want_row);
        assert!(message.contains(says), "row {row}: {message}");
    }
    // Nothing stored: the job still waits, no item moved.
    let after = job(&app, &tokens.sub, started.id).await;
    assert_eq!(after.state, ConfrontationState::WaitingAuthority);
    assert_eq!(after.metrics, started.metrics);
    assert!(
        items(&app, &tokens.sub, started.id)
            .await
            .iter()
            .all(|i| i.classification.is_none())
    );
    // A file without the agreed headers is a 422 problem, in Spanish.
    let response = import(
        &app,
        &tokens.sub,
        started.id,
        "otra.csv",
        "A,B\n1,2\n".into(),
    )
    .await;
    let refused = problem(response).await;
    assert_eq!(refused.status, 422);
    assert!(refused.detail.contains("RFC"), "{}", refused.detail);
    // Pausing is refused (it waits for a file); cancelling is allowed.
    let response = app
        .send_json(
            Method::POST,
            &paths::confrontations::control(
                started.id,
                confrontas_api::ConfrontationControl::Pause,
            ),
            &tokens.sub,
            json!({ "version": after.version }),
        )
        .await;
    assert_eq!(problem(response).await.code, "invalid_transition");
}

async fn run_online(app: &TestApp, tokens: &Tokens, request_id: i64) -> Confrontation {
    app.confront_with(&tokens.sub, request_id, online()).await
}

async fn the_online_provider_survives_faults_and_an_expired_opinion_is_renewed(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let indices: Vec<u64> = (40..60).collect();
    let rows: Vec<(u64, Option<&str>)> = indices
        .iter()
        .filter(|i| *i % 12 != 5)
        .map(|i| (*i, None))
        .collect();
    let request = of_kind_in_attention(&app, &tokens, "sat", Some(sat_layout(&rows))).await;
    let simulator = app
        .state
        .sat
        .simulator()
        .expect("tests run the SAT simulator");
    // Malformed answers are not retried: the item fails after one try.
    simulator.set_faults(SatFaults {
        malformed_rate: 1.0,
        ..SatFaults::default()
    });
    let broken = run_online(&app, &tokens, request.summary.id).await;
    for item in items(&app, &tokens.sub, broken.id).await {
        assert_eq!(item.reason, Some(ItemReason::UnusableAnswer), "{item:?}");
        assert_eq!(item.attempts, 1, "{item:?}");
    }
    let queried = || {
        let stats = &simulator.stats;
        stats.answered.load(Ordering::Relaxed) + stats.faults.load(Ordering::Relaxed)
    };
    let before = queried();
    // Transient faults are retried, at most five tries per item.
    simulator.set_faults(SatFaults {
        unavailable_rate: 0.2,
        throttled_rate: 0.1,
        malformed_rate: 0.1,
        ..SatFaults::default()
    });
    let first = run_online(&app, &tokens, request.summary.id).await;
    assert_eq!(first.provider, Some(SatProvider::Online));
    let m = first.metrics;
    assert_eq!(m.to_update + m.no_update + m.cannot_update, m.to_process);
    let listed = items(&app, &tokens.sub, first.id).await;
    for item in &listed {
        assert!(item.attempts <= 5, "{item:?}");
        match item.reason {
            Some(ItemReason::UnusableAnswer) => {}
            Some(ItemReason::AuthorityUnavailable) => assert_eq!(item.attempts, 5, "{item:?}"),
            Some(ItemReason::NewOpinion) => {}
            other => panic!("unexpected {other:?}: {item:?}"),
        }
    }
    let asked = queried() - before;
    let tries: u64 = listed.iter().map(|i| u64::from(i.attempts)).sum();
    // A failed probe of the open breaker costs no item a try, so queries may exceed tries.
    assert!(asked >= tries, "{asked} queries, {tries} tries");
    // Every query the provider saw is counted, per job and per item.
    assert_eq!(m.queries, asked, "the job counts every query");
    let per_item: u64 = listed.iter().map(|i| u64::from(i.queries)).sum();
    assert_eq!(per_item, asked, "so do its items");
    assert!(
        asked > m.to_process,
        "transient faults were retried: {asked} queries for {} items",
        m.to_process
    );
    assert!(
        listed
            .iter()
            .any(|i| i.attempts > 1 && i.reason == Some(ItemReason::NewOpinion)),
        "some item answered after a retry"
    );
    simulator.set_faults(SatFaults::default());

    // Apply, then confront again: the same opinions are still valid (no update), except the
    // one whose validity has since run out, which is renewed.
    let applied = app
        .send_json(
            Method::POST,
            &paths::confrontations::apply(first.id),
            &tokens.sub,
            json!({ "version": first.version }),
        )
        .await;
    assert_eq!(applied.status(), 200, "{:?}", applied.text().await);
    let renewed_index = listed
        .iter()
        .zip(&rows)
        .find(|(item, _)| item.reason == Some(ItemReason::NewOpinion))
        .map(|(_, (index, _))| *index)
        .expect("some item answered through the faults");
    let expired_curp = person(renewed_index).curp.to_string();
    let expired_on =
        confrontas_server::calendar::rules::local_date(chrono::Utc::now()) - chrono::Days::new(40);
    confrontas_server::db::run(&app.state.pool, move |conn| {
        use confrontas_server::schema::farmers;
        use diesel::prelude::*;
        diesel::update(farmers::table.filter(farmers::curp.eq(expired_curp)))
            .set(farmers::sat_valid_until.eq(Some(expired_on)))
            .execute(conn)?;
        Ok(())
    })
    .await
    .unwrap();
    let second = run_online(&app, &tokens, request.summary.id).await;
    let again = items(&app, &tokens.sub, second.id).await;
    for ((item, before), (index, _)) in again.iter().zip(&listed).zip(&rows) {
        let expected = if *index == renewed_index {
            ItemReason::ChangedOpinion
        } else if before.reason == Some(ItemReason::NewOpinion) {
            ItemReason::SameOpinion
        } else {
            ItemReason::NewOpinion
        };
        assert_eq!(item.reason, Some(expected), "person {index}: {item:?}");
    }
}

async fn an_opinion_qr_is_verified_against_the_registry(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = of_kind_in_attention(&app, &tokens, "sat", Some(sat_layout(&[(0, None)]))).await;
    let job = run_online(&app, &tokens, request.summary.id).await;
    let response = app
        .send_json(
            Method::POST,
            &paths::confrontations::apply(job.id),
            &tokens.sub,
            json!({ "version": job.version }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let registered = farmer(&app, &tokens.sub, person(0).curp.as_str()).await;
    let folio = registered.sat_folio.clone().unwrap();
    let issued = registered.sat_issued_on.unwrap().format("%d-%m-%Y");
    let rfc = registered.rfc.clone().unwrap();
    let url = |folio: &str| {
        format!(
            "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3={folio}_{rfc}_{issued}_P"
        )
    };
    let verify = |url: String, token: String| {
        let app = &app;
        async move {
            app.send_json(
                Method::POST,
                &paths::sat::verify_opinion(),
                &token,
                json!({ "url": url }),
            )
            .await
        }
    };
    let response = verify(url(&folio), tokens.sub.clone()).await;
    let verified: OpinionVerification = response.expect_json(200).await;
    assert_eq!(verified.outcome, SatOutcome::Positiva);
    assert_eq!(verified.rfc, rfc);
    assert!(verified.valid);
    assert_eq!(Some(verified.valid_until), registered.sat_valid_until);
    assert_eq!(verified.registry.len(), 1);
    assert!(verified.registry[0].matches);
    assert_eq!(verified.registry[0].curp, person(0).curp.as_str());

    let other: OpinionVerification = verify(url("26XX0000000"), tokens.sub.clone())
        .await
        .expect_ok()
        .await;
    assert!(
        !other.registry[0].matches,
        "another folio is another opinion"
    );

    let refused =
        problem(verify("https://example.com/?D1=1".into(), tokens.sub.clone()).await).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.errors[0].message.contains("validador"),
        "{refused:?}"
    );
    assert_eq!(
        verify(url(&folio), tokens.area.clone()).await.status(),
        403,
        "areas do not read the registry"
    );
}

async fn a_sat_request_resolves_only_after_a_finished_sat_confrontation(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let request = of_kind_in_attention(
        &app,
        &tokens,
        "sat",
        Some(sat_layout(&[(0, None), (1, None)])),
    )
    .await;
    let resolve = |version: i32| {
        let app = &app;
        let token = tokens.sub.clone();
        let id = request.summary.id;
        async move {
            app.send_json(
                Method::POST,
                &paths::requests::action(id, confrontas_api::RequestAction::Resolve),
                &token,
                json!({ "version": version, "comment": "Se confrontaron las opiniones con el SAT." }),
            )
            .await
        }
    };
    assert_eq!(
        problem(resolve(request.version).await).await.code,
        "confrontation_required"
    );
    // A provider is only chosen for the SAT, and only among the known ones.
    let renapo = of_kind_in_attention(
        &app,
        &tokens,
        "renapo",
        Some(crate::support::procedure::layout(&[0])),
    )
    .await;
    let response = app
        .send_json(
            Method::POST,
            &paths::requests::start_confrontation(
                renapo.summary.id,
                &StartQuery {
                    provider: Some(SatProvider::Online),
                },
            ),
            &tokens.sub,
            json!({}),
        )
        .await;
    assert_eq!(problem(response).await.code, "provider_not_applicable");
    let response = app
        .send_json(
            Method::POST,
            &format!(
                // A provider the contract does not have, written by hand.
                "/api/v1/requests/{}/confrontations?provider=fax",
                request.summary.id
            ),
            &tokens.sub,
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 400);

    // By exchange file: export, import, then the request resolves.
    let started = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let sent = exported_rfcs(&app, &tokens.sub, started.id).await;
    let mut answer = String::from(ANSWER_HEADER);
    for (n, rfc) in sent.iter().enumerate() {
        answer.push_str(&answer_line(
            rfc,
            "POSITIVO",
            &format!("26NE000000{n}"),
            "27-11-2026",
        ));
    }
    let report: AnswerImport = import(&app, &tokens.sub, started.id, "r.csv", answer)
        .await
        .expect_ok()
        .await;
    assert!(report.accepted);
    let response = resolve(request.version).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}
