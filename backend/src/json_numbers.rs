//! Integral numbers written with a fraction or an exponent (`5.0`, `1e3`) are integers to JSON
//! Schema, and so to our OpenAPI contract, but serde refuses them for integer fields. A client
//! whose JSON library writes every number as a double would be refused for following the
//! contract; so JSON request bodies that hold such numbers are rewritten with plain integers
//! before the handlers read them, and so are path segments (`/units/1.0`) and the query
//! parameters the document declares as integers (`unit_id=1.0`) before routing
//! (`docs/architecture.md`, "The contract").

use std::collections::HashSet;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Uri, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::{Number, Value};

use crate::state::AppState;

/// The query parameters the OpenAPI document declares as integers.
#[derive(Debug, Clone, Default)]
pub struct IntegerParameters(HashSet<String>);

impl IntegerParameters {
    pub fn of(document: &utoipa::openapi::OpenApi) -> IntegerParameters {
        let document = serde_json::to_value(document).unwrap_or_default();
        let mut names = HashSet::new();
        for item in document["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let kind = &parameter["schema"]["type"];
                    let integer = kind == "integer"
                        || kind
                            .as_array()
                            .is_some_and(|kinds| kinds.iter().any(|k| k == "integer"));
                    if integer
                        && parameter["in"] == "query"
                        && let Some(name) = parameter["name"].as_str()
                    {
                        names.insert(name.to_owned());
                    }
                }
            }
        }
        IntegerParameters(names)
    }
}

/// `1.0`, `-3.00`: an integer written with a zero fraction.
fn integral(text: &str) -> Option<&str> {
    let (whole, fraction) = text.split_once('.')?;
    let digits = whole.strip_prefix('-').unwrap_or(whole);
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b == b'0'))
    .then_some(whole)
}

/// The URI with integral path segments and integer query parameters written as integers, when
/// it has any.
fn uri_with_integers(uri: &Uri, integers: &IntegerParameters) -> Option<Uri> {
    let mut changed = false;
    let path: Vec<&str> = uri
        .path()
        .split('/')
        .map(|segment| match integral(segment) {
            Some(whole) => {
                changed = true;
                whole
            }
            None => segment,
        })
        .collect();
    let query: Option<Vec<String>> = uri.query().map(|query| {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if integers.0.contains(name) => match integral(value) {
                    Some(whole) => {
                        changed = true;
                        format!("{name}={whole}")
                    }
                    None => pair.to_owned(),
                },
                _ => pair.to_owned(),
            })
            .collect()
    });
    if !changed {
        return None;
    }
    let mut rewritten = path.join("/");
    if let Some(query) = query {
        rewritten.push('?');
        rewritten.push_str(&query.join("&"));
    }
    rewritten.parse().ok()
}

pub async fn integral_numbers(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(integers) = req.app_data::<actix_web::web::Data<IntegerParameters>>()
        && let Some(uri) = uri_with_integers(req.uri(), integers)
    {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let limit = req
        .app_data::<actix_web::web::Data<AppState>>()
        .map(|state| state.config.json_limit_bytes);
    let (true, Some(limit)) = (json, limit) else {
        return next.call(req).await;
    };
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    // A body that fails to arrive, or is larger than JSON bodies may be, goes on to the
    // extractor as it came: its refusal (and the slow-body cut) stays theirs.
    while let Some(chunk) = payload.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                let came = futures_util::stream::iter([Ok(body.freeze()), Err(error)]);
                req.set_payload(Payload::Stream {
                    payload: Box::pin(came),
                });
                return next.call(req).await;
            }
        };
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            let came = futures_util::stream::once(std::future::ready(Ok(body.freeze())));
            req.set_payload(Payload::Stream {
                payload: Box::pin(came.chain(payload)),
            });
            return next.call(req).await;
        }
    }
    let body = body.freeze();
    let body = with_integers(&body).unwrap_or(body);
    req.set_payload(Payload::from(body));
    next.call(req).await
}

/// The body with its integral numbers written as integers, when it has any to rewrite (and is
/// JSON at all: anything else is left for the extractor to refuse with its position).
fn with_integers(body: &[u8]) -> Option<Bytes> {
    if !body.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return None;
    }
    let mut value: Value = serde_json::from_slice(body).ok()?;
    if !rewrite(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok().map(Bytes::from)
}

/// Rewrites integral floats within the range of `i64` as integers; true when any was.
fn rewrite(value: &mut Value) -> bool {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float)
                if number.is_f64()
                    && float.fract() == 0.0
                    && float >= i64::MIN as f64
                    && float < i64::MAX as f64 =>
            {
                *number = Number::from(float as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, v| rewrite(v) | any),
        Value::Object(fields) => fields.values_mut().fold(false, |any, v| rewrite(v) | any),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_numbers_become_integers_and_everything_else_stays() {
        let body = br#"{"version": 3.0, "items": [1e3, 2.5, -4.0], "name": "1.0", "big": 1e300}"#;
        let rewritten: Value = serde_json::from_slice(&with_integers(body).unwrap()).unwrap();
        assert_eq!(rewritten["version"], Value::from(3));
        assert_eq!(rewritten["items"], serde_json::json!([1000, 2.5, -4]));
        assert_eq!(rewritten["name"], "1.0", "strings are not numbers");
        assert_eq!(
            rewritten["big"],
            Value::from(1e300),
            "beyond i64 stays a float"
        );
        assert_eq!(
            with_integers(br#"{"version": 3}"#),
            None,
            "nothing to rewrite"
        );
        assert_eq!(
            with_integers(b"{not json 1.0"),
            None,
            "left for the extractor"
        );
    }

    #[test]
    fn integral_path_segments_and_integer_query_parameters_become_integers() {
        let integers = IntegerParameters(["unit_id".to_owned(), "page".to_owned()].into());
        let rewrite =
            |uri: &str| uri_with_integers(&uri.parse().unwrap(), &integers).map(|u| u.to_string());
        assert_eq!(
            rewrite("/api/v1/units/1.0").as_deref(),
            Some("/api/v1/units/1")
        );
        assert_eq!(
            rewrite("/api/v1/users?q=1.0&unit_id=2.00&page=-1.0").as_deref(),
            Some("/api/v1/users?q=1.0&unit_id=2&page=-1"),
            "a search text stays as written"
        );
        assert_eq!(rewrite("/api/v1/users?unit_id=2.5"), None);
        assert_eq!(rewrite("/api/v1/templates/oficio.pdf"), None);
        assert_eq!(rewrite("/api/v1/units/1"), None);
    }
}
