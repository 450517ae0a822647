//! The one error type of the server, rendered as RFC 9457 `application/problem+json`.
//!
//! `detail` is Spanish and safe to show; anything internal (SQL, paths, library messages) goes to
//! the log only.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use confrontas_api::{FieldError, Problem};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// A body that parsed but whose fields are not acceptable.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("El campo «{}» no es válido: {}", one.field, one.message),
            _ => "Algunos campos no son válidos; revise la lista de errores.".to_owned(),
        };
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "El contenido enviado excede el tamaño permitido.",
        )
    }

    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", detail)
        }
    }

    pub fn unavailable(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            retry_after_secs: Some(5),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
        }
    }

    /// Something broke on our side. `cause` is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Ocurrió un error interno. Intente de nuevo; si persiste, avise a la mesa de servicios.",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:confrontas:problem:{}", self.code),
            title: title(self.status).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            errors: self.errors.clone(),
        }
    }
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Solicitud incorrecta",
        401 => "No autenticado",
        403 => "Sin permiso",
        404 => "No encontrado",
        405 => "Método no permitido",
        409 => "Conflicto",
        413 => "Contenido demasiado grande",
        415 => "Tipo de contenido no admitido",
        422 => "Datos no válidos",
        429 => "Demasiadas solicitudes",
        503 => "Servicio no disponible",
        _ => "Error interno",
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"confrontas\""));
        }
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => AppError::not_found("El registro solicitado no existe."),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("already_exists", "Ya existe un registro con esos datos.")
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => AppError::conflict(
                "referenced_record",
                "El registro está relacionado con otros y no puede cambiarse así.",
            ),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => database_unavailable(),
            Error::DatabaseError(_, info) => match crate::db::fault_of(info.message()) {
                Some(fault) => {
                    crate::db::log_fault(fault);
                    match fault {
                        crate::db::Fault::Full => AppError::unavailable(
                            "database_unavailable",
                            "El disco de la base de datos está lleno; avise al administrador del sistema.",
                        ),
                        _ => database_unavailable(),
                    }
                }
                None => AppError::internal(Error::DatabaseError(DatabaseErrorKind::Unknown, info)),
            },
            other => AppError::internal(other),
        }
    }
}

fn database_unavailable() -> AppError {
    AppError::unavailable(
        "database_unavailable",
        "La base de datos no está disponible en este momento. Intente en unos segundos.",
    )
}

impl From<r2d2::Error> for AppError {
    fn from(error: r2d2::Error) -> Self {
        // The pool's connector logs an outage once per state change; a busy pool shows in
        // /metrics. Logging here would repeat it for every request.
        tracing::debug!(%error, "no database connection in time");
        database_unavailable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn internal_errors_never_reveal_their_cause() {
        let error = AppError::internal("SELECT * FROM users WHERE /etc/passwd");
        let body = error.error_response().into_body().try_into_bytes().unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("SELECT") && !text.contains("/etc"), "{text}");
        assert!(text.contains("\"code\":\"internal_error\""));
    }

    #[test]
    fn problem_has_rfc9457_members_and_spanish_title() {
        let problem = AppError::too_many_requests("Espere.", 30).problem();
        assert_eq!(problem.status, 429);
        assert_eq!(
            problem.problem_type,
            "urn:confrontas:problem:too_many_requests"
        );
        assert_eq!(problem.title, "Demasiadas solicitudes");
        let response = AppError::too_many_requests("Espere.", 30).error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "30");
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            PROBLEM_CONTENT_TYPE
        );
    }

    #[test]
    fn unique_violation_maps_to_conflict() {
        struct Info;
        impl diesel::result::DatabaseErrorInformation for Info {
            fn message(&self) -> &str {
                "UNIQUE constraint failed: users.email"
            }
            fn details(&self) -> Option<&str> {
                None
            }
            fn hint(&self) -> Option<&str> {
                None
            }
            fn table_name(&self) -> Option<&str> {
                None
            }
            fn column_name(&self) -> Option<&str> {
                None
            }
            fn constraint_name(&self) -> Option<&str> {
                None
            }
            fn statement_position(&self) -> Option<i32> {
                None
            }
        }
        let error: AppError = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new(Info),
        )
        .into();
        assert_eq!(error.status, StatusCode::CONFLICT);
        assert!(!error.detail.contains("users.email"));
    }
}
