//! TLS for the server's clients and simulators: one cryptography provider (ring) for the whole
//! process, installed before the first client or server configuration is built.

/// Installs ring as the process's rustls provider; later calls change nothing.
pub fn ensure_crypto_provider() {
    // Err means a provider is already installed, which is what this ensures.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why an outbound HTTPS exchange with an authority got no answer to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server's certificate does not chain to the configured trust anchor.
    #[error("the certificate is not trusted: {0}")]
    Untrusted(String),
    #[error("no answer in time")]
    Timeout,
    #[error("cannot be reached: {0}")]
    Unreachable(String),
    /// Redirects are never followed (they would send credentials elsewhere).
    #[error("redirected to {0}; redirects are not followed")]
    Redirect(String),
    #[error("the answer exceeds {0} bytes")]
    TooLarge(usize),
}

/// An HTTPS client that trusts only `anchor_pem` (the authority's certificate), never follows
/// redirects, and gives up after the timeouts.
pub fn pinned_client(
    anchor_pem: &str,
    connect_timeout: std::time::Duration,
    read_timeout: std::time::Duration,
) -> Result<reqwest::Client, String> {
    ensure_crypto_provider();
    let anchors = reqwest::Certificate::from_pem_bundle(anchor_pem.as_bytes())
        .map_err(|e| format!("trust anchor: {e}"))?;
    if anchors.is_empty() {
        return Err("trust anchor: no certificate in the PEM".to_owned());
    }
    reqwest::Client::builder()
        .tls_certs_only(anchors)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(connect_timeout + read_timeout)
        .build()
        .map_err(|e| format!("HTTPS client: {e}"))
}

/// The certificate refusal inside `error`, if that is what it is. tokio-rustls wraps the TLS
/// error in io::Errors, whose `source` skips what they wrap, so those are opened too.
fn certificate_refused(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>()
        && matches!(tls, rustls::Error::InvalidCertificate(_))
    {
        return Some(tls.to_string());
    }
    let wrapped = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| certificate_refused(inner));
    wrapped.or_else(|| error.source().and_then(certificate_refused))
}

fn send_error(error: reqwest::Error) -> SendError {
    if let Some(reason) = certificate_refused(&error) {
        return SendError::Untrusted(reason);
    }
    if error.is_timeout() {
        return SendError::Timeout;
    }
    SendError::Unreachable(error.to_string())
}

/// Sends `request` and reads the answer's status and body, refusing redirects and bodies
/// over `cap` bytes (read as they arrive, so a huge answer is never held whole).
pub async fn send_capped(
    request: reqwest::RequestBuilder,
    cap: usize,
) -> Result<(u16, Vec<u8>), SendError> {
    use futures_util::StreamExt;
    let response = request.send().await.map_err(send_error)?;
    let status = response.status();
    if status.is_redirection() {
        let target = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or("?")
            .to_owned();
        return Err(SendError::Redirect(target));
    }
    if response.content_length().is_some_and(|n| n as usize > cap) {
        return Err(SendError::TooLarge(cap));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(send_error)?;
        if body.len() + chunk.len() > cap {
            return Err(SendError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status.as_u16(), body))
}
