//! Request bodies must keep arriving. A client that sends its body a byte a second would hold a
//! worker and a connection for as long as it likes; so after a grace period the body must have
//! come at least at a minimum average rate, or the request is cut and answered 408
//! (README, "Configuration": `CONFRONTAS_BODY_GRACE_SECS`, `CONFRONTAS_BODY_MIN_BYTES_PER_SEC`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::config::BodyPace;
use crate::error::AppError;
use crate::state::AppState;

/// When a body that has brought `received` bytes since `started` is too slow for `pace`.
fn deadline(pace: &BodyPace, started: Instant, received: u64) -> Instant {
    let earned = Duration::from_secs_f64(received as f64 / pace.min_bytes_per_sec.max(1) as f64);
    started + pace.grace + earned
}

/// The request's payload, cut with an error when it falls behind its pace.
struct Paced {
    inner: Payload,
    pace: BodyPace,
    started: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
    cut: Rc<Cell<bool>>,
}

impl Paced {
    fn cut(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.cut.set(true);
        let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
        Poll::Ready(Some(Err(PayloadError::Io(late))))
    }
}

impl Stream for Paced {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.cut.get() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let deadline = deadline(&this.pace, this.started, this.received);
                if Instant::now() > deadline {
                    return this.cut();
                }
                this.timer.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => this.cut(),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

fn too_slow() -> AppError {
    AppError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_too_slow",
        "El cuerpo de la solicitud llegó demasiado lento y se dejó de esperar; envíelo de nuevo.",
    )
}

/// Middleware: paces every request body; a request whose body fell behind is answered 408 and
/// its connection closed, whatever the handler made of the cut body.
pub async fn cut_slow_bodies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(pace) = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.body_pace)
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let started = Instant::now();
    let cut = Rc::new(Cell::new(false));
    let paced = Paced {
        inner: req.take_payload(),
        pace,
        started,
        received: 0,
        timer: Box::pin(tokio::time::sleep_until(deadline(&pace, started, 0))),
        cut: cut.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(paced),
    });
    let response = next.call(req).await?;
    if !cut.get() {
        return Ok(response.map_into_left_body());
    }
    tracing::info!(
        path = response.request().path(),
        "request body too slow: cut"
    );
    let (request, _) = response.into_parts();
    let mut refusal = too_slow().error_response();
    refusal.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    Ok(ServiceResponse::new(request, refusal).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_moves_with_what_has_arrived() {
        let pace = BodyPace {
            grace: Duration::from_secs(10),
            min_bytes_per_sec: 1_000,
        };
        let start = Instant::now();
        assert_eq!(deadline(&pace, start, 0), start + Duration::from_secs(10));
        assert_eq!(
            deadline(&pace, start, 5_000),
            start + Duration::from_secs(15),
            "5,000 bytes earn 5 s at 1,000 B/s"
        );
    }
}
