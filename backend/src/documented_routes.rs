//! The routes the OpenAPI document declares, as path templates and their methods. When no route
//! took a request, they tell why: a path the server serves asked with a method it does not
//! take is answered 405 with `Allow` (RFC 9110 §15.5.6), and a path whose parameter does not
//! fit (`/users/abc`) 400, instead of a 404 that would say the path does not exist.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, ResponseError, web};
use utoipa::openapi::OpenApi;

use crate::error::AppError;

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

#[derive(Debug, Clone)]
struct Template {
    segments: Vec<Segment>,
    methods: Vec<Method>,
}

impl Template {
    fn matches(&self, asked: &[&str]) -> bool {
        self.segments.len() == asked.len()
            && self
                .segments
                .iter()
                .zip(asked)
                .all(|(segment, part)| match segment {
                    Segment::Literal(text) => text == part,
                    Segment::Parameter => !part.is_empty(),
                })
    }

    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

/// The document's routes.
#[derive(Debug, Clone, Default)]
pub struct DocumentedRoutes(Vec<Template>);

impl DocumentedRoutes {
    pub fn of(document: &OpenApi) -> DocumentedRoutes {
        let templates = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let operations = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                Template {
                    segments: split(path)
                        .map(|part| {
                            if part.starts_with('{') && part.ends_with('}') {
                                Segment::Parameter
                            } else {
                                Segment::Literal(part.to_owned())
                            }
                        })
                        .collect(),
                    methods: operations
                        .into_iter()
                        .filter(|(_, declared)| *declared)
                        .map(|(method, _)| method)
                        .collect(),
                }
            })
            .collect();
        DocumentedRoutes(templates)
    }

    /// The methods `path` takes, sorted, when the document declares it (the most literal
    /// templates win, as in the router: a fixed segment before a parameter).
    pub fn methods(&self, path: &str) -> Option<Vec<Method>> {
        let asked: Vec<&str> = split(path).collect();
        let matching: Vec<&Template> = self.0.iter().filter(|t| t.matches(&asked)).collect();
        let most = matching.iter().map(|t| t.literals()).max()?;
        let mut methods: Vec<Method> = matching
            .into_iter()
            .filter(|t| t.literals() == most)
            .flat_map(|t| t.methods.iter().cloned())
            .collect();
        methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        methods.dedup();
        Some(methods)
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_matches('/').split('/')
}

/// What the router's fallbacks leave on a request no route took.
#[derive(Debug, Clone, Copy)]
struct NoRoute;

/// Marks `req` as taken by no route (called by the router's fallbacks).
pub fn mark_no_route(req: &HttpRequest) {
    req.extensions_mut().insert(NoRoute);
}

fn not_allowed(methods: &[Method]) -> actix_web::HttpResponse {
    let mut response = AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "El método HTTP no se admite en esta ruta.",
    )
    .error_response();
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

fn parameter_does_not_fit() -> actix_web::HttpResponse {
    AppError::bad_request(
        "invalid_path_parameter",
        "Un identificador de la ruta no es válido.",
    )
    .error_response()
}

/// Middleware: a request no route took (a fallback's 404, or a bare 405) on a documented path
/// is answered 405 with the methods the path takes when its method is not one of them, and 400
/// when it is (a parameter that does not fit the route). A route's own 404 (no such record)
/// is left alone.
pub async fn answer_other_methods(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let routes = req.app_data::<web::Data<DocumentedRoutes>>().cloned();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let response = next.call(req).await?;
    let unrouted = match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => true,
        StatusCode::NOT_FOUND => response.request().extensions().contains::<NoRoute>(),
        _ => false,
    };
    let methods = routes
        .filter(|_| unrouted)
        .and_then(|routes| routes.methods(&path))
        .filter(|methods| !methods.is_empty());
    let Some(methods) = methods else {
        return Ok(response.map_into_left_body());
    };
    let answer = if methods.contains(&method) {
        parameter_does_not_fit()
    } else {
        not_allowed(&methods)
    };
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, answer).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_literal_template_decides_a_paths_methods() {
        let document: OpenApi =
            serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
        let routes = DocumentedRoutes::of(&document);
        assert_eq!(
            routes.methods("/api/v1/users/7"),
            Some(vec![Method::GET, Method::PATCH])
        );
        assert_eq!(
            routes.methods("/api/v1/farmers/HEGG560427MVZRRL04/history"),
            Some(vec![Method::GET])
        );
        assert_eq!(routes.methods("/health"), Some(vec![Method::GET]));
        assert_eq!(routes.methods("/api/v1/no/such/thing"), None);
        assert_eq!(
            routes.methods("/solicitudes/3"),
            None,
            "SPA pages are not API routes"
        );
    }
}
