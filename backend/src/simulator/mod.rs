//! Simulators of the external authorities (DESIGN §9), for the demo, the tests and the
//! benchmarks: they speak the real protocols over HTTPS with their own certificates.

pub mod pki;
pub mod renapo;
pub mod sat;
