//! RENAPO slice (`docs/renapo-protocol.md`): the CURP consultation web service. [`protocol`]
//! speaks its SOAP
//! dialect; the HTTPS client, the simulator and the confrontation engine build on it.

pub mod client;
pub mod gateway;
pub mod protocol;
