//! Login, throttling, refresh rotation, revocation, client credentials and every JWT
//! negative case, against the real server on SQLite and PostgreSQL.

use crate::support::Expect;
use crate::support::{DEMO_PASSWORD, Db, TEST_KID, TEST_SECRET, TestApp, problem};
use base64::Engine;
use confrontas_api::paths;
use confrontas_api::{ClientToken, Me, PrincipalKind, Role, SessionTokens};
use confrontas_server::{audit, db, seed};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    each_demo_role_logs_in_and_me_shows_name_unit_and_role,
    unknown_user_and_wrong_password_get_identical_answers,
    an_account_is_locked_after_five_failures_even_for_the_right_password,
    an_ip_is_locked_after_many_failures_across_accounts_and_forwarded_for_is_ignored,
    a_burst_of_logins_gets_no_more_password_checks_than_the_limit,
    a_flood_from_one_address_leaves_the_account_usable_from_another,
    refresh_tokens_rotate_and_a_reused_one_ends_the_session,
    concurrent_refreshes_of_one_token_yield_one_winner,
    logout_revokes_access_and_refresh_tokens,
    disabling_a_user_revokes_their_tokens_and_blocks_login,
    changing_the_password_ends_sessions_and_the_new_password_works,
    client_credentials_grant_scoped_tokens_and_disabled_clients_lose_access,
    a_new_client_secret_revokes_the_tokens_issued_under_the_old_one,
    forged_and_malformed_tokens_are_refused_with_401,
    housekeeping_purges_expired_sessions_and_counters_and_keeps_live_ones,
);

async fn each_demo_role_logs_in_and_me_shows_name_unit_and_role(app: TestApp) {
    for role in Role::ALL {
        let tokens = app.login(role).await;
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(
            tokens.expires_in, 900,
            "access tokens live about 15 minutes"
        );
        let me: Me = app.get_ok(&paths::auth::me(), &tokens.access_token).await;
        assert_eq!(me.kind, PrincipalKind::User);
        assert_eq!(me.role, Some(role));
        assert_eq!(me.email.as_deref(), Some(seed::demo_email(role).as_str()));
        assert!(!me.name.is_empty() && me.position.is_some());
        let expected_unit = if role == Role::Area { "DGFA" } else { "DGTIC" };
        assert_eq!(me.unit.key, expected_unit);

        let claims = decode_claims(&tokens.access_token);
        for claim in [
            "sub", "role", "unit", "iss", "aud", "exp", "nbf", "iat", "jti",
        ] {
            assert!(
                claims.get(claim).is_some(),
                "claim {claim} missing: {claims}"
            );
        }
        assert_eq!(claims["role"], role.as_str());
        assert_eq!(header_of(&tokens.access_token)["kid"], TEST_KID);
    }
    let user_id = me_id(&app, &app.login(Role::Mesa).await.access_token).await;
    let actions = app_audit(&app, "user", user_id).await;
    assert!(
        actions.iter().filter(|a| *a == "login").count() >= 2,
        "each login is audited: {actions:?}"
    );
}

async fn unknown_user_and_wrong_password_get_identical_answers(app: TestApp) {
    let wrong = app
        .login_as("mesa@demo.confrontas.mx", "no-es-la-contraseña")
        .await;
    let unknown = app
        .login_as("nadie@demo.confrontas.mx", "no-es-la-contraseña")
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (wrong, unknown) = (problem(wrong).await, problem(unknown).await);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.code, "invalid_credentials");
    assert_eq!(wrong.detail, "Correo o contraseña incorrectos.");
}

async fn an_account_is_locked_after_five_failures_even_for_the_right_password(app: TestApp) {
    let email = "area@demo.confrontas.mx";
    for attempt in 1..=5 {
        let response = app.login_as(email, "contraseña-equivocada").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let locked = app.login_as(email, DEMO_PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (800..=900).contains(&retry_after),
        "15-minute lock, got {retry_after}"
    );
    let problem = problem(locked).await;
    assert_eq!(problem.code, "too_many_requests");
    assert!(problem.detail.contains("minuto"));
    // Other accounts are not affected by this account's lock.
    assert_eq!(
        app.login_as("mesa@demo.confrontas.mx", DEMO_PASSWORD)
            .await
            .status(),
        200
    );
    // An unknown e-mail locks the same way, so a lock reveals nothing about existence.
    for _ in 0..5 {
        app.login_as("fantasma@demo.confrontas.mx", "x").await;
    }
    assert_eq!(
        app.login_as("fantasma@demo.confrontas.mx", "x")
            .await
            .status(),
        429
    );
}

async fn an_ip_is_locked_after_many_failures_across_accounts_and_forwarded_for_is_ignored(
    app: TestApp,
) {
    // Mesa logged in from here before: this address is usual for that account.
    app.login(Role::Mesa).await;
    // 30 failures from one IP, each with a different e-mail and a spoofed X-Forwarded-For.
    for n in 0..30 {
        let response = app
            .http
            .post(app.url(&paths::auth::login()))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .json(&json!({ "email": format!("persona{n}@ejemplo.mx"), "password": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "attempt {n}");
    }
    let blocked = app
        .login_as("subdireccion@demo.confrontas.mx", DEMO_PASSWORD)
        .await;
    assert_eq!(
        blocked.status(),
        429,
        "the IP is locked even for a valid account"
    );
    // …except for the accounts it is a usual address of.
    let usual = app.login_as("mesa@demo.confrontas.mx", DEMO_PASSWORD).await;
    assert_eq!(usual.status(), 200);
}

/// A client whose connections come from `address` (any 127.0.0.0/8 address reaches the server
/// on loopback), so a test can act as several machines.
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url(&paths::auth::login()))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn a_burst_of_logins_gets_no_more_password_checks_than_the_limit(app: TestApp) {
    // 100 wrong guesses at once: each one the server lets through costs a password check (it
    // answers 401); the rest are refused before any (429). The counter is taken under a row
    // lock, so however the burst interleaves, exactly the allowed five get a check. (A right
    // password in the burst would forgive this address's failures and let five more through,
    // which is why the burst holds none.)
    let email = "area@demo.confrontas.mx";
    let attempts = (0..100).map(|_| app.login_as(email, "contraseña-equivocada"));
    let responses = futures_util::future::join_all(attempts).await;
    let mut checked = 0;
    for response in responses {
        match response.status().as_u16() {
            401 => checked += 1,
            429 => assert!(response.headers().contains_key("retry-after")),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        checked, 5,
        "exactly the 5 allowed failures get a password check"
    );
    // The lock holds for the right password too, from this address.
    assert_eq!(app.login_as(email, DEMO_PASSWORD).await.status(), 429);
}

async fn a_flood_from_one_address_leaves_the_account_usable_from_another(app: TestApp) {
    let email = "area@demo.confrontas.mx";
    let attacker = client_from("127.0.0.2");
    for _ in 0..60 {
        let response = login_from(&app, &attacker, email, "contraseña-equivocada").await;
        assert!(matches!(response.status().as_u16(), 401 | 429));
    }
    // The attacker's address is locked out of the account, even with the right password…
    let locked = login_from(&app, &attacker, email, DEMO_PASSWORD).await;
    assert_eq!(locked.status(), 429);
    // …and the user, from the usual address or from a new one, is not.
    let usual = login_from(&app, &client_from("127.0.0.1"), email, DEMO_PASSWORD).await;
    assert_eq!(usual.status(), 200);
    let new_place = login_from(&app, &client_from("127.0.0.3"), email, DEMO_PASSWORD).await;
    assert_eq!(new_place.status(), 200);
    // Other accounts are not locked for the attacker's address either.
    let other = login_from(&app, &attacker, "mesa@demo.confrontas.mx", DEMO_PASSWORD).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_guessing_from_many_addresses_slows_new_ones_but_not_the_usual_one() {
    guessing_from_many_addresses_slows_new_ones_but_not_the_usual_one(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_guessing_from_many_addresses_slows_new_ones_but_not_the_usual_one() {
    guessing_from_many_addresses_slows_new_ones_but_not_the_usual_one(Db::Postgres).await;
}

async fn guessing_from_many_addresses_slows_new_ones_but_not_the_usual_one(db: Db) {
    let Some(app) = TestApp::start_with(db, |vars| {
        vars.insert("CONFRONTAS_LOGIN_MAX_FAILURES_ACCOUNT".into(), "3".into());
        vars.insert("CONFRONTAS_LOGIN_SLOWDOWN_AFTER".into(), "6".into());
        vars.insert("CONFRONTAS_LOGIN_SLOWDOWN_SECS".into(), "2".into());
    })
    .await
    else {
        return;
    };
    let email = "area@demo.confrontas.mx";
    let home = client_from("127.0.0.1");
    assert_eq!(
        login_from(&app, &home, email, DEMO_PASSWORD).await.status(),
        200
    );
    // Three machines, two wrong guesses each: none reaches its own lock (3), the account
    // reaches its slowdown (6).
    for machine in 11..=13 {
        let attacker = client_from(&format!("127.0.0.{machine}"));
        for _ in 0..2 {
            let response = login_from(&app, &attacker, email, "contraseña-equivocada").await;
            assert_eq!(response.status(), 401);
        }
    }
    // A fourth machine must wait for the account's next slot, right password or not.
    let newcomer = client_from("127.0.0.20");
    let paced = login_from(&app, &newcomer, email, DEMO_PASSWORD).await;
    assert_eq!(paced.status(), 429);
    let wait: u64 = paced.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "one guess per 2 s, got {wait}");
    // The usual address is not slowed.
    assert_eq!(
        login_from(&app, &home, email, DEMO_PASSWORD).await.status(),
        200
    );
    // Once the slot comes, the newcomer gets its guess.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(
        login_from(&app, &newcomer, email, DEMO_PASSWORD)
            .await
            .status(),
        200
    );
    app.stop().await;
}

async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session(app: TestApp) {
    let first = app.login(Role::Mesa).await;
    let second: SessionTokens = refresh(&app, &first.refresh_token).await.expect_ok().await;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(
        app.get(&paths::auth::me(), &second.access_token)
            .await
            .status(),
        200
    );

    let reused = refresh(&app, &first.refresh_token).await;
    reused.expect_problem(401, "invalid_refresh_token").await;
    // Reuse means theft: the whole session ends, including the newest tokens.
    assert_eq!(
        app.get(&paths::auth::me(), &second.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(refresh(&app, &second.refresh_token).await.status(), 401);
    let user_id = me_id(&app, &app.login(Role::Mesa).await.access_token).await;
    assert!(
        app_audit(&app, "user", user_id)
            .await
            .contains(&"refresh_token_reuse_detected".to_owned())
    );

    assert_eq!(refresh(&app, "no-existe").await.status(), 401);
}

async fn concurrent_refreshes_of_one_token_yield_one_winner(app: TestApp) {
    let tokens = app.login(Role::Subdireccion).await;
    let attempts = (0..6).map(|_| refresh(&app, &tokens.refresh_token));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

async fn logout_revokes_access_and_refresh_tokens(app: TestApp) {
    let tokens = app.login(Role::Area).await;
    let other_session = app.login(Role::Area).await;
    let response = app
        .http
        .post(app.url(&paths::auth::logout()))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get(&paths::auth::me(), &tokens.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(refresh(&app, &tokens.refresh_token).await.status(), 401);
    assert_eq!(
        app.get(&paths::auth::me(), &other_session.access_token)
            .await
            .status(),
        200,
        "only this session ends"
    );
    let anonymous = app
        .http
        .post(app.url(&paths::auth::logout()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn disabling_a_user_revokes_their_tokens_and_blocks_login(app: TestApp) {
    let admin = app.login(Role::Admin).await;
    let victim = app.login(Role::Mesa).await;
    let id = me_id(&app, &victim.access_token).await;
    let response = app
        .send_json(
            Method::PATCH,
            &paths::users::one(id),
            &admin.access_token,
            json!({ "active": false }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get(&paths::auth::me(), &victim.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(refresh(&app, &victim.refresh_token).await.status(), 401);
    assert_eq!(
        app.login_as("mesa@demo.confrontas.mx", DEMO_PASSWORD)
            .await
            .status(),
        401
    );
    let actions = app_audit(&app, "user", id).await;
    assert!(actions.contains(&"user_updated".to_owned()));
}

async fn changing_the_password_ends_sessions_and_the_new_password_works(app: TestApp) {
    let tokens = app.login(Role::Subdireccion).await;
    let password = paths::auth::password();
    let change = |current: &str, new: &str| {
        app.send_json(
            Method::POST,
            &password,
            &tokens.access_token,
            json!({ "current_password": current, "new_password": new }),
        )
    };
    let wrong = change("equivocada-123456", "nueva-contraseña-segura").await;
    wrong.expect_problem(422, "wrong_current_password").await;
    let short = change(DEMO_PASSWORD, "corta").await;
    assert_eq!(short.status(), 422);
    assert_eq!(problem(short).await.errors[0].field, "new_password");

    assert_eq!(
        change(DEMO_PASSWORD, "nueva-contraseña-segura")
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get(&paths::auth::me(), &tokens.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login_as("subdireccion@demo.confrontas.mx", DEMO_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login_as("subdireccion@demo.confrontas.mx", "nueva-contraseña-segura")
            .await
            .status(),
        200
    );
}

async fn client_credentials_grant_scoped_tokens_and_disabled_clients_lose_access(app: TestApp) {
    let admin = app.login(Role::Admin).await;
    let unit_id = me_unit(&app, &admin.access_token).await;
    let created = app
        .send_json(
            Method::POST,
            &paths::api_clients::create(),
            &admin.access_token,
            json!({ "name": "Sistema socio", "unit_id": unit_id, "scopes": ["consulta_curp"] }),
        )
        .await;
    let created: serde_json::Value = created.expect_json(201).await;
    let (record_id, client_id, secret) = (
        created["client"]["id"].as_i64().unwrap(),
        created["client"]["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );

    // Form-encoded, as RFC 6749 says.
    let form = app
        .http
        .post(app.url(&paths::auth::token()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        ))
        .send()
        .await
        .unwrap();
    let token: ClientToken = form.expect_json(200).await;
    assert_eq!(token.scope, "consulta_curp");
    let me: Me = app.get_ok(&paths::auth::me(), &token.access_token).await;
    assert_eq!(me.kind, PrincipalKind::ApiClient);
    assert_eq!(me.scopes, vec![confrontas_api::ApiScope::ConsultaCurp]);
    assert_eq!(me.role, None);
    // A partner token is not a staff token.
    assert_eq!(
        app.get(
            &paths::users::list(&Default::default()),
            &token.access_token
        )
        .await
        .status(),
        403
    );

    let json_grant = |secret: &str, scope: Option<&str>| {
        let mut body = json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret });
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        app.http
            .post(app.url(&paths::auth::token()))
            .json(&body)
            .send()
    };
    assert_eq!(json_grant(&secret, None).await.unwrap().status(), 200);
    let bad_scope = json_grant(&secret, Some("administrar_todo")).await.unwrap();
    bad_scope.expect_problem(400, "invalid_scope").await;
    let wrong_secret = json_grant("secreto-equivocado", None).await.unwrap();
    wrong_secret.expect_problem(401, "invalid_client").await;
    let oversized = app
        .http
        .post(app.url(&paths::auth::token()))
        .json(&json!({ "grant_type": "client_credentials", "client_id": "x".repeat(5000), "client_secret": "s" }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(oversized).await.code, "invalid_client");
    let wrong_grant = app
        .http
        .post(app.url(&paths::auth::token()))
        .json(&json!({ "grant_type": "password", "client_id": client_id, "client_secret": secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(wrong_grant).await.code, "unsupported_grant_type");

    let disabled = app
        .send_json(
            Method::PATCH,
            &paths::api_clients::one(record_id),
            &admin.access_token,
            json!({ "active": false }),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(
        app.get(&paths::auth::me(), &token.access_token)
            .await
            .status(),
        401,
        "disabled at once"
    );
    assert_eq!(json_grant(&secret, None).await.unwrap().status(), 401);

    // Rotating the secret invalidates the old one.
    app.send_json(
        Method::PATCH,
        &paths::api_clients::one(record_id),
        &admin.access_token,
        json!({ "active": true }),
    )
    .await;
    let rotated: serde_json::Value = app
        .send_ok(
            Method::POST,
            &paths::api_clients::secret(record_id),
            &admin.access_token,
            json!(null),
        )
        .await;
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_eq!(json_grant(&secret, None).await.unwrap().status(), 401);
    assert_eq!(json_grant(new_secret, None).await.unwrap().status(), 200);
}

async fn a_new_client_secret_revokes_the_tokens_issued_under_the_old_one(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    let created: serde_json::Value = app
        .send_ok(
            Method::POST,
            &paths::api_clients::create(),
            &admin,
            json!({ "name": "Sistema de Padrones", "unit_id": 1, "scopes": ["consulta_curp"] }),
        )
        .await;
    let id = created["client"]["id"].as_i64().unwrap();
    let token_with = |secret: serde_json::Value| {
        app.http
            .post(app.url(&paths::auth::token()))
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": created["client"]["client_id"],
                "client_secret": secret,
            }))
            .send()
    };
    let old: ClientToken = token_with(created["client_secret"].clone())
        .await
        .unwrap()
        .expect_json(200)
        .await;
    assert_eq!(
        app.get(&paths::auth::me(), &old.access_token)
            .await
            .status(),
        200
    );

    let rotated: serde_json::Value = app
        .send_ok(
            Method::POST,
            &paths::api_clients::secret(id),
            &admin,
            json!({}),
        )
        .await;
    let refused = app.get(&paths::auth::me(), &old.access_token).await;
    refused.expect_problem(401, "unauthenticated").await;
    let new: ClientToken = token_with(rotated["client_secret"].clone())
        .await
        .unwrap()
        .expect_json(200)
        .await;
    assert_eq!(
        app.get(&paths::auth::me(), &new.access_token)
            .await
            .status(),
        200
    );
}

async fn forged_and_malformed_tokens_are_refused_with_401(app: TestApp) {
    let tokens = app.login(Role::Admin).await;
    let good = decode_claims(&tokens.access_token);
    let now = chrono::Utc::now().timestamp();
    let sign = |header: Header, claims: &serde_json::Value, secret: &[u8]| {
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
    };
    let hs = |alg| {
        let mut header = Header::new(alg);
        header.kid = Some(TEST_KID.into());
        header
    };
    let with = |changes: serde_json::Value| {
        let mut claims = good.clone();
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    };

    // Positive control: the harness forges a token the server accepts, so the refusals below
    // are about the one thing each case changes.
    let control = sign(
        hs(Algorithm::HS256),
        &with(json!({ "jti": "control" })),
        &TEST_SECRET,
    );
    assert_eq!(app.get(&paths::auth::me(), &control).await.status(), 200);
    let within_leeway = sign(
        hs(Algorithm::HS256),
        &with(json!({ "exp": now - 10 })),
        &TEST_SECRET,
    );
    assert_eq!(
        app.get(&paths::auth::me(), &within_leeway).await.status(),
        200,
        "10 s past exp is inside the 30 s leeway"
    );

    let encode_part = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let unsigned = format!(
        "{}.{}.",
        encode_part(&json!({ "alg": "none", "typ": "JWT", "kid": TEST_KID })),
        encode_part(&good)
    );
    let rs256_header = format!(
        "{}.{}.{}",
        encode_part(&json!({ "alg": "RS256", "typ": "JWT", "kid": TEST_KID })),
        encode_part(&good),
        "c2lnbmF0dXJl"
    );
    let mut unknown_kid = Header::new(Algorithm::HS256);
    unknown_kid.kid = Some("retired-or-invented".into());
    let no_kid = Header::new(Algorithm::HS256);

    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        ("wrong key", sign(hs(Algorithm::HS256), &good, &[7u8; 32])),
        ("HS/RS confusion: RS256 header", rs256_header),
        (
            "HS512 instead of HS256",
            sign(hs(Algorithm::HS512), &good, &TEST_SECRET),
        ),
        (
            "expired beyond leeway",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "exp": now - 120 })),
                &TEST_SECRET,
            ),
        ),
        (
            "nbf in the future",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "nbf": now + 3600 })),
                &TEST_SECRET,
            ),
        ),
        (
            "wrong aud",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "aud": "otra-api" })),
                &TEST_SECRET,
            ),
        ),
        (
            "missing aud",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "aud": null })),
                &TEST_SECRET,
            ),
        ),
        (
            "wrong iss",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "iss": "otro-emisor" })),
                &TEST_SECRET,
            ),
        ),
        (
            "missing iss",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "iss": null })),
                &TEST_SECRET,
            ),
        ),
        (
            "missing sub",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "sub": null })),
                &TEST_SECRET,
            ),
        ),
        (
            "missing exp",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "exp": null })),
                &TEST_SECRET,
            ),
        ),
        ("unknown kid", sign(unknown_kid, &good, &TEST_SECRET)),
        ("no kid", sign(no_kid, &good, &TEST_SECRET)),
        (
            "session of someone else",
            sign(
                hs(Algorithm::HS256),
                &with(json!({ "sub": "user:1" })),
                &TEST_SECRET,
            ),
        ),
        ("garbage", "not.a.jwt".into()),
    ];
    for (case, token) in cases {
        let response = app.get(&paths::auth::me(), &token).await;
        assert_eq!(response.status(), 401, "{case}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{case}"
        );
        assert_eq!(problem(response).await.code, "unauthenticated", "{case}");
    }
    let missing = app
        .http
        .get(app.url(&paths::auth::me()))
        .send()
        .await
        .unwrap();
    missing.expect_problem(401, "missing_token").await;
}

async fn housekeeping_purges_expired_sessions_and_counters_and_keeps_live_ones(app: TestApp) {
    use confrontas_server::auth::housekeeping::{Purged, purge_expired};
    use confrontas_server::schema::{login_throttle, refresh_tokens, sessions};
    use diesel::prelude::*;

    let live = app.login(Role::Admin).await;
    let stale = app.login(Role::Mesa).await;
    let stale_user = me_id(&app, &stale.access_token).await;
    assert_eq!(app.login_as("nadie@ejemplo.mx", "x").await.status(), 401);
    let purged = db::run(&app.state.pool, move |conn| {
        let long_ago = db::now() - chrono::TimeDelta::days(2);
        let stale_sessions = sessions::table
            .filter(sessions::user_id.eq(stale_user))
            .select(sessions::id);
        diesel::update(
            refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(stale_sessions)),
        )
        .set(refresh_tokens::expires_at.eq(long_ago))
        .execute(conn)?;
        diesel::update(sessions::table.filter(sessions::user_id.eq(stale_user)))
            .set(sessions::expires_at.eq(long_ago))
            .execute(conn)?;
        diesel::update(login_throttle::table)
            .set(login_throttle::window_started_at.eq(long_ago))
            .execute(conn)?;
        Ok(purge_expired(
            conn,
            db::now(),
            chrono::TimeDelta::minutes(15),
        )?)
    })
    .await
    .unwrap();
    // One stale refresh token and session; the failed guess's three counters (the e-mail from
    // this address, the e-mail, the address); the right guesses left none.
    assert_eq!(
        purged,
        Purged {
            refresh_tokens: 1,
            sessions: 1,
            throttle_counters: 3
        }
    );
    assert_eq!(
        app.get(&paths::auth::me(), &live.access_token)
            .await
            .status(),
        200
    );
    assert_eq!(refresh(&app, &live.refresh_token).await.status(), 200);
    assert_eq!(
        app.get(&paths::auth::me(), &stale.access_token)
            .await
            .status(),
        401
    );
}

// --- helpers -------------------------------------------------------------------------------

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.http
        .post(app.url(&paths::auth::refresh()))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap()
}

fn decode_part(token: &str, index: usize) -> serde_json::Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

fn decode_claims(token: &str) -> serde_json::Value {
    decode_part(token, 1)
}

fn header_of(token: &str) -> serde_json::Value {
    decode_part(token, 0)
}

async fn me_id(app: &TestApp, token: &str) -> i64 {
    let me: Me = app.get_ok(&paths::auth::me(), token).await;
    me.id
}

async fn me_unit(app: &TestApp, token: &str) -> i64 {
    let me: Me = app.get_ok(&paths::auth::me(), token).await;
    me.unit.id
}

async fn app_audit(app: &TestApp, entity: &str, id: i64) -> Vec<String> {
    let (entity, id) = (entity.to_owned(), id.to_string());
    db::run(&app.state.pool, move |conn| {
        Ok(audit::actions_for(conn, &entity, &id)?)
    })
    .await
    .unwrap()
    .into_iter()
    .map(|(_, action)| action)
    .collect()
}
