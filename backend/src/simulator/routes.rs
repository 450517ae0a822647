//! The built-in RENAPO simulator's own controls, for the demo and the browser tests: rotating
//! its server certificate and handing out the new one, as RENAPO does by e-mail. Only the
//! administration, and only while the simulator is what the server consults.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, post, web};
use confrontas_api::{RotationBody, SimulatedRotation};
use utoipa_actix_web::service_config::ServiceConfig;

use super::renapo::Rotation;
use crate::api_doc::{BodyErrors, Conflict, Forbidden, Unauthenticated};
use crate::auth::principal::{AdminOnly, Staff};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config.service(rotate_renapo);
}

/// The simulated RENAPO deploys a new server certificate now (connections are cut, new ones
/// see it) and answers with what RENAPO would e-mail: the certificate (with its authority, for
/// `new_authority`) as PEM. Until the sub-directorate deploys it, RENAPO is not trusted.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    request_body = RotationBody,
    responses(
        (status = 200, description = "The new certificate (PEM)", content_type = "application/x-pem-file", body = String),
        BodyErrors, Unauthenticated, Forbidden, Conflict
    )
)]
#[post("/simulator/renapo/rotation")]
async fn rotate_renapo(
    state: web::Data<AppState>,
    staff: Staff<AdminOnly>,
    body: web::Json<RotationBody>,
) -> AppResult<HttpResponse> {
    let simulator = state.renapo.simulator().ok_or_else(|| {
        AppError::conflict(
            "not_simulated",
            "El servidor consulta al RENAPO real: no hay simulador que rotar.",
        )
    })?;
    let to = match body.to {
        SimulatedRotation::NewAuthority => Rotation::NewAuthority,
        SimulatedRotation::SelfSigned => Rotation::SelfSigned,
    };
    let pem = simulator
        .lock()
        .await
        .rotate(to)
        .await
        .map_err(AppError::internal)?;
    let actor = staff.actor();
    crate::db::run(&state.pool, move |conn| {
        Ok(actor.record(
            conn,
            "renapo_simulator_rotated",
            "simulator",
            "renapo",
            serde_json::json!({ "to": format!("{to:?}") }),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename("certificado_renapo.pem".into())],
        })
        .body(pem))
}
