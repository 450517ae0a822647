//! Confrontas server: REST API, SPA host and (in later slices) the confrontation job engine.
//!
//! Feature slices own their routes, service logic and queries: `auth`, `users`, `units`,
//! `api_clients`, `audit`, `ops`, `registry`, `layouts`, `calendar`, `requests` (workflow,
//! timeline, dashboards), `attachments` (documents on disk), `notifications`, `sla` (policies,
//! clocks, compliance reports). Shared machinery: `uploads` (hostile-safe spreadsheet and form
//! reading), `spreadsheet` and `download` (writing files for people), `population` (synthetic
//! people). Cross-cutting: `config`, `db`, `error`, `app`, `api_doc`.

pub mod api_clients;
pub mod api_doc;
pub mod app;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod certificates;
pub mod config;
pub mod confrontations;
pub mod consultations;
pub mod db;
pub mod download;
pub mod error;
pub mod layouts;
pub mod notifications;
pub mod ops;
pub mod population;
pub mod registry;
pub mod renapo;
pub mod requests;
pub mod sat;
pub mod schema;
pub mod seed;
pub mod server;
pub mod simulator;
pub mod sla;
pub mod spreadsheet;
pub mod tls;
pub mod units;
pub mod uploads;
pub mod users;
