//! Simulators of the external authorities (`docs/renapo-protocol.md`, "The simulator";
//! `docs/sat-protocol.md`, "The online interface"), for the demo, the tests and the
//! benchmarks: they speak the real protocols over HTTPS with their own certificates.

pub mod pki;
pub mod renapo;
pub mod routes;
pub mod sat;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::{HttpResponse, web};

/// A simulator serving in this process.
pub trait Running {
    /// The service's URL.
    fn url(&self) -> &str;
    /// The certificate of the authority a client must trust.
    fn authority_pem(&self) -> &str;
    fn stop(self) -> impl std::future::Future<Output = ()>;

    /// Where its counters are served (`GET /simulator/stats`).
    fn stats_url(&self) -> String {
        let origin: Vec<&str> = self.url().splitn(4, '/').take(3).collect();
        format!("{}/simulator/stats", origin.join("/"))
    }
}

/// What a simulator has served, as `GET /simulator/stats` shows it (README, "Simulators").
#[derive(Debug, Default)]
pub struct Stats {
    /// Consultations answered as the service answers: the person's record, or not found.
    pub answered: AtomicU64,
    /// Consultations refused for being over the quota.
    pub refused_quota: AtomicU64,
    /// Consultations answered with an injected fault.
    pub faults: AtomicU64,
    /// The most consultations accepted within one second.
    pub busiest_second: AtomicU64,
    /// Acknowledgements (RENAPO's `getConfirm`).
    pub confirmations: AtomicU64,
}

impl Stats {
    fn json(&self) -> serde_json::Value {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        serde_json::json!({
            "answered": read(&self.answered),
            "refused_quota": read(&self.refused_quota),
            "faults": read(&self.faults),
            "busiest_second": read(&self.busiest_second),
            "confirmations": read(&self.confirmations),
        })
    }
}

/// `GET /simulator/stats`: the counters as JSON.
async fn stats(stats: web::Data<Arc<Stats>>) -> HttpResponse {
    HttpResponse::Ok().json(stats.json())
}

/// Routes every simulator serves besides its service.
fn common_routes(config: &mut web::ServiceConfig, stats: Arc<Stats>) {
    config
        .app_data(web::Data::new(stats))
        .route("/simulator/stats", web::get().to(self::stats));
}

/// Consultations counted per whole second of the simulator's clock, as a counter keyed by the
/// current second works.
pub struct Quota {
    started: Instant,
    /// The second being counted, and the consultations accepted in it.
    current: Mutex<(u64, u32)>,
}

impl Quota {
    pub fn new() -> Quota {
        Quota {
            started: Instant::now(),
            current: Mutex::new((0, 0)),
        }
    }

    /// Counts a consultation against `per_second` (no quota when `None`) and in `stats`;
    /// false, counted as refused, when over it.
    pub fn admit(&self, per_second: Option<u32>, stats: &Stats) -> bool {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let second = self.started.elapsed().as_secs();
        if second != current.0 {
            *current = (second, 0);
        }
        if per_second.is_some_and(|limit| current.1 >= limit) {
            stats.refused_quota.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        current.1 += 1;
        stats
            .busiest_second
            .fetch_max(u64::from(current.1), Ordering::Relaxed);
        true
    }
}

impl Default for Quota {
    fn default() -> Quota {
        Quota::new()
    }
}
