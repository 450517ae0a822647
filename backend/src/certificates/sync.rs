//! Every instance trusts the deployed certificate: at start-up, right after a deploy or a
//! rollback on this instance, and within `CONFRONTAS_TRUST_SYNC_MS` of one on another
//! instance (they share only the database).

use std::sync::Arc;
use std::time::Duration;

use super::records::{CertificateRow, deployed};
use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};
use crate::renapo::gateway::RenapoGateway;

/// Makes `row`'s chain the RENAPO client's trust anchor on this instance, now.
pub fn trust(renapo: &RenapoGateway, row: &CertificateRow) -> AppResult<()> {
    renapo
        .trust(&row.pem, &row.fingerprint)
        .map_err(|e| AppError::internal(format!("cannot trust the deployed certificate: {e}")))?;
    tracing::info!(fingerprint = %row.fingerprint, "RENAPO trust anchor replaced");
    Ok(())
}

/// Trusts the deployed certificate if this instance does not yet.
pub async fn follow(pool: &DbPool, renapo: &RenapoGateway) -> AppResult<()> {
    let Some(row) = db::run_in_background(pool, |conn| Ok(deployed(conn)?)).await? else {
        return Ok(());
    };
    if renapo.trusted_fingerprint().as_deref() != Some(row.fingerprint.as_str()) {
        trust(renapo, &row)?;
    }
    Ok(())
}

/// Follows the deployed certificate now and every `every` (when RENAPO is configured), and
/// sends its expiry alerts when they fall due and the alert of a refused handshake.
pub async fn spawn(pool: DbPool, renapo: Arc<RenapoGateway>, every: Duration) -> AppResult<()> {
    if !renapo.is_configured() {
        return Ok(());
    }
    follow(&pool, &renapo).await?;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(error) = follow(&pool, &renapo).await {
                tracing::warn!(%error.detail, "cannot follow the deployed RENAPO certificate");
            }
            let refused = renapo.trust_refused();
            match db::run_in_background(&pool, move |conn| {
                super::expiry::refusal(conn, refused.as_deref())
            })
            .await
            {
                Ok(0) => {}
                Ok(told) => tracing::warn!(told, "RENAPO certificate refusal announced"),
                Err(error) => {
                    tracing::warn!(%error.detail, "cannot announce the RENAPO certificate's refusal")
                }
            }
            match db::run_in_background(&pool, super::expiry::check).await {
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
