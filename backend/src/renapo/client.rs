//! The HTTPS client of RENAPO's consultation service: SOAP 1.1 over TLS trusting only the
//! configured anchor (RENAPO's certificate, or the simulator's authority), with connect and
//! read timeouts, no redirects, and a cap on the answer's size. Failures are classified so the
//! engine knows what to retry: a timeout or an unavailable service is transient; an untrusted
//! certificate, a refused user or a malformed CURP are not.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::protocol::{self, Credentials, ProtocolError, Reply};

/// How to reach RENAPO.
#[derive(Clone)]
pub struct RenapoSettings {
    /// The `ConsultaPorCurpService` endpoint (`https://…/WebServicesConsulta/services/ConsultaPorCurpService`).
    pub endpoint: String,
    pub credentials: Credentials,
    /// PEM certificates the server's certificate must chain to (RENAPO's certificate).
    pub trust_anchor_pem: String,
    pub connect_timeout: Duration,
    /// Longest wait for the answer, from sending the request.
    pub read_timeout: Duration,
    /// Largest answer accepted.
    pub max_response_bytes: usize,
}

impl std::fmt::Debug for RenapoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenapoSettings")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// Why a consultation got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server's certificate does not chain to the configured trust anchor.
    #[error("RENAPO's certificate is not trusted: {0}")]
    Untrusted(String),
    #[error("RENAPO did not answer in time")]
    Timeout,
    #[error("RENAPO cannot be reached: {0}")]
    Unreachable(String),
    /// An HTTP status that is neither an answer nor a SOAP fault.
    #[error("RENAPO answered HTTP {0}")]
    Http(u16),
    /// Redirects are never followed (they would send credentials elsewhere).
    #[error("RENAPO redirected to {0}; redirects are not followed")]
    Redirect(String),
    #[error("RENAPO's answer exceeds {0} bytes")]
    TooLarge(usize),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

impl ClientError {
    /// Worth retrying later: the service may answer then.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Timeout | ClientError::Unreachable(_) => true,
            ClientError::Http(status) => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            ClientError::Protocol(ProtocolError::Fault { .. }) => true,
            _ => false,
        }
    }
}

pub struct RenapoClient {
    http: reqwest::Client,
    settings: RenapoSettings,
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

fn classify(error: reqwest::Error) -> ClientError {
    if let Some(reason) = certificate_refused(&error) {
        return ClientError::Untrusted(reason);
    }
    if error.is_timeout() {
        return ClientError::Timeout;
    }
    ClientError::Unreachable(error.to_string())
}

impl RenapoClient {
    pub fn new(settings: RenapoSettings) -> Result<RenapoClient, String> {
        crate::tls::ensure_crypto_provider();
        let anchors = reqwest::Certificate::from_pem_bundle(settings.trust_anchor_pem.as_bytes())
            .map_err(|e| format!("RENAPO trust anchor: {e}"))?;
        if anchors.is_empty() {
            return Err("RENAPO trust anchor: no certificate in the PEM".to_owned());
        }
        let http = reqwest::Client::builder()
            .tls_certs_only(anchors)
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.connect_timeout + settings.read_timeout)
            .build()
            .map_err(|e| format!("RENAPO client: {e}"))?;
        Ok(RenapoClient { http, settings })
    }

    /// Posts a SOAP envelope and reads the answer's body, capped.
    async fn post(&self, action: &str, envelope: String) -> Result<(u16, Vec<u8>), ClientError> {
        let response = self
            .http
            .post(&self.settings.endpoint)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            )
            .header("SOAPAction", action)
            .body(envelope)
            .send()
            .await
            .map_err(classify)?;
        let status = response.status();
        if status.is_redirection() {
            let target = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            return Err(ClientError::Redirect(target));
        }
        let cap = self.settings.max_response_bytes;
        if response.content_length().is_some_and(|n| n as usize > cap) {
            return Err(ClientError::TooLarge(cap));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(classify)?;
            if body.len() + chunk.len() > cap {
                return Err(ClientError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status.as_u16(), body))
    }

    /// Asks RENAPO for `curp`, and acknowledges the answer's session as RENAPO's clients do.
    pub async fn consult(&self, curp: &str) -> Result<Reply, ClientError> {
        let reply = self.ask(curp).await?;
        if let Some(session) = &reply.session_id {
            self.confirm(session).await;
        }
        Ok(reply)
    }

    /// Asks RENAPO for `curp`; the answer's session still has to be acknowledged ([`confirm`]).
    ///
    /// [`confirm`]: RenapoClient::confirm
    pub async fn ask(&self, curp: &str) -> Result<Reply, ClientError> {
        let envelope = protocol::consult_envelope(&self.settings.credentials, curp);
        let (status, body) = self.post(protocol::CONSULT_ACTION, envelope).await?;
        // A SOAP fault comes with HTTP 500; other statuses without an envelope are HTTP errors.
        match protocol::parse_consult_reply(&body, curp) {
            Ok(reply) if status == 200 => Ok(reply),
            Ok(_) => Err(ClientError::Http(status)),
            Err(fault @ ProtocolError::Fault { .. }) => Err(fault.into()),
            Err(_) if status != 200 => Err(ClientError::Http(status)),
            Err(error) => Err(error.into()),
        }
    }

    /// Acknowledges an answer's session (`getConfirm`). It is one-way: its failure does not
    /// undo the answer, so it is only logged.
    pub async fn confirm(&self, session: &str) {
        if let Err(error) = self
            .post(
                protocol::CONFIRM_ACTION,
                protocol::confirm_envelope(session),
            )
            .await
        {
            tracing::warn!(%error, "RENAPO getConfirm failed");
        }
    }
}
