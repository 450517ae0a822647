//! The HTTPS client of RENAPO's consultation service: SOAP 1.1 over TLS trusting only the
//! configured anchor (RENAPO's certificate, or the simulator's authority), with connect and
//! read timeouts, no redirects, and a cap on the answer's size. Failures are classified so the
//! engine knows what to retry: a timeout or an unavailable service is transient; an untrusted
//! certificate, a refused user or a malformed CURP are not.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::protocol::{self, Credentials, ProtocolError, Reply};
use crate::tls::{SendError, send_capped};

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

impl From<SendError> for ClientError {
    fn from(error: SendError) -> ClientError {
        match error {
            SendError::Untrusted(reason) => ClientError::Untrusted(reason),
            SendError::Timeout => ClientError::Timeout,
            SendError::Unreachable(reason) => ClientError::Unreachable(reason),
            SendError::Redirect(target) => ClientError::Redirect(target),
            SendError::TooLarge(cap) => ClientError::TooLarge(cap),
        }
    }
}

impl RenapoClient {
    pub fn new(settings: RenapoSettings) -> Result<RenapoClient, String> {
        let http = crate::tls::pinned_client(
            &settings.trust_anchor_pem,
            settings.connect_timeout,
            settings.read_timeout,
        )
        .map_err(|e| format!("RENAPO {e}"))?;
        Ok(RenapoClient { http, settings })
    }

    /// Posts a SOAP envelope and reads the answer's body, capped.
    async fn post(&self, action: &str, envelope: String) -> Result<(u16, Vec<u8>), ClientError> {
        let request = self
            .http
            .post(&self.settings.endpoint)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            )
            .header("SOAPAction", action)
            .body(envelope);
        Ok(send_capped(request, self.settings.max_response_bytes).await?)
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
