//! The one RENAPO client of the process, behind a holder: the confrontation engine and the
//! online consultation both ask through it, so replacing the trust anchor (a new RENAPO
//! certificate) takes effect for both at once, without a restart.

use std::sync::{Arc, RwLock};

use super::client::{ClientError, RenapoClient, RenapoSettings};
use super::protocol::{Credentials, Reply};
use crate::config::SimulatorSettings;
use crate::config::{Endpoint, RenapoConfig};
use crate::simulator::renapo::{Faults, RenapoSimulator, SimulatorConfig};

/// Why a query could not be sent or answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("RENAPO is not configured")]
    NotConfigured,
    #[error(transparent)]
    Client(#[from] ClientError),
}

pub struct RenapoGateway {
    client: RwLock<Option<Arc<RenapoClient>>>,
    /// Fingerprint of the deployed certificate trusted now (`None`: the configured file's).
    trusted: RwLock<Option<String>>,
    /// Why the last handshake refused RENAPO's server certificate, while no query has been
    /// answered since (RENAPO changed its certificate and the new one is not deployed yet).
    refused: RwLock<Option<String>>,
    settings: Option<RenapoSettings>,
    simulator: Option<tokio::sync::Mutex<RenapoSimulator>>,
}

impl RenapoGateway {
    /// Connects as configured; for [`Endpoint::Simulator`] starts the simulator on a free
    /// loopback port first, answering for the demo registry's `population` people.
    pub async fn connect(
        config: &RenapoConfig,
        population: u64,
        simulated: &SimulatorSettings,
    ) -> Result<RenapoGateway, String> {
        let credentials = Credentials {
            user: config.user.clone(),
            password: config.password.clone(),
            caller_ip: config.caller_ip.clone(),
            issuing_entity: config.issuing_entity.clone(),
            transaction_type: config.transaction_type,
        };
        let (endpoint, trust_anchor_pem, simulator) = match &config.endpoint {
            None => {
                return Ok(RenapoGateway {
                    client: RwLock::new(None),
                    trusted: RwLock::new(None),
                    refused: RwLock::new(None),
                    settings: None,
                    simulator: None,
                });
            }
            Some(Endpoint::Remote { url, ca_file }) => {
                let pem = std::fs::read_to_string(ca_file).map_err(|e| {
                    format!(
                        "CONFRONTAS_RENAPO_CA_FILE: cannot read {}: {e}",
                        ca_file.display()
                    )
                })?;
                (url.clone(), pem, None)
            }
            Some(Endpoint::Simulator) => {
                let simulator = RenapoSimulator::start(
                    SimulatorConfig {
                        user: config.user.clone(),
                        password: config.password.clone(),
                        population,
                    },
                    "127.0.0.1:0".parse().expect("a loopback address"),
                )
                .await
                .map_err(|e| format!("cannot start the RENAPO simulator: {e}"))?;
                simulator.set_faults(Faults::configured(simulated));
                tracing::info!(url = %simulator.url, "RENAPO simulator started in process");
                (
                    simulator.url.clone(),
                    simulator.authority_pem().to_owned(),
                    Some(simulator),
                )
            }
        };
        let settings = RenapoSettings {
            endpoint,
            credentials,
            trust_anchor_pem,
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            max_response_bytes: config.max_response_bytes,
        };
        let client = RenapoClient::new(settings.clone())?;
        Ok(RenapoGateway {
            client: RwLock::new(Some(Arc::new(client))),
            trusted: RwLock::new(None),
            refused: RwLock::new(None),
            settings: Some(settings),
            simulator: simulator.map(tokio::sync::Mutex::new),
        })
    }

    /// True when answers come from the built-in simulator (the UI says so).
    pub fn is_simulated(&self) -> bool {
        self.simulator.is_some()
    }

    pub fn is_configured(&self) -> bool {
        self.settings.is_some()
    }

    /// The in-process simulator, for the demo's and the tests' fault injection and rotation.
    pub fn simulator(&self) -> Option<&tokio::sync::Mutex<RenapoSimulator>> {
        self.simulator.as_ref()
    }

    fn current(&self) -> Option<Arc<RenapoClient>> {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The configured endpoint's URL.
    pub fn endpoint(&self) -> Option<&str> {
        self.settings.as_ref().map(|s| s.endpoint.as_str())
    }

    /// A client of the configured endpoint that trusts `pem` only (to verify a certificate
    /// before, or after, deploying it).
    pub fn client_trusting(&self, pem: &str) -> Result<RenapoClient, String> {
        let Some(settings) = &self.settings else {
            return Err("RENAPO is not configured".into());
        };
        RenapoClient::new(RenapoSettings {
            trust_anchor_pem: pem.to_owned(),
            ..settings.clone()
        })
    }

    /// Trusts `pem` from now on: queries already sent finish with the old client.
    pub fn replace_trust_anchor(&self, pem: &str) -> Result<(), String> {
        let client = self.client_trusting(pem)?;
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(client));
        *self.refused.write().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    /// Why RENAPO's server certificate is refused now, if it is: the last query failed the
    /// handshake for want of trust and none has been answered since.
    pub fn trust_refused(&self) -> Option<String> {
        self.refused
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Remembers whether `answer` says RENAPO's certificate is trusted.
    fn note<T>(&self, answer: Result<T, ClientError>) -> Result<T, GatewayError> {
        let refused = match &answer {
            Ok(_) => Some(None),
            Err(ClientError::Untrusted(reason)) => Some(Some(reason.clone())),
            // Other failures say nothing about the certificate.
            Err(_) => None,
        };
        if let Some(refused) = refused {
            let mut current = self.refused.write().unwrap_or_else(|e| e.into_inner());
            if current.is_none() && refused.is_some() {
                tracing::error!(reason = ?refused, "RENAPO's server certificate is not trusted: deploy its new certificate");
            }
            *current = refused;
        }
        Ok(answer?)
    }

    /// Trusts the deployed certificate `pem` (of `fingerprint`) from now on.
    pub fn trust(&self, pem: &str, fingerprint: &str) -> Result<(), String> {
        self.replace_trust_anchor(pem)?;
        *self.trusted.write().unwrap_or_else(|e| e.into_inner()) = Some(fingerprint.to_owned());
        Ok(())
    }

    /// The fingerprint of the deployed certificate trusted now, if one is.
    pub fn trusted_fingerprint(&self) -> Option<String> {
        self.trusted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Asks RENAPO for `curp` and acknowledges the answer.
    pub async fn consult(&self, curp: &str) -> Result<Reply, GatewayError> {
        let client = self.current().ok_or(GatewayError::NotConfigured)?;
        self.note(client.consult(curp).await)
    }

    /// Asks RENAPO for `curp`, leaving the acknowledgement to [`confirm`].
    ///
    /// [`confirm`]: RenapoGateway::confirm
    pub async fn ask(&self, curp: &str) -> Result<Reply, GatewayError> {
        let client = self.current().ok_or(GatewayError::NotConfigured)?;
        self.note(client.ask(curp).await)
    }

    /// Acknowledges an answer's session (`getConfirm`).
    pub async fn confirm(&self, session: &str) {
        if let Some(client) = self.current() {
            client.confirm(session).await;
        }
    }
}
