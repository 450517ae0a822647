//! Online CURP consultation (DESIGN §9, `servicio de consultas`) for partner systems: API
//! clients with the `consulta_curp` scope, and the sub-directorate. The CURP is checked, RENAPO
//! is asked through the same client the engine uses, and the answer is returned normalized.
//! Every query is audited (who, when, CURP, outcome): this is personal data. Each caller has a
//! quota of queries per minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{get, web};
use chrono::Utc;
use confrontas_api::{ApiScope, Curp, CurpConsultation, Role};
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    Forbidden, NotFound, TooManyRequests, Unauthenticated, Unavailable, Unprocessable,
};
use crate::app::AppState;
use crate::auth::principal::Principal;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::renapo::client::ClientError;
use crate::renapo::gateway::GatewayError;
use crate::renapo::protocol::{Answer, ProtocolError};

pub fn routes(config: &mut ServiceConfig) {
    config.service(consult_curp);
}

/// Queries per caller per minute, counted in fixed one-minute windows per instance.
pub struct ConsultationQuota {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl ConsultationQuota {
    pub fn new(per_minute: u32) -> ConsultationQuota {
        ConsultationQuota {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a query of `caller`; the seconds to wait when over the quota.
    fn take(&self, caller: &str) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Forget finished windows now and then, so the map stays as small as the callers.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let (start, count) = windows.entry(caller.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

/// What a failed consultation answers, with the outcome the audit records.
fn refusal(error: &GatewayError) -> (AppError, &'static str) {
    let bad_gateway = |code, detail: &str| AppError::new(StatusCode::BAD_GATEWAY, code, detail);
    match error {
        GatewayError::NotConfigured => (
            AppError::unavailable(
                "renapo_not_configured",
                "El servicio de RENAPO no está configurado en este servidor.",
            ),
            "not_configured",
        ),
        GatewayError::Client(ClientError::Untrusted(_)) => (
            bad_gateway(
                "renapo_certificate_untrusted",
                "El certificado del servicio de RENAPO no es de confianza; la consulta no se envió. La Subdirección debe desplegar el certificado vigente de RENAPO.",
            ),
            "untrusted_certificate",
        ),
        GatewayError::Client(client) if client.is_transient() => (
            AppError::unavailable(
                "renapo_unavailable",
                "RENAPO no respondió a tiempo o no está disponible. Intente más tarde.",
            ),
            "unavailable",
        ),
        GatewayError::Client(ClientError::Protocol(ProtocolError::CurpMismatch { .. })) => (
            bad_gateway(
                "renapo_bad_answer",
                "RENAPO respondió por otra CURP; la respuesta se descartó.",
            ),
            "mismatch",
        ),
        GatewayError::Client(_) => (
            bad_gateway(
                "renapo_bad_answer",
                "La respuesta de RENAPO no se pudo interpretar. Intente más tarde.",
            ),
            "bad_answer",
        ),
    }
}

/// Consult a CURP at RENAPO. For API clients with the `consulta_curp` scope and the
/// sub-directorate; every query is audited and counted against a per-caller quota. Answers
/// 404 when RENAPO does not have the CURP, 502 when RENAPO's answer or certificate cannot be
/// trusted, 503 when RENAPO does not answer.
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "The CURP to consult (18 characters)")),
    responses(
        (status = 200, body = CurpConsultation),
        (status = 502, description = "RENAPO's answer or certificate cannot be trusted", body = confrontas_api::Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden, NotFound, Unprocessable, TooManyRequests, Unavailable
    )
)]
#[get("/consultations/curp/{curp}")]
async fn consult_curp(
    state: web::Data<AppState>,
    principal: Principal,
    curp: web::Path<String>,
) -> AppResult<web::Json<CurpConsultation>> {
    let caller = match &principal {
        Principal::Staff(user) if user.role == Role::Subdireccion => format!("user:{}", user.id),
        Principal::Client(client) if client.scopes.contains(&ApiScope::ConsultaCurp) => {
            format!("client:{}", client.id)
        }
        Principal::Staff(_) => {
            return Err(AppError::forbidden(
                "Solo la Subdirección consulta CURP en línea.",
            ));
        }
        Principal::Client(_) => {
            return Err(AppError::forbidden(
                "El cliente API no tiene el alcance «consulta_curp».",
            ));
        }
    };
    let curp = Curp::parse(curp.trim()).map_err(|problem| {
        AppError::validation(vec![confrontas_api::FieldError::new(
            "curp",
            problem.message(),
        )])
    })?;
    state.consultations.take(&caller).map_err(|wait| {
        AppError::too_many_requests(
            "Se alcanzó el número de consultas por minuto permitido para este cliente.",
            wait,
        )
    })?;
    let reply = state.renapo.consult(curp.as_str()).await;
    let (result, outcome) = match reply {
        Err(error) => {
            tracing::warn!(%error, "online CURP consultation failed");
            let (problem, outcome) = refusal(&error);
            (Err(problem), outcome)
        }
        Ok(reply) => match reply.answer {
            Answer::Found(record) => (
                Ok(CurpConsultation {
                    active: record.status.is_active(),
                    deceased: record.status.is_death(),
                    status: record.status.code().to_owned(),
                    curp: record.curp,
                    given_names: record.given_names,
                    first_surname: record.first_surname,
                    second_surname: record.second_surname,
                    sex: record.sex,
                    birth_date: record.birth_date,
                    birth_state: record.birth_state,
                    nationality: record.nationality,
                    historic_curps: record.historic_curps,
                    consulted_at: Utc::now(),
                    simulated: state.renapo.is_simulated(),
                }),
                "found",
            ),
            Answer::NotFound { .. } => (
                Err(AppError::not_found("La CURP no está registrada en RENAPO.")),
                "not_found",
            ),
            Answer::MalformedCurp { .. } => (
                Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "curp_rejected_by_renapo",
                    "RENAPO considera que la CURP no tiene un formato válido.",
                )),
                "rejected",
            ),
            Answer::Unavailable { .. } => (
                Err(AppError::unavailable(
                    "renapo_unavailable",
                    "RENAPO no está disponible en este momento. Intente más tarde.",
                )),
                "unavailable",
            ),
            Answer::InvalidUser { .. } | Answer::Refused { .. } => (
                Err(AppError::new(
                    StatusCode::BAD_GATEWAY,
                    "renapo_refused",
                    "RENAPO rechazó la consulta de la dependencia. Avise a la Subdirección.",
                )),
                "refused",
            ),
        },
    };
    let actor = principal.actor();
    let curp_text = curp.as_str().to_owned();
    db::run(&state.pool, move |conn| {
        actor.record(
            conn,
            "curp_consulted",
            "curp",
            &curp_text,
            json!({ "outcome": outcome }),
        )?;
        Ok(())
    })
    .await?;
    result.map(web::Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_counts_per_caller_and_tells_how_long_to_wait() {
        let quota = ConsultationQuota::new(2);
        assert!(quota.take("client:1").is_ok());
        assert!(quota.take("client:1").is_ok());
        let wait = quota.take("client:1").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(quota.take("client:2").is_ok(), "each caller has its own");
    }
}
