//! The RENAPO client against the simulator, over TLS: every kind of answer, and the faults the
//! engine must tell apart (what to retry, what not). Timeouts are asserted loosely (they must
//! fire, not be fast): performance is for benchmarks.

use std::time::{Duration, Instant};

use confrontas_server::population::{DEMO_SEED, Population};
use confrontas_server::renapo::client::{ClientError, RenapoClient, RenapoSettings};
use confrontas_server::renapo::protocol::{Answer, Credentials, CurpStatus, ProtocolError};
use confrontas_server::simulator::pki::Authority;
use confrontas_server::simulator::renapo::{Faults, RenapoSimulator, SimulatorConfig};

const USER: &str = "usuario-dgtic";
const PASSWORD: &str = "contraseña<segura>&";

async fn simulator() -> RenapoSimulator {
    RenapoSimulator::start(
        SimulatorConfig {
            user: USER.into(),
            password: PASSWORD.into(),
            population: 300,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn settings(simulator: &RenapoSimulator) -> RenapoSettings {
    RenapoSettings {
        endpoint: simulator.url.clone(),
        credentials: Credentials {
            user: USER.into(),
            password: PASSWORD.into(),
            caller_ip: "10.20.30.40".into(),
            issuing_entity: "15".into(),
            transaction_type: 5,
        },
        trust_anchor_pem: simulator.authority_pem().to_owned(),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        max_response_bytes: 1 << 20,
    }
}

fn curp(index: u64) -> String {
    Population::new(DEMO_SEED).person(index).curp.to_string()
}

async fn answer(client: &RenapoClient, index: u64) -> Answer {
    client.consult(&curp(index)).await.unwrap().answer
}

#[tokio::test]
async fn each_kind_of_answer_arrives_over_tls_and_is_acknowledged() {
    let simulator = simulator().await;
    let client = RenapoClient::new(settings(&simulator)).unwrap();
    let person = Population::new(DEMO_SEED).person(0);
    let Answer::Found(record) = answer(&client, 0).await else {
        panic!("person 0 is in RENAPO");
    };
    assert_eq!(record.curp, person.curp.as_str());
    assert_eq!(record.given_names, person.given_names.to_uppercase());
    assert_eq!(record.first_surname, person.first_surname.to_uppercase());
    assert_eq!(record.birth_date, Some(person.birth_date));
    assert_eq!(record.status, CurpStatus::An);

    let Answer::Found(deceased) = answer(&client, 7).await else {
        panic!("person 7 is in RENAPO");
    };
    assert!(deceased.status.is_death());
    let Answer::Found(inactive) = answer(&client, 11).await else {
        panic!("person 11 is in RENAPO");
    };
    assert_eq!(inactive.status, CurpStatus::Inactive("BAP".into()));
    let Answer::Found(changed) = answer(&client, 23).await else {
        panic!("person 23 is in RENAPO");
    };
    assert_eq!(changed.status, CurpStatus::Rcc);
    assert_eq!(changed.historic_curps.len(), 1);
    assert_ne!(changed.historic_curps[0], changed.curp);

    assert!(matches!(answer(&client, 3).await, Answer::NotFound { .. }));
    assert!(
        matches!(answer(&client, 5_000).await, Answer::NotFound { .. }),
        "outside the population"
    );
    let malformed = client.consult("HEGG560427MVZRRL05").await.unwrap().answer;
    assert!(
        matches!(malformed, Answer::MalformedCurp { .. }),
        "{malformed:?}"
    );

    // Every consultation was acknowledged with getConfirm.
    let stats = &simulator.stats;
    let consulted = stats.answered.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(consulted, 7);
    assert_eq!(
        stats
            .confirmations
            .load(std::sync::atomic::Ordering::Relaxed),
        consulted
    );

    let mut wrong = settings(&simulator);
    wrong.credentials.password = "otra".into();
    let refused = RenapoClient::new(wrong)
        .unwrap()
        .consult(&curp(0))
        .await
        .unwrap()
        .answer;
    assert!(matches!(refused, Answer::InvalidUser { .. }), "{refused:?}");
    simulator.stop().await;
}

#[tokio::test]
async fn a_server_certificate_from_another_authority_is_not_trusted() {
    let simulator = simulator().await;
    let mut other = settings(&simulator);
    other.trust_anchor_pem = Authority::generate("Otra autoridad")
        .unwrap()
        .pem()
        .to_owned();
    let error = RenapoClient::new(other)
        .unwrap()
        .consult(&curp(0))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Untrusted(_)), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(
        simulator
            .stats
            .answered
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    simulator.stop().await;
}

#[tokio::test]
async fn after_a_rotation_only_the_new_authority_is_trusted() {
    let mut simulator = simulator().await;
    let before = RenapoClient::new(settings(&simulator)).unwrap();
    assert!(before.consult(&curp(0)).await.is_ok());
    let new_pem = simulator
        .rotate(confrontas_server::simulator::renapo::Rotation::NewAuthority)
        .await
        .unwrap();
    // A connection pooled before the restart may fail first (transient), as with any server
    // restart; the next connection meets the new certificate.
    let mut error = before.consult(&curp(0)).await.unwrap_err();
    if matches!(error, ClientError::Unreachable(_)) {
        error = before.consult(&curp(0)).await.unwrap_err();
    }
    assert!(matches!(error, ClientError::Untrusted(_)), "{error:?}");
    let mut after = settings(&simulator);
    after.trust_anchor_pem = new_pem;
    assert!(
        RenapoClient::new(after)
            .unwrap()
            .consult(&curp(0))
            .await
            .is_ok()
    );
    simulator.stop().await;
}

#[tokio::test]
async fn faults_are_told_apart_and_only_transient_ones_are_retryable() {
    let simulator = simulator().await;
    let mut short = settings(&simulator);
    short.read_timeout = Duration::from_millis(400);
    let client = RenapoClient::new(short).unwrap();
    let first = curp(0);
    let outcome = |faults: Faults| {
        simulator.set_faults(faults);
        client.consult(&first)
    };

    let started = Instant::now();
    let hung = outcome(Faults {
        hang: Some(Duration::from_secs(5)),
        ..Faults::default()
    })
    .await;
    assert_eq!(hung.unwrap_err(), ClientError::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout fired at its setting"
    );

    let unavailable = outcome(Faults {
        unavailable_rate: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap_err();
    assert_eq!(unavailable, ClientError::Http(503));
    assert!(unavailable.is_transient());

    let fault = outcome(Faults {
        fault_rate: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(fault, ClientError::Protocol(ProtocolError::Fault { .. })),
        "{fault:?}"
    );
    assert!(fault.is_transient());

    let busy = outcome(Faults {
        busy_rate: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap()
    .answer;
    assert!(matches!(busy, Answer::Unavailable { .. }), "{busy:?}");

    let malformed = outcome(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(
            malformed,
            ClientError::Protocol(ProtocolError::Malformed(_))
        ),
        "{malformed:?}"
    );
    assert!(!malformed.is_transient());

    let reset = outcome(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(reset, ClientError::Unreachable(_)), "{reset:?}");
    assert!(reset.is_transient());

    let oversized = outcome(Faults {
        oversized_rate: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap_err();
    assert_eq!(oversized, ClientError::TooLarge(1 << 20));

    let redirected = outcome(Faults {
        redirect: true,
        ..Faults::default()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(redirected, ClientError::Redirect(_)),
        "{redirected:?}"
    );
    assert!(!redirected.is_transient());

    // Latin-1 accents read correctly; and everything works again once the faults stop.
    let latin1 = outcome(Faults {
        latin1: true,
        ..Faults::default()
    })
    .await
    .unwrap();
    assert!(matches!(latin1.answer, Answer::Found(_)));
    let healthy = outcome(Faults::default()).await.unwrap();
    assert!(matches!(healthy.answer, Answer::Found(_)));
    simulator.stop().await;
}

#[tokio::test]
async fn the_quota_is_enforced_by_the_simulator() {
    let simulator = simulator().await;
    simulator.set_faults(Faults {
        quota_per_second: Some(5),
        ..Faults::default()
    });
    let client = RenapoClient::new(settings(&simulator)).unwrap();
    let curps: Vec<String> = (0..20).map(curp).collect();
    let asks: Vec<_> = curps.iter().map(|c| client.consult(c)).collect();
    let started = Instant::now();
    let results = futures_util::future::join_all(asks).await;
    let seconds = started.elapsed().as_secs() + 1;
    let over = results
        .iter()
        .filter(|r| matches!(r, Err(ClientError::Http(503))))
        .count();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(answered + over, 20, "{results:?}");
    // At most 5 in any second the requests spanned, counted by the simulator itself.
    assert!(
        answered as u64 <= 5 * seconds,
        "{answered} answered in {seconds} s"
    );
    let stats = &simulator.stats;
    assert!(
        stats
            .busiest_second
            .load(std::sync::atomic::Ordering::Relaxed)
            <= 5
    );
    assert_eq!(
        stats
            .refused_quota
            .load(std::sync::atomic::Ordering::Relaxed) as usize,
        over
    );
    simulator.stop().await;
}

#[tokio::test]
async fn the_wsdl_is_served_with_the_simulators_address() {
    let simulator = simulator().await;
    let http = crate::support::process::trusting(simulator.authority_pem());
    let wsdl = http
        .get(format!("{}?wsdl", simulator.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wsdl.contains("consultarPorCurp"));
    for binding in ["Soap11", "Soap12"] {
        let port = format!(
            "location=\"{}.ConsultaPorCurpServiceHttps{binding}Endpoint/\"",
            simulator.url
        );
        assert!(wsdl.contains(&port), "{port} in {wsdl}");
    }
    simulator.stop().await;
}
