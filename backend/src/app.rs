//! The router: every slice's routes under `/api/v1`, the middleware (security headers, request
//! log, problem fallback), the OpenAPI document, Swagger UI and the single-page app. Nothing
//! below it imports it: handlers take the [`AppState`] of `state` (`docs/architecture.md`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use actix_files::{Files, NamedFile};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{Compress, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::api_doc::ApiDoc;
use crate::documented_routes::DocumentedRoutes;
use crate::error::{AppError, PROBLEM_CONTENT_TYPE};
use crate::state::AppState;
use crate::{
    api_clients, auth, calendar, certificates, confrontations, consultations, layouts,
    notifications, ops, registry, requests, sat, sla, units, users,
};

/// Every documented route: `/api/v1/...` and the operations endpoints.
fn routes(config: &mut ServiceConfig) {
    config.service(
        utoipa_actix_web::scope("/api/v1")
            .configure(auth::routes)
            .configure(units::routes)
            .configure(users::routes)
            .configure(api_clients::routes)
            .configure(registry::routes)
            .configure(layouts::routes)
            .configure(calendar::routes)
            .configure(requests::routes)
            .configure(confrontations::routes)
            .configure(sat::routes)
            .configure(certificates::routes)
            .configure(crate::simulator::routes::routes)
            .configure(consultations::routes)
            .configure(notifications::routes)
            .configure(sla::routes),
    );
    ops::routes(config);
}

/// The OpenAPI document, generated from the same route registrations the server uses.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api
}

/// The actix application for one worker.
pub fn build(
    state: web::Data<AppState>,
    openapi: Arc<utoipa::openapi::OpenApi>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let documented = web::Data::new(DocumentedRoutes::of(&openapi));
    let integers = web::Data::new(crate::json_numbers::IntegerParameters::of(&openapi));
    let mut app = App::new()
        .app_data(state)
        .app_data(documented)
        .app_data(integers)
        .app_data(
            web::JsonConfig::default()
                .limit(config.json_limit_bytes)
                .error_handler(|error, _| json_error(error).into()),
        )
        .app_data(web::PayloadConfig::default().limit(config.json_limit_bytes))
        .app_data(web::QueryConfig::default().error_handler(|error, _| query_error(error).into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| {
            AppError::bad_request(
                "invalid_path_parameter",
                "Un identificador de la ruta no es válido.",
            )
            .into()
        }))
        .configure(|cfg| routes(&mut ServiceConfig::new(cfg)))
        .service(web::scope("/api").default_service(web::to(api_not_found)));

    app = if config.swagger_ui {
        app.service(
            SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", (*openapi).clone()),
        )
        .route(
            "/swagger-ui",
            web::get().to(|| async { redirect("/swagger-ui/") }),
        )
    } else {
        let document = openapi.clone();
        app.route(
            "/api-docs/openapi.json",
            web::get().to(move || {
                let document = document.clone();
                async move { HttpResponse::Ok().json(&*document) }
            }),
        )
    };

    app = if config.web_dir.is_dir() {
        // Only the static files are compressed (the wasm shrinks ~60 %); API answers carry tokens
        // and personal data and stay uncompressed.
        // A request a scope or resource matched by path but no route took falls to the
        // app's default service: for the API, a problem the documented routes explain.
        app.service(
            web::scope("")
                .wrap(Compress::default())
                .service(spa(&config.web_dir)),
        )
        .default_service(web::to(api_not_found))
    } else {
        app.default_service(web::to(|req: HttpRequest| async move {
            spa_index(&req, Path::new(""))
        }))
    };
    app.wrap(actix_web::middleware::from_fn(
        crate::json_numbers::integral_numbers,
    ))
    .wrap(actix_web::middleware::from_fn(
        auth::principal::identify_first,
    ))
    .wrap(actix_web::middleware::from_fn(
        crate::slow_bodies::cut_slow_bodies,
    ))
    .wrap(actix_web::middleware::from_fn(
        crate::documented_routes::answer_other_methods,
    ))
    .wrap(actix_web::middleware::from_fn(
        crate::ops::metrics::count_requests,
    ))
    .wrap(ErrorHandlers::new().default_handler(problem_fallback))
    .wrap_fn(|req, service| {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.path().to_owned();
        let response = service.call(req);
        async move {
            let mut response = response.await?;
            harden(&path, response.headers_mut());
            let status = response.status().as_u16();
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            if path == "/health" || path == "/ready" {
                tracing::debug!(%method, path, status, elapsed_ms, "request");
            } else {
                let path = loggable_path(&path);
                tracing::info!(%method, path, status, elapsed_ms, "request");
            }
            Ok(response)
        }
    })
}

/// The request path as it may be logged: CURPs in it (personal data) keep only their first four
/// letters, enough to correlate a support case without storing the identifier.
fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let curp_like =
                segment.len() == 18 && segment.bytes().all(|b| b.is_ascii_alphanumeric());
            if curp_like {
                format!("{}…", &segment[..4])
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn redirect(location: &'static str) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Content Security Policy of the SPA: scripts only from this origin, plus compiling our wasm.
pub const SPA_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";
/// Swagger UI sets inline styles, so its pages get a slightly wider policy.
const SWAGGER_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn harden(path: &str, headers: &mut header::HeaderMap) {
    let set = |headers: &mut header::HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.insert(name, header::HeaderValue::from_static(value));
    };
    let csp = if path.starts_with("/swagger-ui") {
        SWAGGER_CSP
    } else {
        SPA_CSP
    };
    set(headers, header::CONTENT_SECURITY_POLICY, csp);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if path.starts_with("/api/") && !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    crate::documented_routes::mark_no_route(&req);
    Err(api_route_missing())
}

fn api_route_missing() -> AppError {
    AppError::not_found("La ruta solicitada no existe en la API.")
}

/// Any error answer under `/api/` that is not already a problem document (e.g. produced by
/// actix itself) becomes one, so clients always get the same shape and never internals.
fn problem_fallback<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_api = response.request().path().starts_with("/api/");
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    if !is_api || is_problem {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::payload_too_large(),
        StatusCode::NOT_FOUND => api_route_missing(),
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            status,
            "method_not_allowed",
            "El método HTTP no se admite en esta ruta.",
        ),
        status if status.is_client_error() => {
            AppError::new(status, "bad_request", "La solicitud no es válida.")
        }
        _ => AppError::internal(format!("unhandled error response {status}")),
    };
    let (request, _) = response.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, error.error_response()).map_into_right_body(),
    ))
}

fn json_error(error: actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::Overflow { .. } | E::OverflowKnownLength { .. } => AppError::payload_too_large(),
        E::ContentType => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "El cuerpo debe enviarse como application/json.",
        ),
        E::Deserialize(error) => {
            let position = format!(" (línea {}, columna {})", error.line(), error.column());
            malformed(&error.to_string(), &position)
        }
        other => AppError::bad_request(
            "malformed_body",
            format!(
                "No se pudo leer el cuerpo de la solicitud{}.",
                if matches!(other, E::Payload(_)) {
                    " (conexión interrumpida)"
                } else {
                    ""
                }
            ),
        ),
    }
}

fn query_error(error: actix_web::error::QueryPayloadError) -> AppError {
    let actix_web::error::QueryPayloadError::Deserialize(error) = error else {
        return AppError::bad_request(
            "invalid_query",
            "Los parámetros de la consulta no son válidos.",
        );
    };
    let mut problem = malformed(&error.to_string(), "");
    problem.code = "invalid_query";
    problem.detail = problem.detail.replace("El campo", "El parámetro");
    problem
}

/// Turns a serde message into a Spanish detail naming the field, without echoing values.
fn malformed(message: &str, position: &str) -> AppError {
    let quoted = |prefix: &str| {
        message
            .split_once(prefix)
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(name, _)| name.to_owned())
    };
    let (detail, field) = if let Some(field) = quoted("unknown field `") {
        (
            format!("El campo «{field}» no se reconoce{position}."),
            Some(field),
        )
    } else if let Some(field) = quoted("missing field `") {
        (
            format!("Falta el campo obligatorio «{field}»{position}."),
            Some(field),
        )
    } else if let Some(variant) = quoted("unknown variant `") {
        (
            format!("El valor «{variant}» no es una opción válida{position}."),
            None,
        )
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid digit")
    {
        (
            format!("Un valor tiene un tipo o formato incorrecto{position}."),
            None,
        )
    } else {
        (format!("El contenido no es JSON válido{position}."), None)
    };
    let mut error = AppError::bad_request("malformed_body", detail.clone());
    if let Some(field) = field {
        error.errors = vec![confrontas_api::FieldError::new(&field, detail)];
    }
    error
}

/// Static files of the SPA, with `index.html` for every other GET (client-side routes).
fn spa(web_dir: &Path) -> Files {
    let index: PathBuf = web_dir.join("index.html");
    Files::new("/", web_dir)
        .index_file("index.html")
        .use_etag(true)
        .use_last_modified(true)
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                let (req, _) = req.into_parts();
                let response = spa_index(&req, &index);
                Ok(ServiceResponse::new(req, response))
            }
        }))
}

/// The SPA's `index.html`; without a built SPA, a page that says how to build it.
fn spa_index(req: &HttpRequest, index: &Path) -> HttpResponse {
    // Unmatched routes inside `/api/v1` fall through to the app's default service.
    if req.path().starts_with("/api/") {
        crate::documented_routes::mark_no_route(req);
        return api_route_missing().error_response();
    }
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD
    {
        return HttpResponse::MethodNotAllowed().finish();
    }
    match NamedFile::open(index) {
        Ok(file) => {
            let mut response = file.into_response(req);
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => HttpResponse::ServiceUnavailable().content_type("text/html; charset=utf-8").body(
            "<!doctype html><html lang=\"es-MX\"><meta charset=\"utf-8\"><title>Confrontas</title>\
             <h1>La aplicación web no está compilada</h1><p>El servidor funciona, pero no encontró la \
             aplicación web (CONFRONTAS_WEB_DIR). Ejecute <code>scripts/run</code>, que la compila.</p></html>",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_spanish_details_naming_the_field() {
        let unknown = malformed(
            "unknown field `admin`, expected `email` or `password`",
            " (línea 1, columna 9)",
        );
        assert_eq!(
            unknown.detail,
            "El campo «admin» no se reconoce (línea 1, columna 9)."
        );
        assert_eq!(unknown.errors[0].field, "admin");
        let missing = malformed("missing field `password`", "");
        assert_eq!(missing.detail, "Falta el campo obligatorio «password».");
        let wrong = malformed("invalid type: integer `5`, expected a string", "");
        assert!(
            !wrong.detail.contains('5'),
            "values are not echoed: {}",
            wrong.detail
        );
    }

    #[test]
    fn curps_in_paths_are_masked_in_the_log() {
        assert_eq!(
            loggable_path("/api/v1/farmers/HEGG560427MVZRRL04/history"),
            "/api/v1/farmers/HEGG…/history"
        );
        assert_eq!(
            loggable_path("/api/v1/farmers/hegg560427mvzrrl04"),
            "/api/v1/farmers/hegg…"
        );
        assert_eq!(loggable_path("/api/v1/users/12"), "/api/v1/users/12");
    }

    #[test]
    fn api_responses_are_not_cached_and_carry_a_csp() {
        let mut headers = header::HeaderMap::new();
        harden("/api/v1/me", &mut headers);
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert!(
            headers
                .get(header::CONTENT_SECURITY_POLICY)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("'wasm-unsafe-eval'")
        );
        let mut swagger = header::HeaderMap::new();
        harden("/swagger-ui/index.html", &mut swagger);
        assert!(swagger.get(header::CACHE_CONTROL).is_none());
    }
}
