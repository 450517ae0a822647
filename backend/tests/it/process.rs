//! The binary as operators run it: start, answer, stop gracefully on SIGTERM.

use crate::support::Expect;
use crate::support::process::{
    banner_until, simulator_stats, spawn_simulator, terminate, trusting,
};

use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn serve_demo_prints_url_and_logins_and_stops_cleanly_on_sigterm() {
    let dir = crate::support::TempDir::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_confrontas-server"))
        .args(["serve", "--demo"])
        .env("CONFRONTAS_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", dir.0.join("process.sqlite"))
        .env("CONFRONTAS_WEB_DIR", dir.0.join("no-web"))
        .env("CONFRONTAS_DATA_DIR", dir.0.join("data"))
        .env_remove("CONFRONTAS_DEMO_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let text = banner_until(&mut child, "admin@demo.confrontas.mx");
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("URL printed")
        .to_owned();
    for email in ["area@", "mesa@", "subdireccion@", "admin@"] {
        assert!(
            text.contains(&format!("{email}demo.confrontas.mx")),
            "{text}"
        );
    }
    assert!(
        text.contains("generada"),
        "without CONFRONTAS_DEMO_PASSWORD a password is generated and shown: {text}"
    );

    assert_eq!(status_of(&format!("{url}health")), 200);
    // The demo registry holds CONFRONTAS_DEMO_FARMERS farmers (10,000 by default).
    let password = text
        .split("todos: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("password printed");
    assert_eq!(demo_registry_size(&url, password), 10_000);

    let status = terminate(child);
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// Logs in as the demo administrator and reads the registry's total.
fn demo_registry_size(url: &str, password: &str) -> u64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        confrontas_server::tls::ensure_crypto_provider();
        let http = reqwest::Client::new();
        let login =
            serde_json::json!({ "email": "admin@demo.confrontas.mx", "password": password });
        let tokens: serde_json::Value = http
            .post(format!("{url}api/v1/auth/login"))
            .json(&login)
            .send()
            .await
            .unwrap()
            .expect_ok()
            .await;
        let token = tokens["access_token"]
            .as_str()
            .expect("login works with the printed password");
        let page: serde_json::Value = http
            .get(format!("{url}api/v1/farmers?per_page=1"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .expect_ok()
            .await;
        page["total"].as_u64().unwrap()
    })
}

/// The status of a GET, on a runtime of its own (the test itself is synchronous).
fn status_of(url: &str) -> u16 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    confrontas_server::tls::ensure_crypto_provider();
    runtime.block_on(async { reqwest::get(url).await.unwrap().status().as_u16() })
}

#[test]
fn simulate_renapo_serves_the_protocol_over_tls_and_stops_on_sigterm() {
    use confrontas_server::renapo::client::{RenapoClient, RenapoSettings};
    use confrontas_server::renapo::protocol::{Answer, Credentials};

    let dir = crate::support::TempDir::new();
    let (child, text, url) = spawn_simulator(
        "renapo",
        &dir.0,
        &[
            ("CONFRONTAS_SIMULATOR_BIND", "127.0.0.1:0"),
            ("CONFRONTAS_RENAPO_USER", "prueba"),
            ("CONFRONTAS_RENAPO_PASSWORD", "secreto-de-prueba"),
        ],
    );
    let ca = dir.0.join("data/simulator/renapo-ca.pem");
    assert!(text.contains(&ca.display().to_string()), "{text}");
    assert!(text.contains("secreto-de-prueba"), "{text}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answer = runtime.block_on(async {
        let client = RenapoClient::new(RenapoSettings {
            endpoint: url,
            credentials: Credentials {
                user: "prueba".into(),
                password: "secreto-de-prueba".into(),
                caller_ip: "127.0.0.1".into(),
                issuing_entity: "1".into(),
                transaction_type: 1,
            },
            trust_anchor_pem: std::fs::read_to_string(&ca).unwrap(),
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            max_response_bytes: 1 << 20,
        })
        .unwrap();
        let curp = confrontas_server::population::Population::new(
            confrontas_server::population::DEMO_SEED,
        )
        .person(0)
        .curp;
        client.consult(curp.as_str()).await.unwrap().answer
    });
    assert!(matches!(answer, Answer::Found(_)), "{answer:?}");

    let status = terminate(child);
    assert!(status.success(), "stops cleanly, got {status}");
}

#[test]
fn simulate_sat_serves_opinions_over_tls_and_stops_on_sigterm() {
    use confrontas_server::sat::client::{SatClient, SatSettings};
    use confrontas_server::sat::opinion::{OpinionProvider, ProviderError};

    let dir = crate::support::TempDir::new();
    let (child, text, url) = spawn_simulator(
        "sat",
        &dir.0,
        &[
            ("CONFRONTAS_SAT_SIMULATOR_BIND", "127.0.0.1:0"),
            ("CONFRONTAS_SAT_USER", "convenio"),
            ("CONFRONTAS_SAT_PASSWORD", "secreto-del-convenio"),
        ],
    );
    let ca = dir.0.join("data/simulator/sat-ca.pem");
    assert!(text.contains(&ca.display().to_string()), "{text}");

    let settings = |password: &str| SatSettings {
        url: url.clone(),
        user: "convenio".into(),
        password: password.into(),
        trust_anchor_pem: std::fs::read_to_string(&ca).unwrap(),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        max_response_bytes: 64 << 10,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let people =
        confrontas_server::population::Population::new(confrontas_server::population::DEMO_SEED);
    runtime.block_on(async {
        let client = SatClient::new(settings("secreto-del-convenio")).unwrap();
        let positive = client.opinion(&people.person(0).rfc).await.unwrap();
        assert_eq!(positive.outcome, confrontas_api::SatOutcome::Positiva);
        assert!(positive.folio.is_some() && positive.issued_on.is_some());
        let negative = client.opinion(&people.person(42).rfc).await.unwrap();
        assert_eq!(negative.outcome, confrontas_api::SatOutcome::Negativa);
        let stranger = client.opinion(&people.person(5_000).rfc).await.unwrap();
        assert_eq!(
            stranger.outcome,
            confrontas_api::SatOutcome::NoInscrito,
            "an RFC outside the population is not registered"
        );
        let refused = SatClient::new(settings("otra")).unwrap();
        assert_eq!(
            refused.opinion(&people.person(0).rfc).await,
            Err(ProviderError::Credentials)
        );
    });

    let status = terminate(child);
    assert!(status.success(), "stops cleanly, got {status}");
}

#[test]
fn simulate_renapo_takes_the_configured_quota_and_latency_and_counts_at_its_stats() {
    use confrontas_server::renapo::client::{ClientError, RenapoClient, RenapoSettings};
    use confrontas_server::renapo::protocol::Credentials;

    let dir = crate::support::TempDir::new();
    let (child, _, url) = spawn_simulator(
        "renapo",
        &dir.0,
        &[
            ("CONFRONTAS_SIMULATOR_BIND", "127.0.0.1:0"),
            ("CONFRONTAS_SIMULATOR_QUOTA_PER_SECOND", "3"),
            ("CONFRONTAS_SIMULATOR_LATENCY_MS", "150"),
        ],
    );
    let ca = std::fs::read_to_string(dir.0.join("data/simulator/renapo-ca.pem")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (answered, refused, slowest) = runtime.block_on(async {
        let client = RenapoClient::new(RenapoSettings {
            endpoint: url.clone(),
            credentials: Credentials {
                user: "confrontas".into(),
                password: "simulador-renapo".into(),
                caller_ip: "127.0.0.1".into(),
                issuing_entity: String::new(),
                transaction_type: 5,
            },
            trust_anchor_pem: ca.clone(),
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            max_response_bytes: 1 << 20,
        })
        .unwrap();
        let curp = confrontas_server::population::Population::new(
            confrontas_server::population::DEMO_SEED,
        )
        .person(0)
        .curp;
        // Eight at once: three fit in the quota's second, the rest are refused.
        let started = std::time::Instant::now();
        let replies =
            futures_util::future::join_all((0..8).map(|_| client.consult(curp.as_str()))).await;
        let slowest = started.elapsed();
        let answered = replies.iter().filter(|r| r.is_ok()).count() as u64;
        let refused = replies
            .iter()
            .filter(|r| matches!(r, Err(ClientError::Http(503))))
            .count() as u64;
        (answered, refused, slowest)
    });
    assert_eq!((answered, refused), (3, 5), "the quota of 3 a second holds");
    assert!(
        slowest >= Duration::from_millis(150),
        "the latency is added: {slowest:?}"
    );
    let stats = runtime.block_on(simulator_stats(&url, &ca));
    assert_eq!(stats["answered"], 3, "{stats}");
    assert_eq!(stats["refused_quota"], 5, "{stats}");
    assert_eq!(stats["busiest_second"], 3, "{stats}");
    assert_eq!(stats["faults"], 0, "{stats}");
    assert_eq!(
        stats["confirmations"], 3,
        "every answer is acknowledged: {stats}"
    );
    assert!(terminate(child).success());
}

#[test]
fn simulate_sat_injects_the_configured_faults_and_counts_them() {
    use confrontas_server::sat::client::{SatClient, SatSettings};
    use confrontas_server::sat::opinion::{OpinionProvider, ProviderError};

    let dir = crate::support::TempDir::new();
    let (child, _, url) = spawn_simulator(
        "sat",
        &dir.0,
        &[
            ("CONFRONTAS_SAT_SIMULATOR_BIND", "127.0.0.1:0"),
            ("CONFRONTAS_SIMULATOR_UNAVAILABLE_RATE", "1"),
        ],
    );
    let ca = std::fs::read_to_string(dir.0.join("data/simulator/sat-ca.pem")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = SatClient::new(SatSettings {
            url: url.clone(),
            user: "confrontas".into(),
            password: "simulador-sat".into(),
            trust_anchor_pem: ca.clone(),
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            max_response_bytes: 64 << 10,
        })
        .unwrap();
        let rfc = confrontas_server::population::Population::new(
            confrontas_server::population::DEMO_SEED,
        )
        .person(0)
        .rfc;
        for _ in 0..4 {
            assert!(matches!(
                client.opinion(&rfc).await,
                Err(ProviderError::Unavailable(_))
            ));
        }
    });
    let stats = runtime.block_on(simulator_stats(&url, &ca));
    assert_eq!(stats["faults"], 4, "{stats}");
    assert_eq!(stats["answered"], 0, "{stats}");
    assert!(terminate(child).success());
}

#[test]
fn simulate_renapo_serves_the_wsdl_soap_1_2_binding_on_its_port() {
    let dir = crate::support::TempDir::new();
    let (child, _, url) = spawn_simulator(
        "renapo",
        &dir.0,
        &[("CONFRONTAS_SIMULATOR_BIND", "127.0.0.1:0")],
    );
    let ca = std::fs::read_to_string(dir.0.join("data/simulator/renapo-ca.pem")).unwrap();
    let curp =
        confrontas_server::population::Population::new(confrontas_server::population::DEMO_SEED)
            .person(0)
            .curp;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (media_type, envelope) = runtime.block_on(async {
        let http = trusting(&ca);
        let wsdl = http
            .get(format!("{url}?wsdl"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(wsdl.contains(r#"binding name="ConsultaPorCurpServiceSoap12Binding""#));
        // The client goes where the WSDL's SOAP 1.2 port says, as WSDL-driven clients do.
        let port = wsdl
            .split("<soap12:address location=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a SOAP 1.2 port")
            .to_owned();
        assert!(port.ends_with("Soap12Endpoint/"), "{port}");
        let request = format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope" xmlns:ser="http://services.wserv.ecurp.dgti.segob.gob.mx" xmlns:xsd="http://services.wserv.ecurp.dgti.segob.gob.mx/xsd">"#,
                "<soap12:Body><ser:consultarPorCurp><ser:datos><xsd:cveCurp>{}</xsd:cveCurp>",
                "<xsd:password>simulador-renapo</xsd:password><xsd:tipoTransaccion>5</xsd:tipoTransaccion>",
                "<xsd:usuario>confrontas</xsd:usuario></ser:datos></ser:consultarPorCurp></soap12:Body></soap12:Envelope>"
            ),
            curp.as_str()
        );
        let response = http
            .post(&port)
            .header(
                "Content-Type",
                r#"application/soap+xml; charset=UTF-8; action="urn:consultarPorCurp""#,
            )
            .body(request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let media_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        (media_type, response.text().await.unwrap())
    });
    assert!(
        media_type.starts_with("application/soap+xml"),
        "{media_type}"
    );
    assert!(
        envelope.contains("http://www.w3.org/2003/05/soap-envelope"),
        "{envelope}"
    );
    assert!(
        envelope.contains(&format!("&lt;CURP&gt;{}&lt;/CURP&gt;", curp.as_str())),
        "{envelope}"
    );
    assert!(terminate(child).success());
}
