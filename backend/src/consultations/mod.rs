//! Online CURP consultation (`servicio de consultas`) for partner systems: API
//! clients with the `consulta_curp` scope, and the sub-directorate. The CURP is checked, RENAPO
//! is asked through the same client the engine uses, and the answer is returned normalized.
//! Every query is audited (who, when, CURP, outcome): this is personal data. Each caller has a
//! quota of queries per minute, and every query takes its slot in RENAPO's quota like the
//! engine's (`docs/architecture.md`, "Shared quotas").

pub mod consult;
pub mod quota;

use actix_web::{get, web};
use confrontas_api::{ApiScope, Authority, Curp, CurpConsultation, Role};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    Forbidden, NotFound, TooManyRequests, Unauthenticated, Unavailable, Unprocessable,
};
use crate::auth::principal::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config.service(consult_curp);
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
    quota::count(
        &state.pool,
        caller,
        state.config.renapo.consultations_per_minute,
    )
    .await?;
    let renapo = state.engine.lane(Authority::Renapo);
    let consultation =
        consult::consult(&state.renapo, renapo, &state.pool, principal.actor(), curp).await?;
    Ok(web::Json(consultation))
}
