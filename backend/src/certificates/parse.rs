//! Reading and checking an uploaded RENAPO certificate: PEM (a chain allowed) or
//! DER; each certificate's subject, issuer, serial, SHA-256 fingerprint, validity and names;
//! refused when it is unparsable, holds a private key (never echoed back), has expired or is
//! not valid yet, or does not name the configured RENAPO host — a self-signed leaf only when
//! the administrator allows pinning one.

use chrono::{DateTime, Utc};
use confrontas_api::CertificateDetails;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why an upload is refused; `code` is stable, `message` Spanish (and never quotes the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// A checked chain: the leaf first, with the PEM text the client will trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedChain {
    pub details: Vec<CertificateDetails>,
    /// Every certificate as PEM, the leaf first.
    pub pem: String,
}

impl CheckedChain {
    pub fn leaf(&self) -> &CertificateDetails {
        &self.details[0]
    }

    /// The earliest expiry of the chain (when it stops being usable).
    pub fn not_after(&self) -> DateTime<Utc> {
        self.details
            .iter()
            .map(|d| d.not_after)
            .min()
            .expect("a chain has a certificate")
    }
}

/// What an upload is checked against.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    /// The host of the configured RENAPO endpoint.
    pub host: &'a str,
    /// Whether a self-signed leaf may be pinned (`CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED`).
    pub allow_self_signed: bool,
    pub now: DateTime<Utc>,
}

/// Hexadecimal bytes separated by colons, upper case.
fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn timestamp(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn details_of(der: &[u8], certificate: &X509Certificate) -> CertificateDetails {
    let mut names = Vec::new();
    if let Ok(Some(san)) = certificate.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push(dns.to_string()),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => names.push(
                        std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).expect("4 bytes"))
                            .to_string(),
                    ),
                    16 => names.push(
                        std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).expect("16 bytes"))
                            .to_string(),
                    ),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let subject = certificate.subject().to_string();
    let issuer = certificate.issuer().to_string();
    CertificateDetails {
        self_signed: subject == issuer,
        subject,
        issuer,
        serial: colon_hex(certificate.raw_serial()),
        fingerprint_sha256: colon_hex(&Sha256::digest(der)),
        not_before: timestamp(certificate.validity().not_before.timestamp()),
        not_after: timestamp(certificate.validity().not_after.timestamp()),
        subject_alt_names: names,
        is_ca: certificate.is_ca(),
    }
}

fn to_pem(der: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The DER certificates of an upload: the PEM blocks, or the file itself when it is DER.
fn certificates_of(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Refusal> {
    let unparsable = || {
        refuse(
            "certificate_unparsable",
            "El archivo no es un certificado X.509 legible (PEM o DER).",
        )
    };
    let text = String::from_utf8_lossy(bytes);
    if text.contains("PRIVATE KEY") {
        return Err(refuse(
            "private_key_uploaded",
            "El archivo contiene una llave privada: no se guardó. Suba solo el certificado público de RENAPO y resguarde la llave.",
        ));
    }
    if !text.contains("-----BEGIN") {
        return Ok(vec![bytes.to_vec()]);
    }
    let mut found = Vec::new();
    for block in Pem::iter_from_buffer(bytes) {
        let block = block.map_err(|_| unparsable())?;
        if block.label != "CERTIFICATE" {
            return Err(refuse(
                "certificate_unparsable",
                format!(
                    "El archivo trae un bloque «{}»; solo se aceptan certificados (BEGIN CERTIFICATE).",
                    block.label.chars().take(40).collect::<String>()
                ),
            ));
        }
        found.push(block.contents);
    }
    if found.is_empty() {
        return Err(unparsable());
    }
    Ok(found)
}

/// The host part of an `https://host[:port]/…` URL.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    (!host.is_empty()).then_some(host)
}

/// Whether `name` (a DNS name, possibly `*.` wildcard, or an IP address) covers `host`.
fn names_host(name: &str, host: &str) -> bool {
    if name.eq_ignore_ascii_case(host) {
        return true;
    }
    match name.strip_prefix("*.") {
        Some(domain) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(domain)),
        None => false,
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%d/%m/%Y").to_string()
}

/// Reads and checks an upload.
pub fn check(bytes: &[u8], expect: &Expectations) -> Result<CheckedChain, Refusal> {
    let ders = certificates_of(bytes)?;
    let mut details = Vec::with_capacity(ders.len());
    for der in &ders {
        let (rest, certificate) = X509Certificate::from_der(der).map_err(|_| {
            refuse(
                "certificate_unparsable",
                "El archivo no es un certificado X.509 legible (PEM o DER).",
            )
        })?;
        if !rest.is_empty() {
            return Err(refuse(
                "certificate_unparsable",
                "El certificado trae datos de más después de su contenido.",
            ));
        }
        details.push(details_of(der, &certificate));
    }
    // The leaf: the first certificate that is not an authority (else the first).
    let leaf_at = details.iter().position(|d| !d.is_ca).unwrap_or(0);
    details.swap(0, leaf_at);
    let mut ders = ders;
    ders.swap(0, leaf_at);
    for certificate in &details {
        if certificate.not_after < expect.now {
            return Err(refuse(
                "certificate_expired",
                format!(
                    "El certificado «{}» venció el {}.",
                    certificate.subject,
                    day(certificate.not_after)
                ),
            ));
        }
        if certificate.not_before > expect.now {
            return Err(refuse(
                "certificate_not_yet_valid",
                format!(
                    "El certificado «{}» es válido a partir del {}; súbalo a partir de esa fecha.",
                    certificate.subject,
                    day(certificate.not_before)
                ),
            ));
        }
    }
    let leaf = &details[0];
    if leaf.is_ca {
        return Err(refuse(
            "certificate_host_mismatch",
            format!(
                "El archivo solo trae certificados de autoridad; incluya el certificado del servidor de RENAPO ({}) con su cadena.",
                expect.host
            ),
        ));
    }
    if !leaf
        .subject_alt_names
        .iter()
        .any(|name| names_host(name, expect.host))
    {
        return Err(refuse(
            "certificate_host_mismatch",
            format!(
                "El certificado no es del servidor configurado de RENAPO ({}): vale para {}.",
                expect.host,
                if leaf.subject_alt_names.is_empty() {
                    "ningún nombre".to_owned()
                } else {
                    leaf.subject_alt_names.join(", ")
                }
            ),
        ));
    }
    if leaf.self_signed && !expect.allow_self_signed {
        return Err(refuse(
            "self_signed_not_allowed",
            "El certificado es autofirmado; fijarlo como ancla de confianza requiere que la administración lo permita (CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED).",
        ));
    }
    let pem = ders.iter().map(|der| to_pem(der)).collect();
    Ok(CheckedChain { details, pem })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::pki::{self, Authority, Validity};

    fn expect(host: &str) -> Expectations<'_> {
        Expectations {
            host,
            allow_self_signed: false,
            now: Utc::now(),
        }
    }

    fn hosts() -> Vec<String> {
        pki::loopback_hosts()
    }

    #[test]
    fn a_chain_is_read_leaf_first_with_its_details() {
        let authority = Authority::generate("Autoridad de prueba").unwrap();
        let leaf = authority
            .issue(&hosts(), Validity::days_from_yesterday(90))
            .unwrap();
        // The authority first: the leaf is found anyway.
        let upload = format!("{}{}", authority.pem(), leaf.pem);
        let chain = check(upload.as_bytes(), &expect("127.0.0.1")).unwrap();
        assert_eq!(chain.details.len(), 2);
        let first = chain.leaf();
        assert!(!first.is_ca && !first.self_signed);
        assert_eq!(first.subject_alt_names, ["localhost", "127.0.0.1"]);
        assert!(first.issuer.contains("Autoridad de prueba"));
        assert_eq!(first.fingerprint_sha256.len(), 32 * 3 - 1);
        assert!(chain.details[1].is_ca);
        assert!(chain.pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(chain.pem.matches("BEGIN CERTIFICATE").count(), 2);
        // The same leaf as DER.
        let der = &leaf.chain[0];
        let alone = check(der.as_ref(), &expect("localhost")).unwrap();
        assert_eq!(alone.leaf().fingerprint_sha256, first.fingerprint_sha256);
    }

    #[test]
    fn bad_certificates_are_refused_with_a_reason() {
        let authority = Authority::generate("Autoridad de prueba").unwrap();
        let expired = authority
            .issue(
                &hosts(),
                Validity {
                    not_before: Utc::now().date_naive() - chrono::Days::new(400),
                    not_after: Utc::now().date_naive() - chrono::Days::new(2),
                },
            )
            .unwrap();
        let future = authority
            .issue(
                &hosts(),
                Validity {
                    not_before: Utc::now().date_naive() + chrono::Days::new(3),
                    not_after: Utc::now().date_naive() + chrono::Days::new(300),
                },
            )
            .unwrap();
        let other_host = authority
            .issue(
                &["consultas.renapo.gob.mx".to_owned()],
                Validity::days_from_yesterday(90),
            )
            .unwrap();
        for (bytes, code) in [
            (expired.pem.as_bytes().to_vec(), "certificate_expired"),
            (future.pem.as_bytes().to_vec(), "certificate_not_yet_valid"),
            (
                other_host.pem.as_bytes().to_vec(),
                "certificate_host_mismatch",
            ),
            (
                authority.pem().as_bytes().to_vec(),
                "certificate_host_mismatch",
            ),
            (b"no es un certificado".to_vec(), "certificate_unparsable"),
            (
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
                "certificate_unparsable",
            ),
            (Vec::new(), "certificate_unparsable"),
        ] {
            let refused = check(&bytes, &expect("127.0.0.1")).unwrap_err();
            assert_eq!(refused.code, code, "{}", refused.message);
        }
    }

    #[test]
    fn a_private_key_is_refused_without_echoing_it() {
        let key = rcgen::KeyPair::generate().unwrap();
        let pem = key.serialize_pem();
        let secret_line = pem.lines().nth(1).unwrap().to_owned();
        let authority = Authority::generate("Autoridad de prueba").unwrap();
        let leaf = authority
            .issue(&hosts(), Validity::days_from_yesterday(90))
            .unwrap();
        let upload = format!("{}{pem}", leaf.pem);
        let refused = check(upload.as_bytes(), &expect("127.0.0.1")).unwrap_err();
        assert_eq!(refused.code, "private_key_uploaded");
        assert!(!refused.message.contains(&secret_line));
        assert!(!refused.message.contains("BEGIN"));
    }

    #[test]
    fn a_self_signed_leaf_is_pinned_only_when_allowed() {
        let leaf = pki::self_signed(&hosts(), Validity::days_from_yesterday(90)).unwrap();
        let refused = check(leaf.pem.as_bytes(), &expect("127.0.0.1")).unwrap_err();
        assert_eq!(refused.code, "self_signed_not_allowed");
        let allowed = Expectations {
            allow_self_signed: true,
            ..expect("127.0.0.1")
        };
        let chain = check(leaf.pem.as_bytes(), &allowed).unwrap();
        assert!(chain.leaf().self_signed);
    }

    #[test]
    fn hosts_are_read_from_urls_and_matched_by_names() {
        assert_eq!(
            host_of("https://127.0.0.1:8443/WebServicesConsulta/services/X"),
            Some("127.0.0.1")
        );
        assert_eq!(
            host_of("https://consultas.renapo.gob.mx/ws"),
            Some("consultas.renapo.gob.mx")
        );
        assert_eq!(host_of("https://[::1]:8443/x"), Some("::1"));
        assert_eq!(host_of("http://x/"), None);
        assert!(names_host("*.renapo.gob.mx", "consultas.renapo.gob.mx"));
        assert!(!names_host("*.renapo.gob.mx", "renapo.gob.mx"));
        assert!(names_host("LOCALHOST", "localhost"));
    }
}
