//! Online consultations per caller per minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Queries per caller per minute, counted in fixed one-minute windows per instance.
pub struct ConsultationQuota {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl ConsultationQuota {
    pub fn new(per_minute: u32) -> ConsultationQuota {
        ConsultationQuota {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a query of `caller`; the seconds to wait when over the quota.
    pub fn take(&self, caller: &str) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Forget finished windows now and then, so the map stays as small as the callers.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let (start, count) = windows.entry(caller.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_counts_per_caller_and_tells_how_long_to_wait() {
        let quota = ConsultationQuota::new(2);
        assert!(quota.take("client:1").is_ok());
        assert!(quota.take("client:1").is_ok());
        let wait = quota.take("client:1").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(quota.take("client:2").is_ok(), "each caller has its own");
    }
}
