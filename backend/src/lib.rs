//! Confrontas server: REST API, SPA host and the confrontation engine.
//!
//! Feature slices own their routes, reads and writes: `auth`, `users`, `units`, `api_clients`,
//! `audit`, `ops`, `registry`, `layouts`, `calendar`, `requests` (workflow, timeline,
//! dashboards), `attachments` (documents on disk), `notifications`, `sla` (policies, clocks,
//! compliance reports), `confrontations` (jobs and the engine), `renapo`, `sat`,
//! `certificates`, `consultations`, `simulator`. Shared machinery: `uploads` (hostile-safe
//! spreadsheet and form reading), `spreadsheet` and `download` (writing files for people),
//! `population` (synthetic people), `tls`. Request bodies: `slow_bodies`, `json_numbers`. Cross-cutting: `config`, `db`, `error`, `api_doc`.
//! Assembly: `state` (the handles), `boot` (start-up and workers), `app` (the router), `server`.
//! The map of all of it is `docs/architecture.md`.

pub mod api_clients;
pub mod api_doc;
pub mod app;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod boot;
pub mod calendar;
pub mod certificates;
pub mod config;
pub mod confrontations;
pub mod consultations;
pub mod db;
pub mod documented_routes;
pub mod download;
pub mod error;
pub mod json_numbers;
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
pub mod slow_bodies;
pub mod spreadsheet;
pub mod state;
pub mod tls;
pub mod units;
pub mod uploads;
pub mod users;
