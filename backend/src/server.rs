//! Starting and stopping the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpServer, web};

use crate::app::{build, openapi_document};
use crate::state::AppState;

/// Binds the configured address and returns the server (to be awaited) and the bound address.
/// Signals are handled by the caller (`main`), which stops the server gracefully.
pub fn start(state: AppState) -> std::io::Result<(actix_web::dev::Server, SocketAddr)> {
    let bind = state.config.bind;
    let data = web::Data::new(state);
    let openapi = Arc::new(openapi_document());
    let server = HttpServer::new(move || build(data.clone(), openapi.clone()))
        .bind(bind)?
        .disable_signals()
        .shutdown_timeout(30)
        .client_request_timeout(Duration::from_secs(10));
    let address = *server
        .addrs()
        .first()
        .ok_or_else(|| std::io::Error::other("no address bound"))?;
    Ok((server.run(), address))
}
