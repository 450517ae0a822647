//! One RFC is one person's (`docs/sat-protocol.md`, "Whose RFC it is"): a SAT layout row whose
//! RFC contradicts the CURP, is a legal entity's, or another farmer holds is refused with its
//! reason and never asked or applied; no import, edit or apply gives one farmer's RFC to
//! another; the upgrade takes an RFC several farmers held away from all of them, with history.

use confrontas_api::paths;
use confrontas_api::{
    ApplyOutcome, Classification, Confrontation, ConfrontationState, Curp, Farmer, FarmerChange,
    ItemReason, Page, PageParams, Rfc, Role,
};
use confrontas_server::db::{self, AnyConnection};
use confrontas_server::population::{DEMO_SEED, Person, Population};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::registry_imports::{start, wait_done};
use crate::sat::{exported_rfcs, farmer, import, items};
use crate::support::procedure::{Tokens, of_kind_in_attention};
use crate::support::{Expect, TestApp, problem};

on_both_backends!(
    a_layout_rfc_that_is_not_the_farmers_is_refused_with_its_reason_and_never_asked_or_applied,
    no_import_or_edit_gives_one_farmers_rfc_to_another_or_contradicts_the_curp,
    an_rfc_taken_between_confrontation_and_apply_is_left_as_a_conflict,
    the_upgrade_takes_an_rfc_several_farmers_hold_from_each_with_history,
);

fn person(index: u64) -> Person {
    Population::new(DEMO_SEED).person(index)
}

/// A homonym of `person`: the same name letters, birth date, sex and state, another
/// differentiator (position 17), so RENAPO gives another CURP and the SAT another homoclave.
fn homonym(person: &Person, n: u8) -> String {
    let curp = person.curp.as_str();
    let differentiator = if curp.as_bytes()[16].is_ascii_digit() {
        (b'9' - n) as char
    } else {
        (b'Z' - n) as char
    };
    let first_17 = format!("{}{differentiator}", &curp[..16]);
    let check = Curp::check_digit(&first_17).unwrap();
    let homonym = format!("{first_17}{check}");
    assert_ne!(homonym, curp);
    Curp::parse(&homonym).unwrap().to_string()
}

/// `rfc` with another homoclave (and its check digit).
fn with_homoclave(rfc: &str, homoclave: &str) -> String {
    let body = format!("{}{homoclave}", &rfc[..10]);
    let check = Rfc::check_digit(&body).unwrap();
    format!("{body}{check}")
}

/// Adds farmers by a registry import (`CURP, NOMBRE(S), PRIMER APELLIDO, RFC` rows) and waits
/// for it to finish.
async fn import_farmers(app: &TestApp, token: &str, rows: &[(&str, &Person, &str)]) {
    let mut csv = String::from("CURP,NOMBRE(S),PRIMER APELLIDO,RFC\n");
    for (curp, person, rfc) in rows {
        csv.push_str(&format!(
            "{curp},{},{},{rfc}\n",
            person.given_names, person.first_surname
        ));
    }
    let queued = start(app, token, "homonimos.csv", csv.into_bytes()).await;
    let (done, _) = wait_done(app, token, queued.id).await;
    assert_eq!(done.rejected, 0, "{done:?}");
}

/// A SAT confrontation by exchange file of `rows` (CURP, RFC written), answered «positiva»
/// for every RFC it sends; returns the finished job and the RFCs it sent.
async fn confronted(
    app: &TestApp,
    tokens: &Tokens,
    rows: &[(&str, &str)],
) -> (Confrontation, Vec<String>) {
    let started = exchange_started(app, tokens, rows).await;
    let sent = exported_rfcs(app, &tokens.sub, started.id).await;
    let mut answers = String::from("RFC,SENTIDO,FOLIO,FECHA_EMISION\n");
    for (n, rfc) in sent.iter().enumerate() {
        answers.push_str(&format!("{rfc},POSITIVO,26NE{:07},01-12-2026\n", n + 1));
    }
    let response = import(app, &tokens.sub, started.id, "respuesta.csv", answers).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let finished: Confrontation = app
        .get_ok(&paths::confrontations::one(started.id), &tokens.sub)
        .await;
    assert_eq!(finished.state, ConfrontationState::Finished);
    (finished, sent)
}

/// A SAT confrontation by exchange file of `rows` (CURP, RFC written), waiting for the SAT.
pub(crate) async fn exchange_started(
    app: &TestApp,
    tokens: &Tokens,
    rows: &[(&str, &str)],
) -> Confrontation {
    let mut layout = String::from("CURP,RFC\n");
    for (curp, rfc) in rows {
        layout.push_str(&format!("{curp},{rfc}\n"));
    }
    let request = of_kind_in_attention(app, tokens, "sat", Some(layout.into_bytes())).await;
    let started = app
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    assert_eq!(started.state, ConfrontationState::WaitingAuthority);
    started
}

pub(crate) async fn apply(app: &TestApp, token: &str, job: &Confrontation) -> ApplyOutcome {
    app.send_json(
        Method::POST,
        &paths::confrontations::apply(job.id),
        token,
        json!({ "version": job.version }),
    )
    .await
    .expect_json(200)
    .await
}

async fn a_layout_rfc_that_is_not_the_farmers_is_refused_with_its_reason_and_never_asked_or_applied(
    app: TestApp,
) {
    let tokens = Tokens::of(&app).await;
    // Three homonyms of farmer 6 join the registry: the first with an RFC of its own.
    let six = person(6);
    let (first, second, third) = (homonym(&six, 0), homonym(&six, 1), homonym(&six, 2));
    let firsts_rfc = with_homoclave(six.rfc.as_str(), "Z1");
    let seconds_rfc = with_homoclave(six.rfc.as_str(), "Z2");
    import_farmers(
        &app,
        &tokens.sub,
        &[
            (&first, &six, &firsts_rfc),
            (&second, &six, ""),
            (&third, &six, ""),
        ],
    )
    .await;
    let one = person(1);
    let before_one = farmer(&app, &tokens.sub, one.curp.as_str()).await;
    let other_farmers_rfc = person(3).rfc.to_string();
    let (two, eight) = (person(2), person(8));
    let rows = [
        // Another farmer's RFC: its birth date and letters are another person's.
        (one.curp.as_str(), other_farmers_rfc.as_str()),
        // A company's RFC on a person.
        (two.curp.as_str(), "MAB9307148T4"),
        // The first homonym's RFC on farmer 6: it fits the CURP, but it is taken.
        (six.curp.as_str(), firsts_rfc.as_str()),
        // A new RFC for the second homonym, then the same RFC for the third.
        (second.as_str(), seconds_rfc.as_str()),
        (third.as_str(), seconds_rfc.as_str()),
        // Farmer 8's own RFC.
        (eight.curp.as_str(), eight.rfc.as_str()),
    ];
    let (finished, sent) = confronted(&app, &tokens, &rows).await;
    assert_eq!(
        sent,
        [seconds_rfc.clone(), person(8).rfc.to_string()],
        "the SAT is asked only about RFCs that can be the farmers'"
    );
    let listed = items(&app, &tokens.sub, finished.id).await;
    let got: Vec<(Option<ItemReason>, Option<&str>)> = listed
        .iter()
        .map(|i| (i.reason, i.rfc.as_deref()))
        .collect();
    use ItemReason::*;
    assert_eq!(
        got,
        [
            (Some(RfcMismatch), Some(other_farmers_rfc.as_str())),
            (Some(RfcOfLegalEntity), Some("MAB9307148T4")),
            (Some(RfcHeldByOther), Some(firsts_rfc.as_str())),
            (Some(NewOpinion), Some(seconds_rfc.as_str())),
            (Some(RfcHeldByOther), Some(seconds_rfc.as_str())),
            (Some(NewOpinion), Some(person(8).rfc.as_str())),
        ]
    );
    for item in &listed[..3] {
        assert_eq!(item.classification, Some(Classification::CannotUpdate));
    }
    // The report names each reason in words.
    let csv = app
        .get(&paths::confrontations::report_csv(finished.id), &tokens.sub)
        .await
        .text()
        .await
        .unwrap();
    for label in [
        "El RFC no corresponde a la CURP",
        "RFC de persona moral en la CURP de una persona",
        "El RFC ya es de otro productor",
    ] {
        assert!(csv.contains(label), "{label} in the report:\n{csv}");
    }

    let applied = apply(&app, &tokens.sub, &finished).await;
    assert_eq!((applied.farmers, applied.conflicts), (2, 0));
    assert_eq!(
        farmer(&app, &tokens.sub, one.curp.as_str()).await.rfc,
        before_one.rfc,
        "another farmer's RFC never moves to this one"
    );
    assert_eq!(
        farmer(&app, &tokens.sub, six.curp.as_str())
            .await
            .rfc
            .as_deref(),
        Some(six.rfc.as_str())
    );
    assert_eq!(
        farmer(&app, &tokens.sub, &second).await.rfc.as_deref(),
        Some(seconds_rfc.as_str())
    );
    assert_eq!(farmer(&app, &tokens.sub, &third).await.rfc, None);
    let mut conn = app.state.pool.get().unwrap();
    assert_eq!(shared_rfcs(&mut conn), 0, "no RFC has two holders");
}

/// RFCs (generic ones aside) that more than one farmer holds.
fn shared_rfcs(conn: &mut AnyConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT COUNT(*) AS n FROM (SELECT rfc FROM farmers WHERE rfc IS NOT NULL \
         AND rfc NOT IN ('XAXX010101000', 'XEXX010101000') GROUP BY rfc HAVING COUNT(*) > 1) AS shared",
    )
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

async fn no_import_or_edit_gives_one_farmers_rfc_to_another_or_contradicts_the_curp(app: TestApp) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let six = person(6);
    let (first, second, third) = (homonym(&six, 0), homonym(&six, 1), homonym(&six, 2));
    let new_rfc = with_homoclave(six.rfc.as_str(), "Y1");
    // An import: the homonym may not take farmer 6's RFC, a company's, or one of another date;
    // nor may two rows of the file give one new RFC to two people.
    let csv = format!(
        "CURP,NOMBRE(S),PRIMER APELLIDO,RFC\n{first},{g},{f},{}\n{},,,MAB9307148T4\n{},,,{}\n\
         {second},{g},{f},{new_rfc}\n{third},{g},{f},{new_rfc}\n",
        six.rfc,
        person(2).curp,
        person(1).curp,
        person(3).rfc,
        g = six.given_names,
        f = six.first_surname,
    );
    let queued = start(&app, &token, "padron.csv", csv.into_bytes()).await;
    let (done, _) = wait_done(&app, &token, queued.id).await;
    assert_eq!((done.inserted, done.rejected), (1, 4), "{done:?}");
    let refused: Page<confrontas_api::ImportRejection> = app
        .get_ok(
            &paths::registry::rejections(done.id, &PageParams::default()),
            &token,
        )
        .await;
    let reasons: Vec<&str> = refused.items.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "rfc_held_by_other",
            "rfc_of_legal_entity",
            "rfc_mismatch",
            "rfc_held_by_other"
        ]
    );
    assert!(
        refused.items[3].message.contains(&second),
        "{:?}",
        refused.items[3]
    );
    assert!(
        refused.items[0].message.contains(six.curp.as_str()),
        "{:?}",
        refused.items[0]
    );

    // Edits: the same three refusals, each with a clear reason; nothing changes.
    let seven = person(7);
    let path = paths::registry::farmer(seven.curp.as_str());
    let before: Farmer = app.get_ok(&path, &token).await;
    for (rfc, status, code) in [
        (six.rfc.to_string(), 422, "rfc_mismatch"),
        ("MAB9307148T4".to_owned(), 422, "rfc_of_legal_entity"),
    ] {
        let body = json!({ "version": before.version, "comment": "Oficio 1", "rfc": rfc });
        let response = app.send_json(Method::PATCH, &path, &token, body).await;
        assert_eq!(response.status(), status);
        let problem = problem(response).await;
        assert_eq!(problem.code, code, "{problem:?}");
    }
    // The homonym joins without an RFC; farmer 6's RFC cannot be given to it…
    import_farmers(&app, &token, &[(&first, &six, "")]).await;
    let homonyms_path = paths::registry::farmer(&first);
    let homonym_now: Farmer = app.get_ok(&homonyms_path, &token).await;
    let give_sixs_rfc =
        json!({ "version": homonym_now.version, "comment": "Oficio 2", "rfc": six.rfc.as_str() });
    let response = app
        .send_json(Method::PATCH, &homonyms_path, &token, give_sixs_rfc)
        .await;
    let taken = problem(response).await;
    assert_eq!(taken.code, "rfc_held_by_other");
    assert!(taken.detail.contains(six.curp.as_str()), "{taken:?}");
    // …until staff take it from farmer 6 first: two edits, each with its reason and history.
    let six_path = paths::registry::farmer(six.curp.as_str());
    let six_now: Farmer = app.get_ok(&six_path, &token).await;
    let _: Farmer = app
        .send_ok(
            Method::PATCH,
            &six_path,
            &token,
            json!({ "version": six_now.version, "comment": "El RFC es del homónimo", "rfc": "" }),
        )
        .await;
    let moved: Farmer = app
        .send_ok(
            Method::PATCH,
            &homonyms_path,
            &token,
            json!({ "version": homonym_now.version, "comment": "El RFC es del homónimo", "rfc": six.rfc.as_str() }),
        )
        .await;
    assert_eq!(moved.rfc.as_deref(), Some(six.rfc.as_str()));
    let history: Page<FarmerChange> = app
        .get_ok(
            &paths::registry::history(six.curp.as_str(), &PageParams::default()),
            &token,
        )
        .await;
    assert!(history.items.iter().any(|c| c.field == "rfc"
        && c.before.as_deref() == Some(six.rfc.as_str())
        && c.after.is_none()
        && c.comment.as_deref() == Some("El RFC es del homónimo")));

    // The database itself refuses a second holder, whatever path a future change takes; the
    // generic RFCs may be shared.
    let mut conn = app.state.pool.get().unwrap();
    let sneaked = diesel::sql_query(format!(
        "UPDATE farmers SET rfc = '{}' WHERE curp = '{}'",
        six.rfc,
        person(9).curp
    ))
    .execute(&mut *conn);
    assert!(sneaked.is_err(), "the unique index refuses it");
    for index in [10, 11] {
        diesel::sql_query(format!(
            "UPDATE farmers SET rfc = 'XAXX010101000' WHERE curp = '{}'",
            person(index).curp
        ))
        .execute(&mut *conn)
        .unwrap();
    }
}

async fn an_rfc_taken_between_confrontation_and_apply_is_left_as_a_conflict(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let six = person(6);
    let first = homonym(&six, 0);
    import_farmers(&app, &tokens.sub, &[(&first, &six, "")]).await;
    let new_rfc = with_homoclave(six.rfc.as_str(), "Z3");
    let (finished, sent) = confronted(&app, &tokens, &[(&first, &new_rfc)]).await;
    assert_eq!(sent, std::slice::from_ref(&new_rfc));
    // Before the apply, the RFC goes to farmer 6 (whose CURP it also fits) by an edit.
    let six_path = paths::registry::farmer(six.curp.as_str());
    let six_now: Farmer = app.get_ok(&six_path, &tokens.sub).await;
    let _: Farmer = app
        .send_ok(
            Method::PATCH,
            &six_path,
            &tokens.sub,
            json!({ "version": six_now.version, "comment": "Constancia del SAT", "rfc": new_rfc }),
        )
        .await;
    let applied = apply(&app, &tokens.sub, &finished).await;
    assert_eq!((applied.farmers, applied.conflicts), (0, 1));
    let item = &items(&app, &tokens.sub, finished.id).await[0];
    let conflict = item.apply_conflict.as_deref().unwrap_or_default();
    assert!(
        conflict.contains(&new_rfc) && conflict.contains(six.curp.as_str()),
        "{item:?}"
    );
    assert_eq!(farmer(&app, &tokens.sub, &first).await.rfc, None);
}

/// A database of the migrations before the guard, where three farmers share one RFC and two
/// another, is upgraded: each loses the shared RFC, with a history row that keeps it and one
/// audit row; the generic RFC stays shared, and every other farmer keeps theirs.
async fn the_upgrade_takes_an_rfc_several_farmers_hold_from_each_with_history(app: TestApp) {
    use diesel_migrations::MigrationHarness;
    let mut conn = app.state.pool.get().unwrap();
    let mut guard_reverted = false;
    while !guard_reverted {
        let reverted = match &mut *conn {
            AnyConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
            AnyConnection::Postgresql(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS),
        }
        .unwrap();
        guard_reverted = reverted
            .to_string()
            .replace('-', "")
            .starts_with("20261202000011");
    }
    let set_rfc = |conn: &mut AnyConnection, index: u64, rfc: &str| {
        diesel::sql_query(format!(
            "UPDATE farmers SET rfc = '{rfc}' WHERE curp = '{}'",
            person(index).curp
        ))
        .execute(conn)
        .unwrap();
    };
    let (shared_by_three, shared_by_two) = (person(0).rfc.to_string(), person(1).rfc.to_string());
    for index in [20, 21] {
        set_rfc(&mut conn, index, &shared_by_three);
    }
    set_rfc(&mut conn, 22, &shared_by_two);
    for index in [23, 24] {
        set_rfc(&mut conn, index, "XAXX010101000");
    }
    assert_eq!(shared_rfcs(&mut conn), 2);
    db::migrate(&mut conn).unwrap();
    assert_eq!(shared_rfcs(&mut conn), 0);
    drop(conn);

    let token = app.login(Role::Subdireccion).await.access_token;
    for index in [0, 20, 21, 1, 22] {
        let curp = person(index).curp;
        assert_eq!(
            farmer(&app, &token, curp.as_str()).await.rfc,
            None,
            "{index}"
        );
        let history: Page<FarmerChange> = app
            .get_ok(
                &paths::registry::history(curp.as_str(), &PageParams::default()),
                &token,
            )
            .await;
        let removal = history
            .items
            .iter()
            .find(|c| c.field == "rfc" && c.after.is_none())
            .expect("a history row keeps the removed RFC");
        assert!(removal.before.is_some());
        assert!(
            removal
                .comment
                .as_deref()
                .unwrap()
                .contains("varios productores")
        );
    }
    for index in [23, 24] {
        let generic = farmer(&app, &token, person(index).curp.as_str()).await;
        assert_eq!(generic.rfc.as_deref(), Some("XAXX010101000"));
    }
    assert_eq!(
        farmer(&app, &token, person(2).curp.as_str())
            .await
            .rfc
            .as_deref(),
        Some(person(2).rfc.as_str())
    );
}
