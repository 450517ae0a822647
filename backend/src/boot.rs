//! Starting a server instance: the database opened and migrated, what the last stop left
//! behind settled, the authorities connected, the state built; then the background workers.

use std::sync::Arc;

use crate::attachments::AttachmentStore;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::confrontations::engine::{self, Engine};
use crate::db;
use crate::ops::metrics::Metrics;
use crate::registry::imports::queue::{self, ImportQueue};
use crate::renapo::gateway::RenapoGateway;
use crate::sat::gateway::SatGateway;
use crate::state::AppState;
use crate::uploads::ParsePermits;
use crate::{auth, certificates, notifications};

/// Opens the database, applies migrations, fails the imports a stop interrupted, keeps the
/// opinions' validity days on the configured rule, prepares keys and connects to the
/// authorities (starting the built-in simulators when configured so).
pub async fn open(config: Config) -> Result<AppState, String> {
    // Every TLS client and server of the process uses the same provider.
    crate::tls::ensure_crypto_provider();
    let pool = db::connect(
        &config.database_url,
        config.db_pool_size,
        config.db_checkout_timeout,
    )?;
    let mut conn = db::checkout(&pool).map_err(|e| format!("cannot open the database: {e}"))?;
    let applied = db::migrate(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    let backend = conn.backend();
    let uploads = config.data_dir.join("uploads");
    std::fs::create_dir_all(&uploads)
        .map_err(|e| format!("cannot create {}: {e}", uploads.display()))?;
    let interrupted = queue::fail_interrupted(&mut conn, &uploads)
        .map_err(|e| format!("cannot check interrupted imports: {}", e.detail))?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "registry imports interrupted by the last stop were marked failed"
        );
    }
    let recomputed =
        crate::sat::validity::reconcile(&mut conn, config.sat.validity).map_err(|e| {
            format!(
                "cannot keep the opinions' validity on one rule: {}",
                e.detail
            )
        })?;
    if recomputed > 0 {
        tracing::info!(
            recomputed,
            "the registry's opinion validity days were recomputed by the configured rule"
        );
    }
    drop(conn);
    if !config.web_dir.join("index.html").is_file() {
        tracing::warn!(web_dir = %config.web_dir.display(), "the SPA is not built there; pages will say how to build it");
    }
    if config.jwt.ephemeral {
        tracing::warn!(
            "CONFRONTAS_JWT_KEYS is not set: using a key generated for this process; sessions end on restart"
        );
    }
    let attachments = AttachmentStore::open(config.attachments_dir.clone())
        .map_err(|e| format!("cannot create {}: {e}", config.attachments_dir.display()))?;
    let renapo =
        RenapoGateway::connect(&config.renapo, config.demo_farmers, &config.simulators).await?;
    let sat = SatGateway::connect(&config.sat, config.demo_farmers, &config.simulators).await?;
    Ok(AppState {
        renapo: Arc::new(renapo),
        engine: Arc::new(Engine::new(
            &config.renapo.engine,
            &config.sat.engine,
            config.sat.validity,
            (backend == db::Backend::Postgres).then_some(&pool),
        )),
        sat: Arc::new(sat),
        metrics: Arc::new(Metrics::new()),
        attachments,
        tokens: Arc::new(TokenKeys::new(&config.jwt)),
        hasher: PasswordHasher::new(config.login.hash_concurrency),
        parse_permits: ParsePermits::new(config.parse_concurrency),
        imports: ImportQueue::default(),
        config: Arc::new(config),
        pool,
        backend,
    })
}

/// The background work of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// Purges expired sessions, refresh tokens and throttle counters every hour.
    Housekeeping,
    /// Sends notification e-mails, when SMTP is configured.
    Email,
    /// Trusts the RENAPO certificate deployed on any instance, and sends its expiry alerts.
    CertificateSync,
    /// Works confrontations, when an authority can be queried.
    Engine,
}

impl Worker {
    pub const ALL: [Worker; 4] = [
        Worker::Housekeeping,
        Worker::Email,
        Worker::CertificateSync,
        Worker::Engine,
    ];
}

/// Starts `workers`, each with only the handles it needs.
pub async fn start(state: &AppState, workers: &[Worker]) -> Result<(), String> {
    for worker in workers {
        match worker {
            Worker::Housekeeping => {
                auth::housekeeping::spawn(state.pool.clone(), state.config.login.window)
            }
            Worker::Email => {
                if let Some(settings) = state.config.smtp.clone() {
                    notifications::email::spawn(state.pool.clone(), settings);
                }
            }
            Worker::CertificateSync => certificates::sync::spawn(
                state.pool.clone(),
                state.renapo.clone(),
                state.config.renapo.trust_sync,
            )
            .await
            .map_err(|e| e.detail)?,
            Worker::Engine => engine::spawn(state.engine_context())
                .await
                .map_err(|e| e.detail)?,
        }
    }
    Ok(())
}
