//! Confrontas server: REST API, SPA host and (in later slices) the confrontation job engine.
//!
//! Feature slices own their routes, service logic and queries: `auth`, `users`, `units`,
//! `api_clients`, `audit`, `ops`, `registry`, `layouts`, `calendar`. Shared machinery: `uploads`
//! (hostile-safe spreadsheet reading), `spreadsheet` (writing), `population` (synthetic people).
//! Cross-cutting: `config`, `db`, `error`, `app`, `api_doc`.

pub mod api_clients;
pub mod api_doc;
pub mod app;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod config;
pub mod db;
pub mod error;
pub mod layouts;
pub mod ops;
pub mod population;
pub mod registry;
pub mod schema;
pub mod seed;
pub mod server;
pub mod spreadsheet;
pub mod units;
pub mod uploads;
pub mod users;
