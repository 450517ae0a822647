//! Simulators of the external authorities (`docs/renapo-protocol.md`, "The simulator";
//! `docs/sat-protocol.md`, "The online interface"), for the demo, the tests and the
//! benchmarks: they speak the real protocols over HTTPS with their own certificates.

pub mod pki;
pub mod renapo;
pub mod routes;
pub mod sat;

/// A simulator serving in this process.
pub trait Running {
    /// The service's URL.
    fn url(&self) -> &str;
    /// The certificate of the authority a client must trust.
    fn authority_pem(&self) -> &str;
    fn stop(self) -> impl std::future::Future<Output = ()>;
}
