//! Liveness (`/health`), readiness (`/ready`), metrics (`/metrics`), and the backup and
//! restore commands.

pub mod backup;
pub mod metrics;
mod records;

use actix_web::{HttpRequest, HttpResponse, get, web};
use confrontas_api::{AuthorityMode, Health, Readiness, TrustStatus};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(health)
        .service(ready)
        .service(prometheus_metrics);
}

/// Prometheus metrics in the text exposition format (README, "Metrics"). When
/// `CONFRONTAS_METRICS_TOKEN` is set, only with `Authorization: Bearer <token>`.
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Metrics (Prometheus text format 0.0.4)", content_type = "text/plain", body = String),
        (status = 401, description = "A metrics token is configured and was not given", body = confrontas_api::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
async fn prometheus_metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    if let Some(expected) = &state.config.metrics_token {
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::auth::tokens::constant_time_eq(given, expected) {
            return Err(AppError::unauthorized(
                "metrics_token_required",
                "Las métricas requieren el token configurado en CONFRONTAS_METRICS_TOKEN.",
            ));
        }
    }
    let text = metrics::render(&state).await?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(text))
}

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200, body = Health)))]
#[get("/health")]
async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// How long `/ready` waits for a connection, and for its whole answer: probes every 1–5 s
/// must see "not ready", not a timeout (README, "Configuration").
const READY_CHECKOUT: std::time::Duration = std::time::Duration::from_millis(700);
const READY_ANSWER: std::time::Duration = std::time::Duration::from_millis(900);

/// Whether every migration is applied, and how RENAPO's deployed certificate stands.
fn migrated_and_trusting(pool: &DbPool) -> Result<(bool, TrustStatus), String> {
    let mut conn = pool
        .get_timeout(READY_CHECKOUT)
        .map_err(|e| e.to_string())?;
    let current = db::migrations_current(&mut conn)?;
    // Before the certificates' migration there is nothing to read.
    let trust = if current {
        crate::certificates::records::trust_status(&mut conn).map_err(|e| e.to_string())?
    } else {
        TrustStatus::NotDeployed
    };
    Ok((current, trust))
}

/// The server can work: the database answers and every migration is applied (503 otherwise).
#[utoipa::path(tag = "ops", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let check = tokio::time::timeout(
        READY_ANSWER,
        web::block(move || migrated_and_trusting(&pool)),
    )
    .await;
    let ((reachable, migrated), renapo_trust) = match check {
        Ok(Ok(Ok((current, trust)))) => ((true, current), trust),
        // Why is the pool's to log (once per outage), not every probe's.
        Ok(Ok(Err(error))) => {
            tracing::debug!(%error, "readiness check failed");
            ((false, false), TrustStatus::NotDeployed)
        }
        Ok(Err(_)) | Err(_) => ((false, false), TrustStatus::NotDeployed),
    };
    let readiness = Readiness {
        status: if reachable && migrated {
            "ready"
        } else {
            "not_ready"
        }
        .into(),
        database: state.backend.as_str().into(),
        database_reachable: reachable,
        migrations_applied: migrated,
        renapo: if state.renapo.is_simulated() {
            AuthorityMode::Simulator
        } else if state.renapo.is_configured() {
            AuthorityMode::Service
        } else {
            AuthorityMode::NotConfigured
        },
        // A refused handshake is the more urgent news.
        renapo_trust: if state.renapo.trust_refused().is_some() {
            TrustStatus::Untrusted
        } else {
            renapo_trust
        },
        sat: if state.sat.is_simulated() {
            AuthorityMode::Simulator
        } else if state.sat.online().is_some() {
            AuthorityMode::Service
        } else {
            AuthorityMode::NotConfigured
        },
    };
    if reachable && migrated {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}
