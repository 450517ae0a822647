//! The integration tests, one binary with a module per topic: linking one test binary instead of
//! one per file saves minutes on two cores. Each scenario starts the real server on a free port
//! over a fresh database (`support`); most run on SQLite and on PostgreSQL
//! (`on_both_backends!`).

#[macro_use]
mod support;

mod admin;
mod architecture;
mod auth;
mod backup;
mod calendar;
mod certificates;
mod confrontations;
mod consultations;
mod curp_properties;
mod deployment_quota;
mod email;
mod engine_crashes;
mod hostile_uploads;
mod http_contract;
mod layouts;
mod metrics;
mod openapi_document;
mod outage;
mod process;
mod registry;
mod registry_imports;
mod renapo_client;
mod requests;
mod rfc_ownership;
mod sat;
mod sat_dates;
mod sat_eligibility;
mod schema_parity;
mod sqlite_concurrency;
