//! Every instance trusts the deployed certificate: at start-up, right after a deploy or a
//! rollback on this instance, and within `CONFRONTAS_TRUST_SYNC_MS` of one on another
//! instance (they share only the database).

use super::{CertificateRow, deployed};
use crate::app::AppState;
use crate::db;
use crate::error::{AppError, AppResult};

/// Makes `row`'s chain the RENAPO client's trust anchor on this instance, now.
pub fn trust(state: &AppState, row: &CertificateRow) -> AppResult<()> {
    state
        .renapo
        .trust(&row.pem, &row.fingerprint)
        .map_err(|e| AppError::internal(format!("cannot trust the deployed certificate: {e}")))?;
    tracing::info!(fingerprint = %row.fingerprint, "RENAPO trust anchor replaced");
    Ok(())
}

/// Trusts the deployed certificate if this instance does not yet.
pub async fn follow(state: &AppState) -> AppResult<()> {
    let Some(row) = db::run(&state.pool, |conn| Ok(deployed(conn)?)).await? else {
        return Ok(());
    };
    if state.renapo.trusted_fingerprint().as_deref() != Some(row.fingerprint.as_str()) {
        trust(state, &row)?;
    }
    Ok(())
}

/// Follows the deployed certificate now and then on (when RENAPO is configured), and sends
/// its expiry alerts when they fall due.
pub async fn spawn(state: AppState) -> AppResult<()> {
    if !state.renapo.is_configured() {
        return Ok(());
    }
    follow(&state).await?;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.renapo.trust_sync);
        loop {
            ticks.tick().await;
            if let Err(error) = follow(&state).await {
                tracing::warn!(%error.detail, "cannot follow the deployed RENAPO certificate");
            }
            match db::run(&state.pool, super::expiry::check).await {
                Ok(0) => {}
                Ok(told) => tracing::warn!(told, "RENAPO certificate expiry alert sent"),
                Err(error) => {
                    tracing::warn!(%error.detail, "cannot check the RENAPO certificate's expiry")
                }
            }
        }
    });
    Ok(())
}
