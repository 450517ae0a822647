//! The API contract shared by the Confrontas server and its single-page app.
//!
//! Everything here compiles for the server and for `wasm32-unknown-unknown`. With the `openapi`
//! feature (enabled by the server) the types also derive their OpenAPI schemas, so the document
//! served at `/api-docs/openapi.json` is generated from the same definitions the SPA uses.

pub mod auth;
pub mod calendar;
pub mod certificates;
pub mod common;
pub mod confrontations;
pub mod directory;
pub mod eligibility;
pub mod identity;
pub mod layouts;
pub mod ops;
pub mod paths;
pub mod registry;
pub mod requests;
pub mod sat;
#[cfg(feature = "openapi")]
mod schemas;
pub mod sla;

pub use auth::*;
pub use calendar::*;
pub use certificates::*;
pub use common::*;
pub use confrontations::*;
pub use directory::*;
pub use eligibility::*;
pub use identity::{Curp, CurpProblem, Rfc, RfcKind, RfcOwnership, RfcProblem, RfcWarning, Sex};
pub use layouts::*;
pub use ops::*;
pub use registry::*;
pub use requests::*;
pub use sat::*;
pub use sla::*;
