//! The farmer registry: search, detail, edits with per-field history, roles. The demo seeds 300
//! farmers from the demo population, so expectations are computed from the same people.

use crate::support::Expect;
use crate::support::{TestApp, problem};
use confrontas_api::identity::plain_upper;
use confrontas_api::paths;
use confrontas_api::{ChangeSource, Farmer, FarmerChange, FarmerStatus, Page, Role};
use confrontas_api::{FarmerFilter, FarmerSort};
use confrontas_server::population::{DEMO_SEED, Person, Population};
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    search_matches_names_without_accents_curp_prefixes_state_and_status_with_paging,
    an_edit_changes_allowed_fields_records_each_in_the_history_and_bumps_the_version,
    a_stale_version_is_a_conflict_and_changes_nothing,
    invalid_edits_are_refused_with_field_errors,
    only_subdireccion_and_admin_reach_the_registry,
);

fn demo_people() -> Vec<Person> {
    Population::new(DEMO_SEED).people(300).collect()
}

async fn page(app: &TestApp, token: &str, filter: FarmerFilter) -> Page<Farmer> {
    app.get_ok(&paths::registry::farmers(&filter), token).await
}

async fn search_matches_names_without_accents_curp_prefixes_state_and_status_with_paging(
    app: TestApp,
) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let people = demo_people();
    let all = page(
        &app,
        &token,
        FarmerFilter {
            per_page: Some(1),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(all.total, 300);

    // "hernandez" (no accent, lower case) finds every Hernández, in any name position.
    let expected = people
        .iter()
        .filter(|p| plain_upper(&p.full_name()).contains("HERNANDEZ"))
        .count() as u64;
    assert!(expected > 3);
    let found = page(
        &app,
        &token,
        FarmerFilter {
            q: Some("hernandez".into()),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found.total, expected);
    assert!(found.items.iter().all(|f| {
        plain_upper(&format!(
            "{} {} {}",
            f.given_names,
            f.first_surname,
            f.second_surname.clone().unwrap_or_default()
        ))
        .contains("HERNANDEZ")
    }));

    // Two words in any order narrow it down to the person.
    let someone = &people[17];
    let words = format!(
        "{} {}",
        someone.first_surname,
        someone.given_names.split(' ').next().unwrap()
    );
    let narrowed = page(
        &app,
        &token,
        FarmerFilter {
            q: Some(words.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        narrowed
            .items
            .iter()
            .any(|f| f.curp == someone.curp.as_str()),
        "{words}"
    );

    // Ñ may be typed as N ("nunez" finds Núñez), and the other way round.
    let with_enie = people
        .iter()
        .find(|p| p.first_surname.to_uppercase().contains('Ñ'))
        .expect("the demo has surnames with Ñ");
    for typed in [
        with_enie.first_surname.to_lowercase().replace('ñ', "n"),
        with_enie.first_surname.clone(),
    ] {
        let found = page(
            &app,
            &token,
            FarmerFilter {
                q: Some(typed.clone()),
                per_page: Some(200),
                ..Default::default()
            },
        )
        .await;
        assert!(
            found
                .items
                .iter()
                .any(|f| f.curp == with_enie.curp.as_str()),
            "{typed}"
        );
    }

    // CURP prefix, lower case accepted.
    let prefix = someone.curp.as_str()[..10].to_lowercase();
    let by_curp = page(
        &app,
        &token,
        FarmerFilter {
            curp: Some(prefix.to_string()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        by_curp
            .items
            .iter()
            .all(|f| f.curp.starts_with(&prefix.to_uppercase()))
    );
    assert!(
        by_curp
            .items
            .iter()
            .any(|f| f.curp == someone.curp.as_str())
    );

    // State of residence and status filters.
    let state = someone.birth_state;
    let in_state = page(
        &app,
        &token,
        FarmerFilter {
            state: Some(state.to_lowercase()),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await;
    assert!(
        in_state.total >= 1
            && in_state
                .items
                .iter()
                .all(|f| f.state.as_deref() == Some(state))
    );
    assert_eq!(
        page(
            &app,
            &token,
            FarmerFilter {
                status: Some(FarmerStatus::Deceased),
                ..Default::default()
            }
        )
        .await
        .total,
        0
    );

    // Pages and sorts.
    let first = page(
        &app,
        &token,
        FarmerFilter {
            sort: Some(FarmerSort::Curp),
            per_page: Some(120),
            page: Some(1),
            ..Default::default()
        },
    )
    .await;
    let third = page(
        &app,
        &token,
        FarmerFilter {
            sort: Some(FarmerSort::Curp),
            per_page: Some(120),
            page: Some(3),
            ..Default::default()
        },
    )
    .await;
    assert_eq!((first.items.len(), third.items.len()), (120, 60));
    let mut sorted: Vec<String> = people.iter().map(|p| p.curp.to_string()).collect();
    sorted.sort();
    assert_eq!(first.items[0].curp, sorted[0]);
    assert_eq!(third.items.last().unwrap().curp, sorted[299]);

    let detail: Farmer = app
        .get_ok(
            &paths::registry::farmer(someone.curp.as_str().to_lowercase()),
            &token,
        )
        .await;
    assert_eq!(
        (detail.given_names.as_str(), detail.birth_date),
        (someone.given_names.as_str(), someone.birth_date)
    );
    let missing = app
        .get(&paths::registry::farmer("HEGG560427MVZRRL04"), &token)
        .await;
    assert_eq!(missing.status(), 404);
    assert!(problem(missing).await.detail.contains("padrón"));
    let bad_prefix = app
        .get(
            &paths::registry::farmers(&FarmerFilter {
                curp: Some("%%".into()),
                ..Default::default()
            }),
            &token,
        )
        .await;
    assert_eq!(bad_prefix.status(), 422);
}

async fn an_edit_changes_allowed_fields_records_each_in_the_history_and_bumps_the_version(
    app: TestApp,
) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let someone = &demo_people()[5];
    let path = paths::registry::farmer(&someone.curp);
    let before: Farmer = app.get_ok(&path, &token).await;
    assert_eq!(before.version, 1);

    let body = json!({ "version": 1, "comment": "Oficio DGFA/123/2026", "municipality": "Zapopan", "producer_folio": "PB-ZAP-1", "status": "deregistered", "rfc": "" });
    let response = app.send_json(Method::PATCH, &path, &token, body).await;
    let after: Farmer = response.expect_json(200).await;
    assert_eq!(after.version, 2);
    assert_eq!(after.municipality.as_deref(), Some("Zapopan"));
    assert_eq!(after.status, FarmerStatus::Deregistered);
    assert_eq!(after.rfc, None, "an empty string removes the RFC");
    assert_eq!(
        (after.given_names, after.curp),
        (before.given_names, before.curp),
        "authority data untouched"
    );

    let history: Page<FarmerChange> = app
        .get_ok(&format!("{path}/history?per_page=200"), &token)
        .await;
    let edits: Vec<&FarmerChange> = history
        .items
        .iter()
        .filter(|c| c.source == ChangeSource::Edit)
        .collect();
    let mut fields: Vec<&str> = edits.iter().map(|c| c.field.as_str()).collect();
    fields.sort();
    let expected_fields = if before.rfc.is_some() {
        vec!["municipality", "producer_folio", "rfc", "status"]
    } else {
        vec!["municipality", "producer_folio", "status"]
    };
    assert_eq!(fields, expected_fields);
    let status = edits.iter().find(|c| c.field == "status").unwrap();
    assert_eq!(
        (status.before.as_deref(), status.after.as_deref()),
        (Some("active"), Some("deregistered"))
    );
    assert_eq!(status.comment.as_deref(), Some("Oficio DGFA/123/2026"));
    assert!(status.actor.starts_with("user:"));
    // The demo's creation is in the history too, oldest last, with the whole initial record.
    let created = history.items.last().unwrap();
    assert_eq!(
        (
            created.source,
            created.field.as_str(),
            created.before.as_deref()
        ),
        (ChangeSource::Demo, "created", None)
    );
    let record: serde_json::Value =
        serde_json::from_str(created.after.as_deref().unwrap()).unwrap();
    assert_eq!(record["curp"], json!(someone.curp.as_str()));
    assert_eq!(record["status"], json!("active"));

    // Sending the same values again changes nothing: no new version, no new history.
    let same = json!({ "version": 2, "comment": "Sin cambios", "municipality": " Zapopan " });
    let unchanged: Farmer = app.send_ok(Method::PATCH, &path, &token, same).await;
    assert_eq!(unchanged.version, 2);
    let again: Page<FarmerChange> = app
        .get_ok(&format!("{path}/history?per_page=1"), &token)
        .await;
    assert_eq!(again.total, history.total);
}

async fn a_stale_version_is_a_conflict_and_changes_nothing(app: TestApp) {
    let token = app.login(Role::Admin).await.access_token;
    let path = paths::registry::farmer(&demo_people()[9].curp);
    let first = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            json!({ "version": 1, "comment": "Primera", "municipality": "Tepic" }),
        )
        .await;
    assert_eq!(first.status(), 200);
    let stale = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            json!({ "version": 1, "comment": "Segunda", "municipality": "Xalisco" }),
        )
        .await;
    let problem = stale.expect_problem(409, "version_conflict").await;
    assert!(problem.detail.contains("versión actual 2"));
    let farmer: Farmer = app.get_ok(&path, &token).await;
    assert_eq!(farmer.municipality.as_deref(), Some("Tepic"));
}

async fn invalid_edits_are_refused_with_field_errors(app: TestApp) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let path = paths::registry::farmer(&demo_people()[3].curp);
    let cases = [
        (
            json!({ "version": 1, "comment": "x", "status": "deceased" }),
            "status",
        ),
        (
            json!({ "version": 1, "comment": "x", "rfc": "CACA580710NF7" }),
            "rfc",
        ),
        (
            json!({ "version": 1, "comment": "x", "state": "NE" }),
            "state",
        ),
        (
            json!({ "version": 1, "comment": " ", "municipality": "Tepic" }),
            "comment",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .send_json(Method::PATCH, &path, &token, body.clone())
            .await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(problem(response).await.errors[0].field, field, "{body}");
    }
    // Authority data cannot be edited by hand at all.
    let names = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            json!({ "version": 1, "comment": "x", "given_names": "Otro" }),
        )
        .await;
    assert_eq!(names.status(), 400);
    let farmer: Farmer = app.get_ok(&path, &token).await;
    assert_eq!(farmer.version, 1);
}

async fn only_subdireccion_and_admin_reach_the_registry(app: TestApp) {
    let curp = demo_people()[0].curp.to_string();
    let routes = [
        (
            Method::GET,
            paths::registry::farmers(&Default::default()),
            json!(null),
        ),
        (Method::GET, paths::registry::farmer(&curp), json!(null)),
        (
            Method::GET,
            paths::registry::history(&curp, &Default::default()),
            json!(null),
        ),
        (
            Method::PATCH,
            paths::registry::farmer(&curp),
            json!({ "version": 1, "comment": "x", "municipality": "Y" }),
        ),
    ];
    for role in [Role::Area, Role::Mesa] {
        let token = app.login(role).await.access_token;
        for (method, path, body) in &routes {
            let response = app
                .send_json(method.clone(), path, &token, body.clone())
                .await;
            assert_eq!(response.status(), 403, "{role:?} {method} {path}");
        }
    }
    for (method, path, body) in &routes {
        let anonymous = app
            .http
            .request(method.clone(), app.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path}");
    }
    let admin = app.login(Role::Admin).await.access_token;
    assert_eq!(
        app.get(&paths::registry::farmers(&Default::default()), &admin)
            .await
            .status(),
        200
    );
}
