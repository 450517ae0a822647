//! Running the server binary as operators do: starting it, reading its banner, stopping it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Api, DEMO_PASSWORD, Expect, TEST_KID, TEST_SECRET, TestDatabase};

/// Starts `serve --demo` on `database` (seeding it on the first start; 300 farmers, no demo
/// requests, RENAPO at full speed in chunks of 20) with `vars` on top; `name` keeps each
/// instance's data apart.
pub fn spawn_server(database: &TestDatabase, name: &str, vars: &[(&str, String)]) -> (Child, Api) {
    use base64::Engine;
    let secret = base64::engine::general_purpose::STANDARD.encode(TEST_SECRET);
    let mut child = Command::new(env!("CARGO_BIN_EXE_confrontas-server"))
        .args(["serve", "--demo"])
        .env("CONFRONTAS_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &database.url)
        .env("CONFRONTAS_DATA_DIR", database.dir().join(name))
        .env("CONFRONTAS_WEB_DIR", database.dir().join("no-web"))
        .env("CONFRONTAS_JWT_KEYS", format!("{TEST_KID}:{secret}"))
        .env("CONFRONTAS_DEMO_PASSWORD", DEMO_PASSWORD)
        .env("CONFRONTAS_DEMO_FARMERS", "300")
        .env("CONFRONTAS_DEMO_REQUESTS", "false")
        .env("CONFRONTAS_RENAPO_RATE_PER_SECOND", "0")
        .env("CONFRONTAS_RENAPO_CONCURRENCY", "4")
        .env("CONFRONTAS_CONFRONTATION_CHUNK", "20")
        .env("RUST_LOG", "warn")
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let text = banner_until(&mut child, "Swagger UI");
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("URL printed")
        .to_owned();
    (child, Api::at(&url))
}

/// Reads the child's output up to the line containing `last`, then keeps draining it in the
/// background: the process must keep running whatever happens to its stdout, and the test must
/// not close it early.
pub fn banner_until(child: &mut std::process::Child, last: &str) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref().take(30) {
        let line = line.unwrap();
        let done = line.contains(last);
        banner.push(line);
        if done {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    banner.join("\n")
}

/// Sends SIGTERM and waits (up to 15 s) for the child to exit.
pub fn terminate(mut child: std::process::Child) -> std::process::ExitStatus {
    let started = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the process did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `confrontas-server simulate {authority}` for 100 demo people (unless `vars` say
/// otherwise) with `vars`; returns the process, its banner and the service's URL.
pub fn spawn_simulator(
    authority: &str,
    dir: &std::path::Path,
    vars: &[(&str, &str)],
) -> (std::process::Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confrontas-server"))
        .args(["simulate", authority])
        .env("CONFRONTAS_DATA_DIR", dir.join("data"))
        .env("CONFRONTAS_DEMO_FARMERS", "100")
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let text = banner_until(&mut child, "Población");
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("https://") && !w.ends_with("?wsdl"))
        .expect("URL printed")
        .to_owned();
    (child, text, url)
}

/// The simulator's counters, read from its `GET /simulator/stats` as operators would.
pub async fn simulator_stats(service_url: &str, ca_pem: &str) -> serde_json::Value {
    let origin = service_url
        .splitn(4, '/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    trusting(ca_pem)
        .get(format!("{origin}/simulator/stats"))
        .send()
        .await
        .unwrap()
        .expect_ok()
        .await
}

/// A client that trusts the simulator's authority only.
pub fn trusting(ca_pem: &str) -> reqwest::Client {
    confrontas_server::tls::ensure_crypto_provider();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
}

/// `simulate renapo` for `farmers` demo people (with the simulator's `vars`) in `database`'s
/// directory, and the variables that point a server at it.
pub struct StandaloneRenapo {
    pub child: Child,
    /// The service's URL (its counters: [`simulator_stats`]).
    pub url: String,
    /// The simulator's authority (PEM), which the server trusts.
    pub ca_pem: String,
    /// RENAPO's URL and authority, `farmers` in the demo registry, 8 queries in flight.
    pub server_vars: Vec<(&'static str, String)>,
}

pub fn standalone_renapo(
    database: &TestDatabase,
    farmers: u64,
    vars: &[(&str, &str)],
) -> StandaloneRenapo {
    let farmers_text = farmers.to_string();
    let mut simulator_vars = vec![
        ("CONFRONTAS_SIMULATOR_BIND", "127.0.0.1:0"),
        ("CONFRONTAS_DEMO_FARMERS", farmers_text.as_str()),
    ];
    simulator_vars.extend_from_slice(vars);
    let (child, _, url) = spawn_simulator("renapo", database.dir(), &simulator_vars);
    let ca = database.dir().join("data/simulator/renapo-ca.pem");
    let server_vars = vec![
        ("CONFRONTAS_RENAPO_URL", url.clone()),
        ("CONFRONTAS_RENAPO_CA_FILE", ca.display().to_string()),
        ("CONFRONTAS_RENAPO_CONCURRENCY", "8".to_owned()),
        ("CONFRONTAS_DEMO_FARMERS", farmers_text.clone()),
    ];
    StandaloneRenapo {
        child,
        url,
        ca_pem: std::fs::read_to_string(ca).unwrap(),
        server_vars,
    }
}
