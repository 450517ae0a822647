//! Eligibility and SAT indicators (`docs/sat-protocol.md`, "Eligibility", "SAT indicators"):
//! the policy judges each sense, an expired opinion needs a new one, an administrator's change
//! is audited and applies at once; SAT confrontations and KPIs report SAT indicators, and a
//! first opinion is not an inconsistency.

use chrono::NaiveDate;
use confrontas_api::paths;
use confrontas_api::{
    Confrontation, Eligibility, EligibilityPolicy, KpiQuery, KpiReport, SatOutcome,
};
use confrontas_server::calendar::rules::local_date;
use confrontas_server::population::{DEMO_SEED, Person, Population};
use confrontas_server::schema::audit_log;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::rfc_ownership::{apply, exchange_started};
use crate::sat::{exported_rfcs, farmer, import, items};
use crate::support::procedure::Tokens;
use crate::support::{Expect, TestApp, problem};

on_both_backends!(
    each_sense_gets_its_verdict_and_an_administrators_change_applies_at_once,
    sat_confrontations_report_sat_indicators_and_a_first_opinion_is_no_inconsistency,
);

fn person(index: u64) -> Person {
    Population::new(DEMO_SEED).person(index)
}

fn today() -> NaiveDate {
    local_date(chrono::Utc::now())
}

/// A finished exchange-file confrontation of `rows` (farmer index, RFC written) whose RFCs
/// the SAT answers, in the order sent, with `answers` (sense, issue date).
async fn confronted(
    app: &TestApp,
    tokens: &Tokens,
    rows: &[(u64, &str)],
    answers: &[(&str, Option<NaiveDate>)],
) -> Confrontation {
    let people: Vec<Person> = rows.iter().map(|(i, _)| person(*i)).collect();
    let layout: Vec<(&str, &str)> = people
        .iter()
        .zip(rows)
        .map(|(p, (_, rfc))| (p.curp.as_str(), *rfc))
        .collect();
    let started = exchange_started(app, tokens, &layout).await;
    let sent = exported_rfcs(app, &tokens.sub, started.id).await;
    assert_eq!(sent.len(), answers.len(), "{sent:?}");
    let mut file = String::from("RFC,SENTIDO,FOLIO,FECHA_EMISION\n");
    for (n, (rfc, (sense, issued))) in sent.iter().zip(answers).enumerate() {
        let (folio, date) = match issued {
            Some(day) => (format!("26EL{n:07}"), day.format("%d-%m-%Y").to_string()),
            None => (String::new(), String::new()),
        };
        file.push_str(&format!("{rfc},{sense},{folio},{date}\n"));
    }
    let response = import(app, &tokens.sub, started.id, "respuesta.csv", file).await;
    let report: confrontas_api::AnswerImport = response.expect_json(200).await;
    assert!(report.accepted, "{report:?}");
    app.get_ok(&paths::confrontations::one(started.id), &tokens.sub)
        .await
}

async fn each_sense_gets_its_verdict_and_an_administrators_change_applies_at_once(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let policy: EligibilityPolicy = app
        .get_ok(&paths::sat::eligibility_policy(), &tokens.area)
        .await;
    assert_eq!(policy.version, 0);
    assert_eq!(policy, EligibilityPolicy::default());

    let recent = Some(today());
    let long_ago = Some(today() - chrono::Days::new(200));
    let job = confronted(
        &app,
        &tokens,
        &[(1, ""), (2, ""), (3, ""), (4, ""), (6, ""), (7, "")],
        &[
            ("POSITIVO", recent),
            ("NEGATIVO", recent),
            ("En suspensión de actividades", recent),
            ("INSCRITO SIN OBLIGACIONES", recent),
            ("NO INSCRITO", None),
            ("POSITIVO", long_ago),
        ],
    )
    .await;
    let verdicts: Vec<Option<Eligibility>> = items(&app, &tokens.sub, job.id)
        .await
        .iter()
        .map(|i| i.opinion_eligibility.as_ref().map(|v| v.verdict))
        .collect();
    use Eligibility::*;
    assert_eq!(
        verdicts,
        [
            Eligible,
            NotEligible,
            NotEligible,
            Eligible,
            NotEligible,
            NeedsNewOpinion
        ]
        .map(Some)
    );
    apply(&app, &tokens.sub, &job).await;
    let no_obligations = farmer(&app, &tokens.sub, person(4).curp.as_str()).await;
    let verdict = no_obligations.sat_eligibility.expect("a verdict");
    assert_eq!(verdict.verdict, Eligible);
    assert!(verdict.condition.unwrap().contains("40 UMA"));
    let csv = app
        .get(&paths::confrontations::report_csv(job.id), &tokens.sub)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("Elegible (si el apoyo anual no rebasa 40 UMA"),
        "{csv}"
    );

    // Only an administrator changes the policy, with a reason, on the version they saw.
    let mut rules = policy.rules.clone();
    rules[3].eligible = false;
    rules[3].condition = Some("  El programa no apoya a contribuyentes sin obligaciones.  ".into());
    let change = |version: i32, rules: Vec<confrontas_api::EligibilityRule>, comment: &str| json!({ "version": version, "rules": rules, "comment": comment });
    let path = paths::sat::eligibility_policy();
    let body = change(0, rules.clone(), "Reglas de operación 2027");
    let refused = app
        .send_json(Method::PUT, &path, &tokens.sub, body.clone())
        .await;
    assert_eq!(refused.status(), 403);
    let four_rules = change(0, rules[..4].to_vec(), "Reglas de operación 2027");
    let invalid = app
        .send_json(Method::PUT, &path, &tokens.admin, four_rules)
        .await;
    assert_eq!(invalid.status(), 422);
    assert!(
        problem(invalid)
            .await
            .errors
            .iter()
            .any(|e| e.field == "rules")
    );
    let unexplained = app
        .send_json(
            Method::PUT,
            &path,
            &tokens.admin,
            change(0, rules.clone(), " "),
        )
        .await;
    assert_eq!(unexplained.status(), 422);
    let saved: EligibilityPolicy = app
        .send_json(Method::PUT, &path, &tokens.admin, body.clone())
        .await
        .expect_json(200)
        .await;
    assert_eq!(saved.version, 1);
    assert_eq!(
        saved.rules[3].condition.as_deref(),
        Some("El programa no apoya a contribuyentes sin obligaciones.")
    );
    assert!(
        saved
            .updated_by
            .is_some_and(|name| !name.starts_with("user:"))
    );
    let stale = app.send_json(Method::PUT, &path, &tokens.admin, body).await;
    assert_eq!(problem(stale).await.code, "version_conflict");
    let now_not = farmer(&app, &tokens.sub, person(4).curp.as_str()).await;
    assert_eq!(
        now_not.sat_eligibility.map(|v| v.verdict),
        Some(NotEligible),
        "the new policy applies at once"
    );
    let mut conn = app.state.pool.get().unwrap();
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::action.eq("eligibility_policy_changed"))
        .select(audit_log::detail)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(audited[0].contains("Reglas de operación 2027") && audited[0].contains("before"));
}

async fn sat_confrontations_report_sat_indicators_and_a_first_opinion_is_no_inconsistency(
    app: TestApp,
) {
    let tokens = Tokens::of(&app).await;
    let recent = Some(today());
    let other_farmers_rfc = person(3).rfc.to_string();
    // Farmer 5 has no RFC (a row refused for it), farmer 1 is given another's.
    let first = confronted(
        &app,
        &tokens,
        &[(2, ""), (4, ""), (5, ""), (1, &other_farmers_rfc)],
        &[
            ("POSITIVO", recent),
            ("POSITIVO", Some(today() - chrono::Days::new(200))),
        ],
    )
    .await;
    let sat = first.sat.expect("SAT indicators");
    assert_eq!(
        (
            sat.answered,
            sat.eligible,
            sat.expired,
            sat.rfc_problems,
            sat.changed
        ),
        (2, 1, 1, 2, 0)
    );
    assert_eq!(sat.eligible_share(), Some(0.5));
    assert_eq!(sat.rfc_problem_share(), Some(0.5));
    assert_eq!(
        first.kpis.inconsistencies,
        Some(0.5),
        "first opinions are not inconsistencies; the two refused rows are"
    );
    assert_eq!(first.kpis.mortality_index, None);
    assert_eq!(first.kpis.survival, None);
    apply(&app, &tokens.sub, &first).await;

    // Farmer 2 now answers «negativa»: an opinion that differs from the registry's.
    let second = confronted(&app, &tokens, &[(2, "")], &[("NEGATIVO", recent)]).await;
    let sat = second.sat.unwrap();
    assert_eq!((sat.changed, sat.eligible), (1, 0));
    assert_eq!(second.kpis.inconsistencies, Some(1.0));

    let kpis: KpiReport = app
        .get_ok(
            &paths::confrontations::kpis(&KpiQuery {
                period: today().format("%Y").to_string(),
                authority: Some(confrontas_api::Authority::Sat),
            }),
            &tokens.sub,
        )
        .await;
    let overall = kpis.overall.sat.expect("SAT indicators of the period");
    assert_eq!(
        (
            overall.answered,
            overall.eligible,
            overall.expired,
            overall.changed
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(kpis.overall.kpis.mortality_index, None);
    assert_eq!(kpis.units.len(), 1);
    assert_eq!(kpis.units[0].sat, Some(overall));
    assert!(
        kpis.overall
            .outcomes
            .iter()
            .any(|c| c.outcome == SatOutcome::Negativa && c.count == 1)
    );
}
