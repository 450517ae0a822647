//! What `GET /metrics` counts (README, "Metrics"): requests by route template and status with
//! their latency, and login failures, counted as they happen; the engine's lanes, the jobs, the
//! e-mail outbox and the connection pool, read when scraped. Labels are route templates,
//! states and authorities: never a CURP, a name or an address.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use confrontas_api::Authority;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use super::records::{self, Counts};
use crate::state::AppState;

/// The counters kept while the server runs.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    login_failures: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "confrontas_http_requests_total",
                "HTTP requests answered, by method, route template and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "confrontas_http_request_duration_seconds",
                "Time to answer HTTP requests, by method and route template.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let login_failures = IntCounterVec::new(
            Opts::new(
                "confrontas_login_failures_total",
                "Sign-ins refused: a wrong password or client secret, or a guess refused by the throttle.",
            ),
            &["credential", "reason"],
        )
        .expect("valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(durations.clone()),
            Box::new(login_failures.clone()),
        ] {
            registry.register(metric).expect("metric registered once");
        }
        Metrics {
            registry,
            requests,
            durations,
            login_failures,
        }
    }

    /// A refused sign-in: `credential` is `password` or `client_secret`, `reason` is `wrong` or
    /// `throttled`.
    pub fn login_failed(&self, credential: &str, reason: &str) {
        self.login_failures
            .with_label_values(&[credential, reason])
            .inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, started: Instant) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.durations
            .with_label_values(&[method, route])
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Middleware: counts every request by the route template it matched.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let result = next.call(req).await;
    if let Some(state) = state {
        let (route, status) = match &result {
            Ok(response) => (
                response.request().match_pattern(),
                response.status().as_u16(),
            ),
            Err(error) => (None, error.as_response_error().status_code().as_u16()),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.observe(&method, &route, status, started);
    }
    result
}

/// The metrics in Prometheus' text format: the counters, and what is read now.
pub async fn render(state: &AppState) -> crate::error::AppResult<String> {
    let smtp = state.config.smtp.is_some();
    let counts = crate::db::run(&state.pool, move |conn| Ok(records::counts(conn, smtp)?)).await?;
    let now = Registry::new();
    read_now(state, &counts, &now);
    let mut families = state.metrics.registry.gather();
    families.extend(now.gather());
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut text)
        .map_err(crate::error::AppError::internal)?;
    String::from_utf8(text).map_err(crate::error::AppError::internal)
}

/// Registers in `registry` the values read at this scrape.
fn read_now(state: &AppState, counts: &Counts, registry: &Registry) {
    let gauge = |name: &str, help: &str, labels: &[&str]| {
        let gauge = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
        registry
            .register(Box::new(gauge.clone()))
            .expect("metric registered once");
        gauge
    };
    let counter = |name: &str, help: &str| {
        let counter =
            IntCounterVec::new(Opts::new(name, help), &["authority"]).expect("valid metric");
        registry
            .register(Box::new(counter.clone()))
            .expect("metric registered once");
        counter
    };

    let jobs = gauge(
        "confrontas_confrontations",
        "Confrontation jobs of the deployment, by authority and state.",
        &["authority", "state"],
    );
    for (authority, job_state, n) in &counts.jobs {
        jobs.with_label_values(&[authority.as_str(), job_state.as_str()])
            .set(*n);
    }

    let queries = counter(
        "confrontas_authority_queries_total",
        "Queries this instance sent to the authority (confrontations and online consultations).",
    );
    let processed = counter(
        "confrontas_confrontation_items_processed_total",
        "Confrontation items whose results this instance committed.",
    );
    let in_flight = gauge(
        "confrontas_authority_queries_in_flight",
        "Queries of this instance waiting for the authority's answer.",
        &["authority"],
    );
    let quota = gauge(
        "confrontas_authority_quota_per_second",
        "The authority's quota for the deployment (0: unlimited).",
        &["authority"],
    );
    let breaker = gauge(
        "confrontas_authority_breaker_open",
        "1 while this instance's circuit breaker holds the authority's queries back.",
        &["authority"],
    );
    for authority in [Authority::Renapo, Authority::Sat] {
        let lane = state.engine.lane(authority).gauges();
        let label = [authority.as_str()];
        queries.with_label_values(&label).inc_by(lane.queries_sent);
        processed
            .with_label_values(&label)
            .inc_by(lane.items_processed);
        in_flight
            .with_label_values(&label)
            .set(lane.in_flight as i64);
        quota
            .with_label_values(&label)
            .set(lane.rate_per_second as i64);
        breaker
            .with_label_values(&label)
            .set(i64::from(lane.breaker_open));
    }

    if let Some(outbox) = &counts.outbox {
        let mail = gauge(
            "confrontas_email_outbox",
            "Notification e-mails not sent: pending (to be tried again) or given up.",
            &["state"],
        );
        mail.with_label_values(&["pending"]).set(outbox.pending);
        mail.with_label_values(&["given_up"]).set(outbox.given_up);
    }

    let pool = state.pool.state();
    let connections = gauge(
        "confrontas_db_pool_connections",
        "Database connections of this instance's pool: in use, idle, and the pool's maximum.",
        &["state"],
    );
    let idle = i64::from(pool.idle_connections);
    connections
        .with_label_values(&["in_use"])
        .set(i64::from(pool.connections) - idle);
    connections.with_label_values(&["idle"]).set(idle);
    connections
        .with_label_values(&["max"])
        .set(i64::from(state.pool.max_size()));
}
