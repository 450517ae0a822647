//! The HTTP contract every route shares: problem documents, limits, headers, readiness.

use crate::support::Expect;
use crate::support::{TestApp, problem};
use confrontas_api::paths;
use confrontas_api::{Readiness, RequestType, Role, SlaClockKind};
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    malformed_bodies_get_spanish_problems_without_internals,
    oversized_bodies_are_refused_with_413,
    unknown_api_routes_are_problem_404_not_the_spa,
    responses_carry_security_headers,
    ready_reports_database_and_migrations,
    who_may_call_is_decided_before_the_body_is_read,
    a_documented_path_asked_with_another_method_gets_405_with_allow,
    integral_numbers_written_with_a_fraction_are_integers_as_the_contract_says,
);

/// JSON Schema's integers include `5.0`: a client whose JSON library writes doubles follows
/// the contract and is answered as if it wrote `5`; a real fraction is still refused.
async fn integral_numbers_written_with_a_fraction_are_integers_as_the_contract_says(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    let path = paths::sla::policy(RequestType::Renapo, SlaClockKind::Attention);
    let doubles = json!({ "business_days": 12.0, "at_risk_days": 2e0 });
    let response = app
        .send_json(reqwest::Method::PUT, &path, &admin, doubles)
        .await;
    let policy: serde_json::Value = response.expect_json(200).await;
    assert_eq!(policy["business_days"], 12, "{policy}");
    let fraction = json!({ "business_days": 12.5, "at_risk_days": 2 });
    let refused = app
        .send_json(reqwest::Method::PUT, &path, &admin, fraction)
        .await;
    refused.expect_problem(400, "malformed_body").await; // In the address too: a path id and an integer query parameter.
    let unit = app.get("/api/v1/units/1.0", &admin).await;
    let unit: serde_json::Value = unit.expect_json(200).await;
    assert_eq!(unit["id"], 1);
    let users = app.get("/api/v1/users?unit_id=1.0&q=1.0", &admin).await;
    assert_eq!(users.status(), 200);
}

async fn malformed_bodies_get_spanish_problems_without_internals(app: TestApp) {
    let login = |body: &'static str, content_type: &'static str| {
        app.http
            .post(app.url(&paths::auth::login()))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases = [
        (
            r#"{"email":"a@b.mx","password":"x","rol":"admin"}"#,
            "application/json",
            400,
            "«rol» no se reconoce",
        ),
        (
            r#"{"email":"a@b.mx"}"#,
            "application/json",
            400,
            "Falta el campo obligatorio «password»",
        ),
        (
            r#"{"email":"a@b.mx","password":5}"#,
            "application/json",
            400,
            "tipo o formato incorrecto",
        ),
        (r#"{"email":"#, "application/json", 400, "no es JSON válido"),
        (r#"email=a"#, "text/plain", 415, "application/json"),
        (
            r#"{"email":"sin-arroba","password":"x"}"#,
            "application/json",
            422,
            "correo electrónico válido",
        ),
    ];
    for (body, content_type, status, fragment) in cases {
        let response = login(body, content_type).await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        let problem = problem(response).await;
        assert!(
            problem.detail.contains(fragment),
            "{body}: {}",
            problem.detail
        );
        assert!(problem.problem_type.starts_with("urn:confrontas:problem:"));
        for leak in ["serde", "diesel", "SELECT", "/src/", "panicked", "expected"] {
            assert!(
                !problem.detail.contains(leak),
                "{body} leaks {leak}: {}",
                problem.detail
            );
        }
    }
}

async fn who_may_call_is_decided_before_the_body_is_read(app: TestApp) {
    let area = app.login(Role::Area).await.access_token;
    let json_routes = [
        (Method::POST, paths::users::create()),
        (Method::PATCH, paths::users::one(1)),
        (Method::POST, paths::units::create()),
        (Method::POST, paths::calendar::declare_day()),
        (Method::POST, paths::api_clients::create()),
    ];
    let multipart = "multipart/form-data; boundary=x";
    // Repeated, since which extractor finished first used to be a matter of timing.
    for _ in 0..10 {
        for (method, path) in &json_routes {
            for (body, content_type) in [("{", "application/json"), ("--x\r\n", multipart)] {
                let send = |token: Option<&str>| {
                    let request = app
                        .http
                        .request(method.clone(), app.url(path))
                        .header("content-type", content_type)
                        .body(body);
                    match token {
                        Some(token) => request.bearer_auth(token),
                        None => request,
                    }
                    .send()
                };
                let forbidden = send(Some(&area)).await.unwrap();
                assert_eq!(forbidden.status(), 403, "{method} {path} as an area");
                let anonymous = send(None).await.unwrap();
                assert_eq!(anonymous.status(), 401, "{method} {path} without a token");
                let forged = send(Some("not.a.token")).await.unwrap();
                assert_eq!(forged.status(), 401, "{method} {path} with a bad token");
            }
        }
        let import = app
            .http
            .post(app.url(&paths::registry::start_import()))
            .bearer_auth(&area)
            .header("content-type", multipart)
            .body("--x\r\nbasura")
            .send()
            .await
            .unwrap();
        assert_eq!(import.status(), 403, "a registry import as an area");
    }
}

async fn a_documented_path_asked_with_another_method_gets_405_with_allow(app: TestApp) {
    let document: serde_json::Value = app
        .http
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = app.login(Role::Admin).await.access_token;
    let candidates = ["get", "post", "put", "patch", "delete"];
    let mut checked = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        let documented: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|method| item.get(*method).is_some())
            .collect();
        let Some(other) = candidates.iter().find(|m| !documented.contains(m)) else {
            continue;
        };
        // Any value stands for a parameter: the method decides, not the value.
        let path: String = template
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(other.to_uppercase().as_bytes()).unwrap();
        let response = app
            .http
            .request(method, app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{other} {template}");
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        let mut expected: Vec<String> = documented.iter().map(|m| m.to_uppercase()).collect();
        expected.sort();
        assert_eq!(allow, expected.join(", "), "{template}");
        let problem = problem(response).await;
        assert_eq!(problem.code, "method_not_allowed", "{template}");
        checked += 1;
    }
    assert!(checked > 50, "every documented path was tried ({checked})");
}

async fn oversized_bodies_are_refused_with_413(app: TestApp) {
    let big = format!(
        r#"{{"email":"a@b.mx","password":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let response = app
        .http
        .post(app.url(&paths::auth::login()))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    response.expect_problem(413, "payload_too_large").await;
    let form = app
        .http
        .post(app.url(&paths::auth::token()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    form.expect_problem(413, "payload_too_large").await;
    // The server is still fine.
    assert_eq!(
        app.http
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

async fn unknown_api_routes_are_problem_404_not_the_spa(app: TestApp) {
    let token = app.login(Role::Admin).await.access_token;
    for path in ["/api/v1/no-existe", "/api/v2/users", "/api/"] {
        let response = app.get(path, &token).await;
        response.expect_problem(404, "not_found").await;
    }
    let wrong_method = app
        .send_json(Method::DELETE, &paths::users::one(1), &token, json!(null))
        .await;
    assert!(wrong_method.status().is_client_error());
    problem(wrong_method).await;
    let bad_id = app.get("/api/v1/users/abc", &token).await;
    bad_id.expect_problem(400, "invalid_path_parameter").await;
}

async fn responses_carry_security_headers(app: TestApp) {
    for path in ["/health", &paths::auth::me(), "/", "/perfil"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
    let login = app
        .login_as("admin@demo.confrontas.mx", crate::support::DEMO_PASSWORD)
        .await;
    assert_eq!(
        login.headers()["cache-control"],
        "no-store",
        "tokens are never cached"
    );
    // The tests run without a built SPA: pages say so in Spanish instead of failing obscurely.
    let page = app.http.get(app.url("/perfil")).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("La aplicación web no está compilada")
    );
    let swagger = app.http.get(app.url("/swagger-ui")).send().await.unwrap();
    assert_eq!(swagger.status(), 308);
    assert_eq!(swagger.headers()["location"], "/swagger-ui/");
    let served: serde_json::Value = app
        .http
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .expect_ok()
        .await;
    let generated: serde_json::Value = serde_json::from_str(
        &confrontas_server::app::openapi_document()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        served, generated,
        "the served document is the generated one"
    );
    let ui = app.http.get(app.url("/swagger-ui/")).send().await.unwrap();
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

async fn ready_reports_database_and_migrations(app: TestApp) {
    let response = app.http.get(app.url("/ready")).send().await.unwrap();
    let ready: Readiness = response.expect_json(200).await;
    assert_eq!(ready.status, "ready");
    assert!(ready.database_reachable && ready.migrations_applied);
    let expected = match app.db {
        crate::support::Db::Sqlite => "sqlite",
        crate::support::Db::Postgres => "postgres",
    };
    assert_eq!(ready.database, expected);
}

/// With a built SPA: files are served compressed when asked, unknown paths get `index.html`,
/// and API answers are never compressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spa_files_are_compressed_and_deep_links_get_the_index_but_api_answers_are_not() {
    let web = crate::support::TempDir::new();
    std::fs::write(
        web.0.join("index.html"),
        "<!doctype html><title>Confrontas</title><body>app</body>",
    )
    .unwrap();
    std::fs::write(
        web.0.join("app.js"),
        "console.log('confrontas');\n".repeat(200),
    )
    .unwrap();
    let web_dir = web.0.display().to_string();
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert("CONFRONTAS_WEB_DIR".into(), web_dir);
    })
    .await
    .unwrap();
    let get = |path: &str| {
        app.http
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
    };

    let script = get("/app.js").await.unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-encoding"], "gzip");

    let deep_link = get("/admin/usuarios").await.unwrap();
    assert_eq!(deep_link.status(), 200);
    assert_eq!(deep_link.headers()["cache-control"], "no-cache");
    assert!(
        deep_link.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("wasm-unsafe-eval")
    );

    let login = app
        .http
        .post(app.url(&paths::auth::login()))
        .header("accept-encoding", "gzip")
        .json(&json!({ "email": "admin@demo.confrontas.mx", "password": crate::support::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert!(
        login.headers().get("content-encoding").is_none(),
        "tokens are never sent compressed"
    );
    // With the SPA served too, a documented path asked with another method is still 405.
    for (method, path) in [
        (Method::PUT, paths::api_clients::create()),
        (Method::POST, "/health".to_owned()),
        (Method::TRACE, paths::users::one(1)),
    ] {
        let other = app
            .http
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 405, "{method} {path}");
        assert!(other.headers().contains_key("allow"), "{method} {path}");
    }
    let missing = get("/api/v1/nada").await.unwrap();
    assert_eq!(
        missing.status(),
        404,
        "the SPA fallback never swallows API paths"
    );
}

/// Sends `body` in `chunks` pieces `gap` apart on a raw connection and returns the status line
/// of the answer, and how long the answer took.
async fn send_slowly(
    app: &TestApp,
    body: &[u8],
    chunks: usize,
    gap: std::time::Duration,
) -> (String, std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        paths::auth::login(),
        body.len()
    );
    let started = std::time::Instant::now();
    writer.write_all(head.as_bytes()).await.unwrap();
    let pieces: Vec<Vec<u8>> = body
        .chunks(body.len().div_ceil(chunks))
        .map(<[u8]>::to_vec)
        .collect();
    let sending = tokio::spawn(async move {
        for piece in pieces {
            tokio::time::sleep(gap).await;
            // The server may have given up already: the write then fails, as it should.
            if writer.write_all(&piece).await.is_err() {
                break;
            }
        }
        writer
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answered");
    let elapsed = started.elapsed();
    sending.abort();
    let text = String::from_utf8_lossy(&answer);
    (text.lines().next().unwrap_or_default().to_owned(), elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_with_408_and_a_slow_but_steady_one_is_not() {
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert("CONFRONTAS_BODY_GRACE_SECS".into(), "1".into());
        vars.insert("CONFRONTAS_BODY_MIN_BYTES_PER_SEC".into(), "100".into());
    })
    .await
    .unwrap();
    let body = format!(
        r#"{{"email":"nadie@ejemplo.mx","password":"{}"}}"#,
        "x".repeat(150)
    );
    // A byte every 300 ms: 3 bytes a second against 100 required after 1 s.
    let (status, took) = send_slowly(
        &app,
        body.as_bytes(),
        body.len(),
        std::time::Duration::from_millis(300),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "cut soon after the grace period: {took:?}"
    );
    // The same body in four pieces 250 ms apart (about 800 bytes a second) is read.
    let (status, _) = send_slowly(
        &app,
        body.as_bytes(),
        4,
        std::time::Duration::from_millis(250),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 401"), "{status}");
    app.stop().await;
}
