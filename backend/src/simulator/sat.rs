//! The SAT simulator: the agreement's opinion service (interface in `sat::client`) over HTTPS
//! with its own authority. It answers for the synthetic population's RFCs (the demo registry)
//! and injects the faults the engine must survive. Its request reading and answer writing
//! share no code with the client.
//!
//! Who answers what (by the person's index, `i % 100`): 41 and 42 `NEGATIVO`; 43 `EN
//! SUSPENSIÓN DE ACTIVIDADES`; 44 `INSCRITO SIN OBLIGACIONES`; 45 and any RFC outside the
//! population `NO INSCRITO`; everyone else `POSITIVO`. Opinions are issued the day they are
//! asked for (Mexico City), with a folio fixed by RFC and day, so asking twice the same day
//! gives the same document.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::pki::{self, Authority, RotatingCert};
use super::{Quota, Stats};
use crate::config::SimulatorSettings;
use crate::population::{DEMO_SEED, Population};

/// The service's path.
pub const SERVICE_PATH: &str = "/convenio/v1/opinion32d";

#[derive(Debug, Clone)]
pub struct SatSimulatorConfig {
    pub user: String,
    pub password: String,
    /// People of the demo population it answers for (index 0 up to this).
    pub population: u64,
}

/// Faults to inject, changeable while the simulator runs. Rates are fractions of requests.
#[derive(Debug, Clone, Default)]
pub struct SatFaults {
    pub latency: Duration,
    /// HTTP 503.
    pub unavailable_rate: f64,
    /// HTTP 429 with `Retry-After`.
    pub throttled_rate: f64,
    /// `{"Mensaje": …}` refusing the query.
    pub refused_rate: f64,
    /// JSON cut in the middle.
    pub malformed_rate: f64,
    /// Consultations accepted per second; beyond, HTTP 429 with `Retry-After`.
    pub quota_per_second: Option<u32>,
}

impl SatFaults {
    /// The latency, quota and faults configured (`CONFRONTAS_SIMULATOR_*`).
    pub fn configured(settings: &SimulatorSettings) -> SatFaults {
        SatFaults {
            latency: settings.latency,
            unavailable_rate: settings.unavailable_rate,
            throttled_rate: settings.busy_rate,
            refused_rate: 0.0,
            malformed_rate: settings.malformed_rate,
            quota_per_second: settings.quota_per_second,
        }
    }
}

struct Shared {
    config: SatSimulatorConfig,
    people: HashMap<String, u64>,
    faults: Mutex<SatFaults>,
    stats: Arc<Stats>,
    quota: Quota,
}

pub struct SatSimulator {
    /// The service's URL (`https://127.0.0.1:{port}/convenio/v1/opinion32d`).
    pub url: String,
    pub stats: Arc<Stats>,
    authority: Authority,
    shared: web::Data<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl SatSimulator {
    /// Starts on `address` (port 0 for a free one) with a certificate from its own authority.
    pub async fn start(
        config: SatSimulatorConfig,
        address: SocketAddr,
    ) -> std::io::Result<SatSimulator> {
        let (authority, leaf) = pki::loopback_authority("Autoridad del simulador del SAT")
            .map_err(std::io::Error::other)?;
        let certificate = Arc::new(RotatingCert::new(&leaf).map_err(std::io::Error::other)?);
        let people = Population::new(DEMO_SEED)
            .people(config.population)
            .map(|person| (person.rfc.as_str().to_owned(), person.index))
            .collect();
        let stats = Arc::new(Stats::default());
        let shared = web::Data::new(Shared {
            config,
            people,
            faults: Mutex::new(SatFaults::default()),
            stats: stats.clone(),
            quota: Quota::new(),
        });
        let listener = std::net::TcpListener::bind(address)?;
        let url = format!(
            "https://127.0.0.1:{}{SERVICE_PATH}",
            listener.local_addr()?.port()
        );
        let app_data = shared.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_data.clone())
                .app_data(web::PayloadConfig::new(16 << 10))
                .configure(|config| super::common_routes(config, app_data.stats.clone()))
                .route(SERVICE_PATH, web::post().to(serve))
        })
        .workers(2)
        .listen_rustls_0_23(listener, pki::server_config(certificate))?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(SatSimulator {
            url,
            stats,
            authority,
            shared,
            handle,
        })
    }

    /// The certificate of the authority the client must trust.
    pub fn authority_pem(&self) -> &str {
        self.authority.pem()
    }

    pub fn set_faults(&self, faults: SatFaults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl super::Running for SatSimulator {
    fn url(&self) -> &str {
        &self.url
    }

    fn authority_pem(&self) -> &str {
        self.authority.pem()
    }

    async fn stop(self) {
        SatSimulator::stop(self).await;
    }
}

/// The sense the simulated SAT gives the person at `index` (`None`: not registered).
fn sense_of(index: Option<u64>) -> &'static str {
    match index.map(|i| i % 100) {
        Some(41 | 42) => "NEGATIVO",
        Some(43) => "EN SUSPENSIÓN DE ACTIVIDADES",
        Some(44) => "INSCRITO SIN OBLIGACIONES",
        Some(45) | None => "NO INSCRITO",
        Some(_) => "POSITIVO",
    }
}

/// Folio as the SAT prints them (`26NE9193705`): two digits of the year, two letters, seven
/// digits; fixed by RFC and day.
fn folio(rfc: &str, day: chrono::NaiveDate) -> String {
    let digest = Sha256::digest(format!("{rfc}|{day}").as_bytes());
    let letter = |b: u8| char::from(b'A' + b % 26);
    let number = u32::from_be_bytes([digest[2], digest[3], digest[4], digest[5]]) % 10_000_000;
    format!(
        "{:02}{}{}{number:07}",
        chrono::Datelike::year(&day) % 100,
        letter(digest[0]),
        letter(digest[1])
    )
}

fn authorized(request: &HttpRequest, config: &SatSimulatorConfig) -> bool {
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", config.user, config.password));
    request
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|given| given == expected)
}

async fn serve(shared: web::Data<Shared>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let faults = shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !authorized(&request, &shared.config) {
        return HttpResponse::Unauthorized().json(json!({ "Mensaje": "Credenciales no válidas" }));
    }
    let Ok(query) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().json(json!({ "Mensaje": "Solicitud no válida" }));
    };
    if !shared.quota.admit(faults.quota_per_second, &shared.stats) {
        return HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish();
    }
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let (response, fault) = answer(&shared, &faults, &query);
    let counter = if fault {
        &shared.stats.faults
    } else {
        &shared.stats.answered
    };
    counter.fetch_add(1, Ordering::Relaxed);
    response
}

/// The answer to `query`, and whether it is an injected fault.
fn answer(shared: &Shared, faults: &SatFaults, query: &Value) -> (HttpResponse, bool) {
    let correlation = query["idCorrelacion"].as_str().unwrap_or_default();
    let rfc = query["rfc"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_uppercase();
    let roll: f64 = rand::rng().random();
    let mut threshold = 0.0;
    let mut hit = |rate: f64| {
        threshold += rate;
        roll < threshold
    };
    if hit(faults.unavailable_rate) {
        return (HttpResponse::ServiceUnavailable().finish(), true);
    }
    if hit(faults.throttled_rate) {
        let busy = HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish();
        return (busy, true);
    }
    if hit(faults.refused_rate) {
        let refused = HttpResponse::Ok().json(json!({
            "Mensaje": "No es posible emitir la opinión en este momento para el RFC consultado."
        }));
        return (refused, true);
    }
    if query["tipoReporte"] != "32D" || !(12..=13).contains(&rfc.chars().count()) {
        let invalid = HttpResponse::Ok()
            .json(json!({ "Mensaje": "El RFC o el tipo de reporte no son válidos." }));
        return (invalid, false);
    }
    let sense = sense_of(shared.people.get(&rfc).copied());
    let mut answer = json!({ "idCorrelacion": correlation, "rfc": rfc, "sentido": sense });
    if sense != "NO INSCRITO" {
        let today = crate::calendar::rules::local_date(chrono::Utc::now());
        answer["folio"] = json!(folio(&rfc, today));
        answer["fechaEmision"] = json!(today.format("%d-%m-%Y").to_string());
    }
    let text = answer.to_string();
    if hit(faults.malformed_rate) {
        let cut = text.len() / 2;
        let malformed = HttpResponse::Ok()
            .content_type("application/json")
            .body(text[..text.floor_char_boundary(cut)].to_owned());
        return (malformed, true);
    }
    let answer = HttpResponse::Ok()
        .content_type("application/json")
        .body(text);
    (answer, false)
}
