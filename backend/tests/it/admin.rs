//! Administration endpoints: who may call them, and what they do.

use crate::support::Expect;
use crate::support::{TestApp, problem};
use confrontas_api::UserFilter;
use confrontas_api::paths;
use confrontas_api::{Page, Role, Unit, User};
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    every_admin_endpoint_is_denied_to_other_roles_clients_and_anonymous,
    admin_manages_units_with_validation_and_duplicates_refused,
    admin_manages_users_and_lists_paginate_and_filter,
    admin_cannot_disable_or_demote_themselves,
    the_desk_and_the_sub_directorate_list_units_and_areas_do_not,
    a_reset_password_is_shown_once_and_must_be_replaced_before_anything_else,
);

async fn a_reset_password_is_shown_once_and_must_be_replaced_before_anything_else(app: TestApp) {
    use confrontas_api::{SessionTokens, TemporaryPassword};
    use confrontas_server::seed::demo_email;
    let admin = app.login(Role::Admin).await.access_token;
    let desk = app.login(Role::Mesa).await.access_token;
    let desk_me: confrontas_api::Me = app.get_ok(&paths::auth::me(), &desk).await;
    assert!(!desk_me.must_change_password);

    let reset = app
        .send_json(
            Method::POST,
            &paths::users::password_reset(desk_me.id),
            &admin,
            json!(null),
        )
        .await;
    assert_eq!(reset.headers()["cache-control"], "no-store");
    let temporary: TemporaryPassword = reset.expect_json(200).await;
    let password = temporary.temporary_password;
    assert_eq!(password.len(), 19, "{password}");
    assert!(
        password.split('-').all(|group| group.len() == 4),
        "{password}"
    );

    assert_eq!(
        app.get(&paths::auth::me(), &desk).await.status(),
        401,
        "the sessions ended"
    );
    let email = demo_email(Role::Mesa);
    assert_eq!(
        app.login_as(&email, crate::support::DEMO_PASSWORD)
            .await
            .status(),
        401
    );
    let session: SessionTokens = app.login_as(&email, &password).await.expect_json(200).await;
    let me: confrontas_api::Me = app.get_ok(&paths::auth::me(), &session.access_token).await;
    assert!(me.must_change_password);
    app.get(
        &paths::requests::list(&Default::default()),
        &session.access_token,
    )
    .await
    .expect_problem(403, "password_change_required")
    .await;

    let chosen = "mi-contraseña-propia-2026";
    let changed = app
        .send_json(
            Method::POST,
            &paths::auth::password(),
            &session.access_token,
            json!({ "current_password": password, "new_password": chosen }),
        )
        .await;
    assert_eq!(changed.status(), 204);
    let session: SessionTokens = app.login_as(&email, chosen).await.expect_json(200).await;
    let me: confrontas_api::Me = app.get_ok(&paths::auth::me(), &session.access_token).await;
    assert!(!me.must_change_password);
    assert_eq!(
        app.get(
            &paths::requests::list(&Default::default()),
            &session.access_token
        )
        .await
        .status(),
        200
    );

    let admin_me: confrontas_api::Me = app.get_ok(&paths::auth::me(), &admin).await;
    app.send_json(
        Method::POST,
        &paths::users::password_reset(admin_me.id),
        &admin,
        json!(null),
    )
    .await
    .expect_problem(409, "cannot_reset_self")
    .await;
    let audit: Vec<String> = {
        use confrontas_server::schema::audit_log;
        use diesel::prelude::*;
        audit_log::table
            .filter(audit_log::action.eq("user_password_reset"))
            .select(audit_log::detail)
            .load(&mut app.state.pool.get().unwrap())
            .unwrap()
    };
    assert_eq!(audit.len(), 1);
    assert!(
        !audit[0].contains(&password),
        "no secret in the audit: {}",
        audit[0]
    );
}

/// The request list's unit filter needs the units: every role that sees every unit's requests
/// may list them; an area (which sees only its own) may not.
async fn the_desk_and_the_sub_directorate_list_units_and_areas_do_not(app: TestApp) {
    let path = paths::units::list(&Default::default());
    for role in [Role::Mesa, Role::Subdireccion, Role::Admin] {
        let token = app.login(role).await.access_token;
        let units: Page<Unit> = app.get_ok(&path, &token).await;
        assert!(units.total > 1, "{role:?}");
    }
    let area = app.login(Role::Area).await.access_token;
    app.get(&path, &area)
        .await
        .expect_problem(403, "forbidden")
        .await;
}

/// `CONFRONTAS_ADMIN_EMAIL`/`_PASSWORD` create an administrator once; a later start with another
/// password does not reset it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_admin_is_created_once_and_never_reset() {
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert(
            "CONFRONTAS_ADMIN_EMAIL".into(),
            "Jefa.Sistemas@Agricultura.gob.mx".into(),
        );
        vars.insert(
            "CONFRONTAS_ADMIN_PASSWORD".into(),
            "arranque-seguro-2026".into(),
        );
    })
    .await
    .unwrap();
    let login = app
        .login_as("jefa.sistemas@agricultura.gob.mx", "arranque-seguro-2026")
        .await;
    let tokens: confrontas_api::SessionTokens = login.expect_json(200).await;
    let me: confrontas_api::Me = app.get_ok(&paths::auth::me(), &tokens.access_token).await;
    assert_eq!(me.role, Some(Role::Admin));
    assert_eq!(me.unit.key, "DGTIC");

    let mut config = (*app.state.config).clone();
    config.bootstrap_admin = Some((
        "jefa.sistemas@agricultura.gob.mx".into(),
        "otra-contraseña-2026".into(),
    ));
    let restarted = confrontas_server::state::AppState {
        config: std::sync::Arc::new(config),
        ..app.state.clone()
    };
    assert!(
        !confrontas_server::seed::bootstrap_admin(&restarted)
            .await
            .unwrap(),
        "nothing created the second time"
    );
    assert_eq!(
        app.login_as("jefa.sistemas@agricultura.gob.mx", "arranque-seguro-2026")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.login_as("jefa.sistemas@agricultura.gob.mx", "otra-contraseña-2026")
            .await
            .status(),
        401
    );
}

/// Every admin route with a body that would be valid, so only authorization can refuse it.
fn admin_routes() -> Vec<(Method, String, serde_json::Value)> {
    let user = json!({ "email": "nuevo@ejemplo.mx", "name": "Nuevo", "position": "Analista", "unit_id": 1, "role": "area", "password": "contraseña-larga-1" });
    vec![
        (
            Method::POST,
            paths::units::create(),
            json!({ "key": "NUEVA", "name": "Unidad nueva", "is_ministry": true }),
        ),
        (Method::GET, paths::units::one(1), json!(null)),
        (
            Method::PATCH,
            paths::units::one(1),
            json!({ "name": "Otro nombre" }),
        ),
        (
            Method::GET,
            paths::users::list(&Default::default()),
            json!(null),
        ),
        (Method::POST, paths::users::create(), user),
        (Method::GET, paths::users::one(1), json!(null)),
        (
            Method::PATCH,
            paths::users::one(1),
            json!({ "name": "Otro" }),
        ),
        (
            Method::GET,
            paths::api_clients::list(&Default::default()),
            json!(null),
        ),
        (
            Method::POST,
            paths::api_clients::create(),
            json!({ "name": "Socio", "unit_id": 1, "scopes": ["consulta_curp"] }),
        ),
        (Method::GET, paths::api_clients::one(1), json!(null)),
        (
            Method::PATCH,
            paths::api_clients::one(1),
            json!({ "name": "Otro" }),
        ),
        // No such user: the administrator's call must not end a caller's sessions.
        (
            Method::POST,
            paths::users::password_reset(999_999),
            json!(null),
        ),
        (Method::POST, paths::api_clients::secret(1), json!(null)),
    ]
}

async fn every_admin_endpoint_is_denied_to_other_roles_clients_and_anonymous(app: TestApp) {
    let admin = app.login(Role::Admin).await;
    // A partner client token, to show that scopes never open staff endpoints.
    let client = app
        .client_token(&admin.access_token, &["consulta_curp"])
        .await;
    let mut callers = vec![("api client".to_owned(), client)];
    for role in [Role::Area, Role::Mesa, Role::Subdireccion] {
        callers.push((role.as_str().to_owned(), app.login(role).await.access_token));
    }
    for (method, path, body) in admin_routes() {
        for (who, token) in &callers {
            let response = app
                .send_json(method.clone(), &path, token, body.clone())
                .await;
            assert_eq!(response.status(), 403, "{who} {method} {path}");
            assert_eq!(problem(response).await.code, "forbidden");
        }
        let anonymous = app
            .http
            .request(method.clone(), app.url(&path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "anonymous {method} {path}");
        // And the admin is let through (2xx, or a business answer — never 401/403).
        let allowed = app
            .send_json(method.clone(), &path, &admin.access_token, body.clone())
            .await;
        assert!(
            ![401, 403].contains(&allowed.status().as_u16()),
            "admin {method} {path}: {}",
            allowed.status()
        );
    }
}

async fn admin_manages_units_with_validation_and_duplicates_refused(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    let created = app.send_json(Method::POST, &paths::units::create(), &admin, json!({ "key": "dgpp", "name": " Dirección General de Planeación ", "is_ministry": true })).await;
    let unit: Unit = created.expect_json(201).await;
    assert_eq!(unit.key, "DGPP", "keys are upper-cased");
    assert_eq!(
        unit.name, "Dirección General de Planeación",
        "names are trimmed"
    );

    let duplicate = app
        .send_json(
            Method::POST,
            &paths::units::create(),
            &admin,
            json!({ "key": "DGPP", "name": "Otra", "is_ministry": true }),
        )
        .await;
    duplicate.expect_problem(409, "unit_key_taken").await;

    let invalid = app
        .send_json(
            Method::POST,
            &paths::units::create(),
            &admin,
            json!({ "key": "X", "name": "", "is_ministry": true }),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    let invalid = problem(invalid).await;
    let fields: Vec<_> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["key", "name"]);

    let patched: Unit = app
        .send_ok(
            Method::PATCH,
            &paths::units::one(unit.id),
            &admin,
            json!({ "active": false }),
        )
        .await;
    assert!(!patched.active);
    assert_eq!(patched.key, "DGPP");
    let missing = app.get(&paths::units::one(999_999), &admin).await;
    missing.expect_problem(404, "not_found").await;

    // A user cannot be put in an inactive unit.
    let user = json!({ "email": "x@ejemplo.mx", "name": "X", "position": "Y", "unit_id": unit.id, "role": "area", "password": "contraseña-larga-1" });
    let refused = app
        .send_json(Method::POST, &paths::users::create(), &admin, user)
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(problem(refused).await.errors[0].field, "unit_id");
}

async fn admin_manages_users_and_lists_paginate_and_filter(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    for n in 0..7 {
        let body = json!({ "email": format!("Analista{n}@Ejemplo.MX"), "name": format!("Analista {n}"), "position": "Analista", "unit_id": 1, "role": "mesa", "password": "contraseña-larga-1" });
        let created = app
            .send_json(Method::POST, &paths::users::create(), &admin, body)
            .await;
        assert_eq!(created.status(), 201);
    }
    let dup = json!({ "email": "analista0@ejemplo.mx", "name": "Otro", "position": "Analista", "unit_id": 1, "role": "mesa", "password": "contraseña-larga-1" });
    let dup = app
        .send_json(Method::POST, &paths::users::create(), &admin, dup)
        .await;
    assert_eq!(dup.status(), 409, "e-mails are compared case-insensitively");

    let page: Page<User> = app
        .get_ok(
            &paths::users::list(&UserFilter {
                q: Some("ANALISTA".into()),
                per_page: Some(3),
                page: Some(3),
                ..Default::default()
            }),
            &admin,
        )
        .await;
    assert_eq!(page.total, 7);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].email, "analista6@ejemplo.mx");
    let mesa: Page<User> = app
        .get_ok(
            &paths::users::list(&UserFilter {
                role: Some(Role::Mesa),
                per_page: Some(200),
                ..Default::default()
            }),
            &admin,
        )
        .await;
    assert_eq!(mesa.total, 8, "7 analysts plus the demo desk user");
    let wildcard: Page<User> = app
        .get_ok(
            &paths::users::list(&UserFilter {
                q: Some("%".into()),
                ..Default::default()
            }),
            &admin,
        )
        .await;
    assert_eq!(wildcard.total, 0, "% is searched literally");

    let too_big = app
        .get(
            &paths::users::list(&UserFilter {
                per_page: Some(500),
                ..Default::default()
            }),
            &admin,
        )
        .await;
    assert_eq!(too_big.status(), 422);
    assert_eq!(problem(too_big).await.errors[0].field, "per_page");
    // A parameter the contract does not have, written by hand.
    let unknown_param = app.get("/api/v1/users?rol=mesa", &admin).await;
    assert_eq!(unknown_param.status(), 400);
    assert!(problem(unknown_param).await.detail.contains("«rol»"));

    // The new user can log in, with the role and unit the admin gave.
    let login = app
        .login_as("analista3@ejemplo.mx", "contraseña-larga-1")
        .await;
    assert_eq!(login.status(), 200);
}

async fn admin_cannot_disable_or_demote_themselves(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    let me: confrontas_api::Me = app.get_ok(&paths::auth::me(), &admin).await;
    for body in [json!({ "active": false }), json!({ "role": "mesa" })] {
        let response = app
            .send_json(Method::PATCH, &paths::users::one(me.id), &admin, body)
            .await;
        response.expect_problem(409, "cannot_demote_self").await;
    }
    assert_eq!(app.get(&paths::auth::me(), &admin).await.status(), 200);
}
