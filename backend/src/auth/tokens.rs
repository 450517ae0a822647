//! Access tokens (JWT, HS256, key chosen by `kid`) and opaque random tokens.

use std::collections::HashMap;

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::JwtSettings;

/// Claims of every access token. `sid` (staff sessions) or `scope` (API clients) tell the two apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `user:{id}` or `client:{client_id}`.
    pub sub: String,
    /// Staff role; absent for API clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Administrative unit id.
    pub unit: i64,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    /// Staff session the token belongs to; revoking the session revokes the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Space-separated scopes of an API client token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// An API client token's fingerprint of the secret it was issued under: a new secret ends
    /// every token of the old one.
    #[serde(default, rename = "sfp", skip_serializing_if = "Option::is_none")]
    pub secret_fingerprint: Option<String>,
}

/// What a client token carries of the secret it was issued under: derived from the stored
/// hash, so it tells nothing about the secret itself.
pub fn secret_fingerprint(secret_hash: &str) -> String {
    sha256_hex(&format!("client-token:{secret_hash}"))[..16].to_owned()
}

/// Why a token was refused; logged, while the caller only sees a generic 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    Malformed,
    UnknownKey,
    Invalid(String),
}

/// The configured keys: one signs, all listed verify (rotation overlap).
pub struct TokenKeys {
    active_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(settings: &JwtSettings) -> TokenKeys {
        let active = settings
            .keys
            .iter()
            .find(|k| k.kid == settings.active_kid)
            .expect("active kid validated by config");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.validate_nbf = true;
        validation.validate_exp = true;
        validation.leeway = settings.leeway.as_secs();
        TokenKeys {
            active_kid: active.kid.clone(),
            encoding: EncodingKey::from_secret(&active.secret),
            decoding: settings
                .keys
                .iter()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(&k.secret)))
                .collect(),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            access_ttl_secs: settings.access_ttl.as_secs() as i64,
        }
    }

    /// Claims for a new token valid from now for the configured lifetime.
    pub fn claims(&self, sub: String, unit: i64) -> Claims {
        let now = Utc::now().timestamp();
        Claims {
            sub,
            role: None,
            unit,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl_secs,
            nbf: now,
            iat: now,
            jti: random_token(16),
            sid: None,
            scope: None,
            secret_fingerprint: None,
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss`, `aud` and presence of `sub`.
    /// The key is looked up by `kid` in the configured set only; the header names nothing else.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenRejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Malformed)?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenRejection::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| TokenRejection::Invalid(e.to_string()))
    }
}

/// `bytes` random bytes from the OS generator, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::fill(&mut buffer[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// Hex SHA-256, used to store refresh tokens and API client secrets (both high-entropy).
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JwtKey;
    use std::time::Duration;

    fn settings(keys: &[(&str, u8)], active: &str) -> JwtSettings {
        JwtSettings {
            keys: keys
                .iter()
                .map(|(kid, byte)| JwtKey {
                    kid: kid.to_string(),
                    secret: vec![*byte; 32],
                })
                .collect(),
            active_kid: active.into(),
            issuer: "confrontas".into(),
            audience: "confrontas-api".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
            leeway: Duration::from_secs(30),
            ephemeral: false,
        }
    }

    #[test]
    fn a_signed_token_verifies_and_keeps_its_claims() {
        let keys = TokenKeys::new(&settings(&[("k1", 1)], "k1"));
        let mut claims = keys.claims("user:7".into(), 3);
        claims.role = Some("mesa".into());
        let verified = keys.verify(&keys.sign(&claims)).unwrap();
        assert_eq!(verified, claims);
        assert_eq!(verified.exp - verified.iat, 900);
    }

    #[test]
    fn during_rotation_old_and_new_keys_verify_and_retired_keys_do_not() {
        let old = TokenKeys::new(&settings(&[("old", 1)], "old"));
        let old_token = old.sign(&old.claims("user:1".into(), 1));
        let overlap = TokenKeys::new(&settings(&[("new", 2), ("old", 1)], "new"));
        assert!(overlap.verify(&old_token).is_ok());
        assert!(
            overlap
                .verify(&overlap.sign(&overlap.claims("user:1".into(), 1)))
                .is_ok()
        );
        let retired = TokenKeys::new(&settings(&[("new", 2)], "new"));
        assert_eq!(retired.verify(&old_token), Err(TokenRejection::UnknownKey));
    }

    #[test]
    fn a_token_signed_with_another_key_under_a_known_kid_is_refused() {
        let ours = TokenKeys::new(&settings(&[("k1", 1)], "k1"));
        let forged = TokenKeys::new(&settings(&[("k1", 9)], "k1"));
        let token = forged.sign(&forged.claims("user:1".into(), 1));
        assert!(matches!(
            ours.verify(&token),
            Err(TokenRejection::Invalid(_))
        ));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
