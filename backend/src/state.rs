//! What every handler shares: handles to the infrastructure, nothing else. Each handle lives in
//! a module without routes, and this module knows no route; `boot` builds it, `app` routes to
//! the slices that use it (`docs/architecture.md`, "Layers").

use std::path::PathBuf;
use std::sync::Arc;

use crate::attachments::AttachmentStore;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::confrontations::engine::{Engine, EngineContext};
use crate::db::{Backend, DbPool};
use crate::ops::metrics::Metrics;
use crate::registry::imports::queue::ImportQueue;
use crate::renapo::gateway::RenapoGateway;
use crate::sat::gateway::SatGateway;
use crate::uploads::ParsePermits;

/// The handles of one server instance. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub backend: Backend,
    pub tokens: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
    /// Bounds the spreadsheets parsed or written at once.
    pub parse_permits: ParsePermits,
    /// Registry imports, one at a time.
    pub imports: ImportQueue,
    pub attachments: AttachmentStore,
    /// The RENAPO client (or the built-in simulator's) the engine and consultations share.
    pub renapo: Arc<RenapoGateway>,
    /// The SAT's online provider (or its simulator), when configured.
    pub sat: Arc<SatGateway>,
    pub engine: Arc<Engine>,
    /// The counters `/metrics` shows.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Where uploads are received and spreadsheets are written before download.
    pub fn uploads_dir(&self) -> PathBuf {
        self.config.data_dir.join("uploads")
    }

    /// What the confrontation engine's workers need of the state.
    pub fn engine_context(&self) -> EngineContext {
        EngineContext {
            pool: self.pool.clone(),
            backend: self.backend,
            engine: self.engine.clone(),
            renapo: self.renapo.clone(),
            sat: self.sat.clone(),
        }
    }
}
