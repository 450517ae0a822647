//! RENAPO's certificate lifecycle (`docs/architecture.md`, "The certificate procedure") against
//! the built-in simulator: RENAPO
//! rotates its certificate, consultations fail with a clear "not trusted" error and a running
//! confrontation waits instead of failing its items; the new certificate arrives on a
//! certificate request (its deployment clock starts), is deployed without a restart and
//! everything recovers (the clock stops), is verified live, and the request resolves; a
//! second rotation, deploy and rollback; bad uploads refused; a self-signed leaf pinned only
//! when allowed.

use crate::support::Expect;
use crate::support::procedure::{
    Tokens, in_attention, layout, of_kind_in_attention, renapo_certificate,
};
use crate::support::{TestApp, problem};
use confrontas_api::ItemFilter;
use confrontas_api::paths;
use confrontas_api::{
    ActiveCertificate, CertificateState, ConfrontationState, ItemReason, Readiness,
    RenapoCertificate, RequestSla, SlaClockKind, SlaStatus, TimelineEntry, TimelineEvent,
    TrustStatus,
};
use confrontas_server::population::{DEMO_SEED, Population};
use confrontas_server::simulator::pki::{self, Authority, Validity};
use confrontas_server::simulator::renapo::Rotation;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

on_both_backends!(
    a_rotated_certificate_is_deployed_without_restart_and_everything_recovers,
    bad_certificates_are_refused_and_nothing_is_kept,
);

fn curp(index: u64) -> String {
    Population::new(DEMO_SEED).person(index).curp.to_string()
}

async fn rotate(app: &TestApp, to: Rotation) -> String {
    let simulator = app
        .state
        .renapo
        .simulator()
        .expect("tests run the simulator");
    simulator.lock().await.rotate(to).await.unwrap()
}

fn certificate_form(pem: &str, file_name: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(pem.as_bytes().to_vec()).file_name(file_name.to_owned()),
    )
}

/// The caller's notifications, newest first (one page).
async fn notifications(app: &TestApp, token: &str) -> Vec<confrontas_api::Notification> {
    let page: confrontas_api::Page<confrontas_api::Notification> = app
        .get_ok(&paths::notifications::list(&Default::default()), token)
        .await;
    page.items
}

async fn send(app: &TestApp, token: &str, path: &str, form: Form) -> reqwest::Response {
    crate::support::procedure::send_form(app, path, token, form).await
}

async fn certificates(app: &TestApp, token: &str) -> Vec<RenapoCertificate> {
    let response = app
        .get(&paths::certificates::list(&Default::default()), token)
        .await;
    response.expect_json(200).await
}

async fn act(
    app: &TestApp,
    token: &str,
    cert: &RenapoCertificate,
    verb: &str,
) -> RenapoCertificate {
    let path = match verb {
        "deploy" => paths::certificates::deploy(cert.id),
        "verify" => paths::certificates::verify(cert.id),
        other => panic!("no certificate action {other}"),
    };
    let response = app
        .send_json(
            Method::POST,
            &path,
            token,
            json!({ "version": cert.version }),
        )
        .await;
    response.expect_json(200).await
}

async fn deployment_clock(app: &TestApp, token: &str, request: i64) -> confrontas_api::SlaClock {
    let sla: RequestSla = app.get_ok(&paths::requests::sla(request), token).await;
    sla.clocks
        .into_iter()
        .find(|c| c.clock == SlaClockKind::CertificateDeployment)
        .expect("a certificate request has the deployment clock")
}

async fn resolve(app: &TestApp, token: &str, request: i64) -> reqwest::Response {
    let detail: confrontas_api::RequestDetail =
        app.get_ok(&paths::requests::one(request), token).await;
    app.send_json(
        Method::POST,
        &paths::requests::action(request, confrontas_api::RequestAction::Resolve),
        token,
        json!({ "version": detail.version, "comment": "Certificado desplegado y verificado." }),
    )
    .await
}

async fn a_rotated_certificate_is_deployed_without_restart_and_everything_recovers(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let admin = app.login(confrontas_api::Role::Admin).await.access_token;
    let partner = app.client_token(&admin, &["consulta_curp"]).await;
    let consult = paths::consultations::curp(curp(1));
    assert_eq!(app.get(&consult, &partner).await.status(), 200);

    // RENAPO rotates its certificate: consultations fail clearly, nothing is sent.
    let new_pem = rotate(&app, Rotation::NewAuthority).await;
    let refused = app.get(&consult, &partner).await;
    let refusal = refused
        .expect_problem(502, "renapo_certificate_untrusted")
        .await;
    assert!(refusal.detail.contains("certificado"), "{}", refusal.detail);

    // It is loud: /ready says so, and the sub-directorate and the administration are told once.
    let ready: Readiness = app.get_ok("/ready", &tokens.mesa).await;
    assert_eq!(ready.renapo_trust, TrustStatus::Untrusted);
    let told = |token: String| {
        let app = &app;
        async move {
            notifications(app, &token)
                .await
                .into_iter()
                .filter(|n| n.message.starts_with("RENAPO presentó un certificado"))
                .count()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while told(tokens.sub.clone()).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sub-directorate is told"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.get(&consult, &partner).await.status(),
        502,
        "still refused"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(told(tokens.sub.clone()).await, 1, "once per incident");
    assert_eq!(told(admin.clone()).await, 1);
    assert_eq!(told(tokens.mesa.clone()).await, 0, "the desk cannot deploy");

    // A confrontation started now waits for the certificate instead of failing its items.
    let indices: Vec<u64> = (0..30).collect();
    let request = in_attention(&app, &tokens, layout(&indices)).await;
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
            .contains("certificado de RENAPO no es de confianza"),
        "{waiting:?}"
    );
    assert_eq!(waiting.metrics.processed, 0, "no item failed for it");

    // The new certificate arrives on a certificate request: the deployment clock starts.
    let certificate_request = of_kind_in_attention(&app, &tokens, "certificate", None).await;
    let request_id = certificate_request.summary.id;
    let form = certificate_form(&new_pem, "renapo-2026.pem").text("kind", "certificate");
    let response = send(
        &app,
        &tokens.sub,
        &paths::requests::attachments(request_id),
        form,
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let listed = certificates(&app, &tokens.sub).await;
    assert_eq!(listed.len(), 1);
    let uploaded = listed[0].clone();
    assert_eq!(uploaded.state, CertificateState::Uploaded);
    assert_eq!(uploaded.request_id, Some(request_id));
    assert_eq!(uploaded.chain.len(), 2, "leaf and authority");
    assert_eq!(uploaded.leaf.subject_alt_names, ["localhost", "127.0.0.1"]);
    assert!(uploaded.days_to_expiry >= 364);
    let clock = deployment_clock(&app, &tokens.sub, request_id).await;
    assert!(clock.started_at.is_some() && clock.stopped_at.is_none());
    assert_eq!(
        problem(resolve(&app, &tokens.sub, request_id).await)
            .await
            .code,
        "certificate_not_deployed"
    );

    // Only the sub-directorate deploys; the desk follows.
    let mesa_deploy = app
        .send_json(
            Method::POST,
            &paths::certificates::deploy(uploaded.id),
            &tokens.mesa,
            json!({ "version": uploaded.version }),
        )
        .await;
    assert_eq!(mesa_deploy.status(), 403);
    assert_eq!(certificates(&app, &tokens.mesa).await.len(), 1);
    assert_eq!(
        app.get(
            &paths::certificates::list(&Default::default()),
            &tokens.area
        )
        .await
        .status(),
        403
    );

    // Deployed: no restart, everything recovers; the clock stops.
    let deployed = act(&app, &tokens.sub, &uploaded, "deploy").await;
    assert_eq!(deployed.state, CertificateState::Deployed);
    assert_eq!(app.get(&consult, &partner).await.status(), 200);
    let finished = app
        .confrontation_until(&tokens.sub, job.id, |j| {
            j.state == ConfrontationState::Finished
        })
        .await;
    let unanswered = app
        .get(
            &paths::confrontations::items(
                finished.id,
                &ItemFilter {
                    reason: Some(ItemReason::AuthorityUnavailable),
                    ..Default::default()
                },
            ),
            &tokens.sub,
        )
        .await
        .json::<confrontas_api::Page<confrontas_api::ConfrontationItem>>()
        .await
        .unwrap();
    assert_eq!(unanswered.total, 0, "no item given up while waiting");
    let clock = deployment_clock(&app, &tokens.sub, request_id).await;
    assert!(clock.stopped_at.is_some(), "{clock:?}");
    assert_eq!(clock.status, Some(SlaStatus::Met));
    let timeline: Vec<TimelineEntry> = app
        .get_ok(&paths::requests::timeline(request_id), &tokens.sub)
        .await;
    let events: Vec<TimelineEvent> = timeline.iter().map(|e| e.event).collect();
    assert!(events.ends_with(&[
        TimelineEvent::CertificateReceived,
        TimelineEvent::CertificateDeployed
    ]));

    // Deployed but not verified: the request does not resolve yet; verified, it does.
    assert_eq!(
        problem(resolve(&app, &tokens.sub, request_id).await)
            .await
            .code,
        "certificate_not_deployed"
    );
    let verified = act(&app, &tokens.sub, &deployed, "verify").await;
    let check = verified.verification.clone().unwrap();
    assert!(check.ok, "{check:?}");
    let response = resolve(&app, &tokens.sub, request_id).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);

    let active: ActiveCertificate = app
        .get_ok(&paths::certificates::active(), &tokens.mesa)
        .await;
    assert_eq!(active.status, TrustStatus::Valid);
    assert_eq!(active.certificate.unwrap().id, deployed.id);
    let ready: Readiness = app.get_ok("/ready", &tokens.mesa).await;
    assert_eq!(ready.renapo_trust, TrustStatus::Valid);

    // A second rotation: the new certificate, uploaded from the certificates page, verifies
    // before it is deployed; deploying it retires the first; a rollback redeploys the first
    // (and RENAPO, which presents the second, is then untrusted again).
    let second_pem = rotate(&app, Rotation::NewAuthority).await;
    assert_eq!(app.get(&consult, &partner).await.status(), 502);
    let response = send(
        &app,
        &tokens.sub,
        &paths::certificates::upload(),
        certificate_form(&second_pem, "renapo-2027.crt"),
    )
    .await;
    let second: RenapoCertificate = response.expect_json(201).await;
    let checked = act(&app, &tokens.sub, &second, "verify").await;
    assert!(checked.verification.as_ref().unwrap().ok);
    let first_now = certificates(&app, &tokens.sub)
        .await
        .into_iter()
        .find(|c| c.id == deployed.id)
        .unwrap();
    let failing = act(&app, &tokens.sub, &first_now, "verify").await;
    let failed = failing.verification.unwrap();
    assert!(!failed.ok);
    assert!(
        failed.detail.contains("no corresponde"),
        "{}",
        failed.detail
    );
    act(&app, &tokens.sub, &checked, "deploy").await;
    assert_eq!(app.get(&consult, &partner).await.status(), 200);
    let states: Vec<(i64, CertificateState)> = certificates(&app, &tokens.sub)
        .await
        .iter()
        .map(|c| (c.id, c.state))
        .collect();
    assert_eq!(
        states,
        [
            (second.id, CertificateState::Deployed),
            (deployed.id, CertificateState::Retired)
        ]
    );
    let response = app
        .send_json(
            Method::POST,
            &paths::certificates::rollback(),
            &tokens.mesa,
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = app
        .send_json(
            Method::POST,
            &paths::certificates::rollback(),
            &tokens.sub,
            json!({}),
        )
        .await;
    let restored: RenapoCertificate = response.expect_json(200).await;
    assert_eq!(
        (restored.id, restored.state),
        (deployed.id, CertificateState::Deployed)
    );
    assert_eq!(app.get(&consult, &partner).await.status(), 502);
    // Forward again to the current one.
    let second_now = certificates(&app, &tokens.sub)
        .await
        .into_iter()
        .find(|c| c.id == second.id)
        .unwrap();
    assert_eq!(second_now.state, CertificateState::Retired);
    act(&app, &tokens.sub, &second_now, "deploy").await;
    assert_eq!(app.get(&consult, &partner).await.status(), 200);

    // Every action is audited, by whom it was done.
    let audited: Vec<(String, String)> = {
        use confrontas_server::schema::audit_log;
        use diesel::prelude::*;
        let pool = app.state.pool.clone();
        confrontas_server::db::run(&pool, |conn| {
            Ok(audit_log::table
                .filter(audit_log::entity.eq("certificate"))
                .order(audit_log::id)
                .select((audit_log::action, audit_log::actor))
                .load(conn)?)
        })
        .await
        .unwrap()
    };
    let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "certificate_uploaded",
            "certificate_deployed",
            "certificate_verified",
            "certificate_uploaded",
            "certificate_verified",
            "certificate_verified",
            "certificate_deployed",
            "certificate_rolled_back",
            "certificate_deployed",
        ]
    );
    assert!(audited.iter().all(|(_, actor)| actor.starts_with("user:")));
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, name: &str) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    send(app, token, &paths::certificates::upload(), form).await
}

async fn bad_certificates_are_refused_and_nothing_is_kept(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let authority = Authority::generate("Autoridad de prueba").unwrap();
    let hosts = pki::loopback_hosts();
    let today = chrono::Utc::now().date_naive();
    let expired = authority
        .issue(
            &hosts,
            Validity {
                not_before: today - chrono::Days::new(400),
                not_after: today - chrono::Days::new(1),
            },
        )
        .unwrap();
    let future = authority
        .issue(
            &hosts,
            Validity {
                not_before: today + chrono::Days::new(5),
                not_after: today + chrono::Days::new(400),
            },
        )
        .unwrap();
    let other_host = authority
        .issue(
            &["consultas.renapo.gob.mx".to_owned()],
            Validity::days_from_yesterday(200),
        )
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let key_line = key.lines().nth(1).unwrap().to_owned();
    let self_signed = pki::self_signed(&hosts, Validity::days_from_yesterday(200)).unwrap();
    for (bytes, name, code) in [
        (
            expired.pem.into_bytes(),
            "vencido.pem",
            "certificate_expired",
        ),
        (
            future.pem.into_bytes(),
            "futuro.pem",
            "certificate_not_yet_valid",
        ),
        (
            other_host.pem.into_bytes(),
            "otro.pem",
            "certificate_host_mismatch",
        ),
        (b"basura".to_vec(), "basura.der", "certificate_unparsable"),
        (
            key.clone().into_bytes(),
            "llave.pem",
            "private_key_uploaded",
        ),
        (
            self_signed.pem.into_bytes(),
            "autofirmado.pem",
            "self_signed_not_allowed",
        ),
    ] {
        let response = upload(&app, &tokens.sub, bytes, name).await;
        let refused = problem(response).await;
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (422, code),
            "{name}: {}",
            refused.detail
        );
        assert!(
            !refused.detail.contains(&key_line),
            "the key is never echoed"
        );
    }
    let wrong_type = upload(
        &app,
        &tokens.sub,
        renapo_certificate().into_bytes(),
        "renapo.txt",
    )
    .await;
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(
        upload(
            &app,
            &tokens.mesa,
            renapo_certificate().into_bytes(),
            "renapo.pem"
        )
        .await
        .status(),
        403,
        "only the sub-directorate uploads"
    );
    assert!(certificates(&app, &tokens.sub).await.is_empty());

    // On a certificate request: who may attach comes first; a bad certificate leaves no trace
    // (no document, no "received" event, the deployment clock not started).
    let request = of_kind_in_attention(&app, &tokens, "certificate", None).await;
    let path = paths::requests::attachments(request.summary.id);
    let garbage = || certificate_form("basura", "renapo.pem").text("kind", "certificate");
    assert_eq!(
        send(&app, &tokens.area, &path, garbage()).await.status(),
        403
    );
    let refused = problem(send(&app, &tokens.sub, &path, garbage()).await).await;
    assert_eq!(refused.code, "certificate_unparsable");
    let clock = deployment_clock(&app, &tokens.sub, request.summary.id).await;
    assert_eq!(clock.started_at, None);
    let documents: Vec<confrontas_api::Attachment> = app.get_ok(&path, &tokens.sub).await;
    assert!(
        documents
            .iter()
            .all(|d| d.kind != confrontas_api::AttachmentKind::Certificate)
    );
    assert!(certificates(&app, &tokens.sub).await.is_empty());
    // Nothing to roll back to yet.
    let response = app
        .send_json(
            Method::POST,
            &paths::certificates::rollback(),
            &tokens.sub,
            json!({}),
        )
        .await;
    assert_eq!(problem(response).await.code, "nothing_to_roll_back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_leaf_is_pinned_when_the_administration_allows_it() {
    let app = TestApp::start_with(crate::support::Db::Sqlite, |vars| {
        vars.insert(
            "CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED".to_owned(),
            "true".to_owned(),
        );
    })
    .await
    .unwrap();
    let tokens = Tokens::of(&app).await;
    let admin = app.login(confrontas_api::Role::Admin).await.access_token;
    let partner = app.client_token(&admin, &["consulta_curp"]).await;
    let consult = paths::consultations::curp(curp(2));
    let leaf = rotate(&app, Rotation::SelfSigned).await;
    assert_eq!(app.get(&consult, &partner).await.status(), 502);
    let response = upload(
        &app,
        &tokens.sub,
        leaf.into_bytes(),
        "renapo-autofirmado.pem",
    )
    .await;
    let pinned: RenapoCertificate = response.expect_json(201).await;
    assert!(pinned.leaf.self_signed && pinned.chain.len() == 1);
    act(&app, &tokens.sub, &pinned, "deploy").await;
    assert_eq!(app.get(&consult, &partner).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_hands_its_new_certificate_to_the_administration() {
    let app = TestApp::start(crate::support::Db::Sqlite).await.unwrap();
    let tokens = Tokens::of(&app).await;
    let admin = app.login(confrontas_api::Role::Admin).await.access_token;
    let path = &paths::simulator::renapo_rotation();
    let body = json!({ "to": "new_authority" });
    let refused = app
        .send_json(Method::POST, path, &tokens.sub, body.clone())
        .await;
    assert_eq!(refused.status(), 403);
    let response = app.send_json(Method::POST, path, &admin, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-pem-file");
    let pem = response.text().await.unwrap();
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
    let response = upload(&app, &tokens.sub, pem.into_bytes(), "renapo.pem").await;
    assert_eq!(
        response.status(),
        201,
        "what RENAPO hands out passes the checks"
    );
    let unknown = app
        .send_json(Method::POST, path, &admin, json!({ "to": "otra" }))
        .await;
    assert_eq!(unknown.status(), 400);
}

/// Two instances on one PostgreSQL database consulting one RENAPO (the simulator as its own
/// process): a certificate deployed on one is trusted by the other within
/// `CONFRONTAS_TRUST_SYNC_MS`, without a restart. The certificate deployed here is not the one
/// RENAPO presents, so both then refuse to consult: the other instance visibly followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_follows_the_deployed_certificate() {
    use crate::support::process::{banner_until, spawn_server, terminate};
    let Some(database) = crate::support::test_database(crate::support::Db::Postgres) else {
        return;
    };
    let mut simulator = std::process::Command::new(env!("CARGO_BIN_EXE_confrontas-server"))
        .args(["simulate", "renapo"])
        .env("CONFRONTAS_SIMULATOR_BIND", "127.0.0.1:0")
        .env("CONFRONTAS_DATA_DIR", database.dir().join("simulator"))
        .env("CONFRONTAS_DEMO_FARMERS", "300")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let banner = banner_until(&mut simulator, "Población");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("https://") && !w.ends_with("?wsdl"))
        .expect("URL printed")
        .to_owned();
    let ca = database.dir().join("simulator/simulator/renapo-ca.pem");
    let vars = [
        ("CONFRONTAS_RENAPO_URL", url),
        ("CONFRONTAS_RENAPO_CA_FILE", ca.display().to_string()),
        ("CONFRONTAS_TRUST_SYNC_MS", "200".to_owned()),
    ];
    let (first, one) = spawn_server(&database, "first", &vars);
    let (second, other) = spawn_server(&database, "second", &vars);
    let tokens = Tokens::of(&one).await;
    let consult = paths::consultations::curp(curp(3));
    let other_sub = other
        .login(confrontas_api::Role::Subdireccion)
        .await
        .access_token;
    assert_eq!(
        other.get(&consult, &other_sub).await.status(),
        404,
        "RENAPO answers (03: not found)"
    );

    let form = certificate_form(&renapo_certificate(), "otro.pem");
    let response = crate::support::procedure::send_form(
        &one,
        &paths::certificates::upload(),
        &tokens.sub,
        form,
    )
    .await;
    let uploaded: RenapoCertificate = response.expect_json(201).await;
    let response = one
        .send_json(
            Method::POST,
            &paths::certificates::deploy(uploaded.id),
            &tokens.sub,
            json!({ "version": uploaded.version }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        one.get(&consult, &tokens.sub).await.status(),
        502,
        "at once here"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = other.get(&consult, &other_sub).await.status();
        if status == 502 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance did not follow: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for child in [first, second, simulator] {
        terminate(child);
    }
}

/// Expiry alerts: 30, 15 and 7 days before and on expiry, once each, to the sub-directorate
/// and the administration; `/ready` reports the degraded trust once expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_certificate_alerts_before_it_expires_and_once_expired() {
    use confrontas_server::schema::renapo_certificates as certs;
    use diesel::prelude::*;
    let app = TestApp::start(crate::support::Db::Sqlite).await.unwrap();
    let tokens = Tokens::of(&app).await;
    let admin = app.login(confrontas_api::Role::Admin).await.access_token;
    let authority = Authority::generate("Autoridad de prueba").unwrap();
    let leaf = authority
        .issue(&pki::loopback_hosts(), Validity::days_from_yesterday(10))
        .unwrap();
    let pem = format!("{}{}", leaf.pem, authority.pem());
    let uploaded: RenapoCertificate = upload(&app, &tokens.sub, pem.into_bytes(), "corto.pem")
        .await
        .expect_ok()
        .await;
    act(&app, &tokens.sub, &uploaded, "deploy").await;
    let check = || async {
        confrontas_server::db::run(&app.state.pool, |conn| {
            confrontas_server::certificates::expiry::check(conn)
        })
        .await
        .unwrap()
    };
    let alerts = |token: String| {
        let app = &app;
        async move {
            notifications(app, &token)
                .await
                .into_iter()
                .filter(|n| n.certificate_id == Some(uploaded.id))
                .map(|n| n.message)
                .collect::<Vec<_>>()
        }
    };
    // Ten days left: the 30- and 15-day alerts are due, sent as one.
    assert!(
        check().await >= 2,
        "the sub-directorate and the administration"
    );
    assert_eq!(check().await, 0, "once");
    let told = alerts(tokens.sub.clone()).await;
    assert_eq!(told.len(), 1);
    assert!(told[0].contains("vence en 10 días"), "{told:?}");
    assert_eq!(alerts(admin.clone()).await.len(), 1);
    assert!(alerts(tokens.mesa.clone()).await.is_empty());
    let active: ActiveCertificate = app
        .get_ok(&paths::certificates::active(), &tokens.sub)
        .await;
    assert_eq!(active.status, TrustStatus::ExpiringSoon);

    let pool = app.state.pool.clone();
    let set_end = |end: chrono::NaiveDateTime| {
        let pool = pool.clone();
        async move {
            confrontas_server::db::run(&pool, move |conn| {
                diesel::update(certs::table)
                    .set(certs::not_after.eq(end))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
        }
    };
    set_end(confrontas_server::db::now() + chrono::TimeDelta::days(3)).await;
    check().await;
    let told = alerts(tokens.sub.clone()).await;
    assert_eq!(told.len(), 2);
    assert!(told[0].contains("vence en 3 días"), "{told:?}");
    set_end(confrontas_server::db::now() - chrono::TimeDelta::hours(2)).await;
    check().await;
    assert_eq!(check().await, 0);
    let told = alerts(tokens.sub.clone()).await;
    assert_eq!(told.len(), 3);
    assert!(told[0].contains("venció"), "{told:?}");
    let ready: Readiness = app.get_ok("/ready", &tokens.sub).await;
    assert_eq!(ready.status, "ready");
    assert_eq!(ready.renapo_trust, TrustStatus::Expired);
}
