//! Argon2id password hashing with bounded concurrency (each hash costs ~24 ms and 19 MiB).

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use crate::error::AppError;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so both cases cost the same time.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> PasswordHasher {
        let dummy_hash = hash_now("confrontas-dummy-password-for-timing")
            .expect("argon2 with default parameters");
        PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        }
    }

    /// Hashes a new password (argon2id, OWASP parameters, PHC string).
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is no account.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = tokio::task::spawn_blocking(move || verify_now(&password, &hash))
            .await
            .map_err(AppError::internal)?;
        Ok(known && matches)
    }
}

pub fn hash_now(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Characters of temporary passwords: no look-alikes (0/O, 1/l/I), so that one read aloud or
/// copied by hand arrives intact.
const TEMPORARY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// A temporary password: four groups of four characters from the operating system's random
/// source through the thread's CSPRNG (about 93 bits), e.g. `hK7m-3PqX-z9Ta-Rw4e`.
pub fn temporary() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| TEMPORARY_ALPHABET[rng.random_range(0..TEMPORARY_ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_and_verify() {
        let hasher = PasswordHasher::new(1);
        let hash = hasher.hash("correcta-larga-1".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correcta-larga-1".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("incorrecta-larga".into(), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies_even_with_the_dummy_password() {
        let hasher = PasswordHasher::new(1);
        assert!(
            !hasher
                .verify("confrontas-dummy-password-for-timing".into(), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn temporary_passwords_are_four_groups_without_look_alikes_and_never_repeat() {
        let first = super::temporary();
        let groups: Vec<&str> = first.split('-').collect();
        assert_eq!(groups.len(), 4, "{first}");
        assert!(groups.iter().all(|g| g.len() == 4), "{first}");
        assert!(
            first
                .chars()
                .filter(|c| *c != '-')
                .all(|c| super::TEMPORARY_ALPHABET.contains(&(c as u8))),
            "{first}"
        );
        assert!(!first.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(first, super::temporary());
    }
}
