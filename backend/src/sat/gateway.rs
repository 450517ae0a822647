//! The online SAT provider of the process, as configured: none, the agreement's service, or the
//! built-in simulator started in process (the demo's default).

use super::client::{SatClient, SatSettings};
use crate::config::SimulatorSettings;
use crate::config::{Endpoint, SatConfig};
use crate::simulator::sat::{SatFaults, SatSimulator, SatSimulatorConfig};

pub struct SatGateway {
    client: Option<SatClient>,
    simulator: Option<SatSimulator>,
}

impl SatGateway {
    pub async fn connect(
        config: &SatConfig,
        population: u64,
        simulated: &SimulatorSettings,
    ) -> Result<SatGateway, String> {
        let (url, trust_anchor_pem, simulator) = match &config.endpoint {
            None => {
                return Ok(SatGateway {
                    client: None,
                    simulator: None,
                });
            }
            Some(Endpoint::Remote { url, ca_file }) => {
                let pem = std::fs::read_to_string(ca_file).map_err(|e| {
                    format!(
                        "CONFRONTAS_SAT_CA_FILE: cannot read {}: {e}",
                        ca_file.display()
                    )
                })?;
                (url.clone(), pem, None)
            }
            Some(Endpoint::Simulator) => {
                let simulator = SatSimulator::start(
                    SatSimulatorConfig {
                        user: config.user.clone(),
                        password: config.password.clone(),
                        population,
                    },
                    "127.0.0.1:0".parse().expect("a loopback address"),
                )
                .await
                .map_err(|e| format!("cannot start the SAT simulator: {e}"))?;
                simulator.set_faults(SatFaults::configured(simulated));
                tracing::info!(url = %simulator.url, "SAT simulator started in process");
                (
                    simulator.url.clone(),
                    simulator.authority_pem().to_owned(),
                    Some(simulator),
                )
            }
        };
        let client = SatClient::new(SatSettings {
            url,
            user: config.user.clone(),
            password: config.password.clone(),
            trust_anchor_pem,
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            max_response_bytes: config.max_response_bytes,
        })?;
        Ok(SatGateway {
            client: Some(client),
            simulator,
        })
    }

    /// The online provider, when one is configured.
    pub fn online(&self) -> Option<&SatClient> {
        self.client.as_ref()
    }

    pub fn is_simulated(&self) -> bool {
        self.simulator.is_some()
    }

    /// The in-process simulator, for the tests' fault injection.
    pub fn simulator(&self) -> Option<&SatSimulator> {
        self.simulator.as_ref()
    }
}
