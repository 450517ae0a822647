//! Asking RENAPO about one CURP for a caller, and recording it: every consultation is audited
//! with its outcome, found or not (this is personal data).

use actix_web::http::StatusCode;
use chrono::Utc;
use confrontas_api::{Curp, CurpConsultation};
use serde_json::json;

use crate::audit::Actor;
use crate::confrontations::engine::Lane;
use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};
use crate::renapo::client::ClientError;
use crate::renapo::gateway::{GatewayError, RenapoGateway};
use crate::renapo::protocol::{Answer, ProtocolError};

/// Asks RENAPO about `curp` for `actor`, in a slot of RENAPO's quota from `lane`: the
/// normalized answer, or the problem to answer with.
pub async fn consult(
    renapo: &RenapoGateway,
    lane: &Lane,
    pool: &DbPool,
    actor: Actor,
    curp: Curp,
) -> AppResult<CurpConsultation> {
    lane.wait_for_slot().await;
    let reply = renapo.consult(curp.as_str()).await;
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
                    simulated: renapo.is_simulated(),
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
    let curp_text = curp.as_str().to_owned();
    db::run(pool, move |conn| {
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
    result
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
