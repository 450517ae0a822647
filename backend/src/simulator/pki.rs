//! Certificates for the simulators, generated in code when they start: an authority per
//! simulator and the server certificates it issues, or self-signed leaves (RENAPO may rotate
//! to either). No key is ever written to the repository.

use std::sync::{Arc, RwLock};

use chrono::{Datelike, NaiveDate};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The days a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: NaiveDate,
    pub not_after: NaiveDate,
}

impl Validity {
    /// From yesterday, for `days` days.
    pub fn days_from_yesterday(days: i64) -> Validity {
        let today = chrono::Utc::now().date_naive();
        Validity {
            not_before: today - chrono::TimeDelta::days(1),
            not_after: today + chrono::TimeDelta::days(days),
        }
    }
}

fn base_params(
    common_name: &str,
    hosts: &[String],
    validity: Validity,
) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(hosts.to_vec())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Simulador de Confrontas");
    let (from, to) = (validity.not_before, validity.not_after);
    params.not_before = rcgen::date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
    params.not_after = rcgen::date_time_ymd(to.year(), to.month() as u8, to.day() as u8);
    Ok(params)
}

/// A server certificate with its key.
pub struct ServerCert {
    pub pem: String,
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ServerCert {
    fn certified_key(&self) -> Result<Arc<CertifiedKey>, rustls::Error> {
        let signing = rustls::crypto::ring::sign::any_supported_type(&self.key)?;
        Ok(Arc::new(CertifiedKey::new(self.chain.clone(), signing)))
    }
}

fn leaf_params(hosts: &[String], validity: Validity) -> Result<CertificateParams, rcgen::Error> {
    let mut params = base_params(
        hosts.first().map_or("localhost", String::as_str),
        hosts,
        validity,
    )?;
    params.use_authority_key_identifier_extension = true;
    params.key_usages.push(KeyUsagePurpose::DigitalSignature);
    params
        .extended_key_usages
        .push(ExtendedKeyUsagePurpose::ServerAuth);
    Ok(params)
}

fn server_cert(cert: rcgen::Certificate, key: KeyPair) -> ServerCert {
    ServerCert {
        pem: cert.pem(),
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// A certificate authority of a simulator.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Authority {
    pub fn generate(name: &str) -> Result<Authority, rcgen::Error> {
        let mut params = base_params(name, &[], Validity::days_from_yesterday(3650))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Authority {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The authority's certificate (what a client trusts).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A server certificate for `hosts`, issued by this authority.
    pub fn issue(&self, hosts: &[String], validity: Validity) -> Result<ServerCert, rcgen::Error> {
        let key = KeyPair::generate()?;
        let cert = leaf_params(hosts, validity)?.signed_by(&key, &self.issuer)?;
        Ok(server_cert(cert, key))
    }
}

/// The names a simulator answers on (it listens on loopback).
pub fn loopback_hosts() -> Vec<String> {
    vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
}

/// A new authority named `name` and the server certificate it issues for the loopback names,
/// valid for a year.
pub fn loopback_authority(name: &str) -> Result<(Authority, ServerCert), rcgen::Error> {
    let authority = Authority::generate(name)?;
    let leaf = authority.issue(&loopback_hosts(), Validity::days_from_yesterday(365))?;
    Ok((authority, leaf))
}

/// A self-signed server certificate for `hosts` (trusted by pinning the leaf itself).
pub fn self_signed(hosts: &[String], validity: Validity) -> Result<ServerCert, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = leaf_params(hosts, validity)?.self_signed(&key)?;
    Ok(server_cert(cert, key))
}

/// The certificate a TLS server presents, replaceable while it runs (RENAPO rotating its
/// certificate without a restart).
#[derive(Debug)]
pub struct RotatingCert(RwLock<Arc<CertifiedKey>>);

impl RotatingCert {
    pub fn new(cert: &ServerCert) -> Result<RotatingCert, rustls::Error> {
        Ok(RotatingCert(RwLock::new(cert.certified_key()?)))
    }

    /// Presents `cert` from the next handshake on.
    pub fn replace(&self, cert: &ServerCert) -> Result<(), rustls::Error> {
        let key = cert.certified_key()?;
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = key;
        Ok(())
    }
}

impl ResolvesServerCert for RotatingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// A rustls server configuration presenting `cert`.
pub fn server_config(cert: Arc<RotatingCert>) -> rustls::ServerConfig {
    crate::tls::ensure_crypto_provider();
    rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(cert)
}
