//! Integral numbers written with a fraction or an exponent (`5.0`, `1e3`) are integers to JSON
//! Schema, and so to our OpenAPI contract, but serde refuses them for integer fields. A client
//! whose JSON library writes every number as a double would be refused for following the
//! contract; so JSON request bodies that hold such numbers are rewritten with plain integers
//! before the handlers read them (`docs/architecture.md`, "The contract").

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::{Number, Value};

use crate::state::AppState;

pub async fn integral_numbers(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
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
}
