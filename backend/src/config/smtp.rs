//! `CONFRONTAS_SMTP_*` and `CONFRONTAS_PUBLIC_URL`: the relay that delivers notification
//! e-mails. Without a host no e-mail is sent.

use std::net::SocketAddr;
use std::time::Duration;

use super::vars::{ConfigError, Vars, invalid};

/// How the SMTP relay is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

/// The SMTP relay that delivers notification e-mails, and the sender.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User and password, when the relay asks for them.
    pub credentials: Option<(String, String)>,
    pub from: lettre::message::Mailbox,
    /// The address people open Confrontas at, for links in the messages.
    pub public_url: String,
    /// Time between rounds of sending.
    pub poll: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// The relay, or `None` when `CONFRONTAS_SMTP_HOST` is unset. Links default to the bound address.
pub(super) fn settings(vars: &Vars, bind: SocketAddr) -> Result<Option<SmtpSettings>, ConfigError> {
    let Some(host) = vars.text("CONFRONTAS_SMTP_HOST") else {
        return Ok(None);
    };
    let security = vars.choice(
        "CONFRONTAS_SMTP_SECURITY",
        SmtpSecurity::StartTls,
        &[
            ("starttls", SmtpSecurity::StartTls),
            ("tls", SmtpSecurity::Tls),
            ("none", SmtpSecurity::None),
        ],
    )?;
    let default_port = match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    };
    let port = vars.number("CONFRONTAS_SMTP_PORT", default_port, 1..=65_535)? as u16;
    let credentials = vars.pair("CONFRONTAS_SMTP_USERNAME", "CONFRONTAS_SMTP_PASSWORD")?;
    let from = vars.text("CONFRONTAS_SMTP_FROM").ok_or_else(|| {
        invalid(
            "CONFRONTAS_SMTP_FROM",
            "required when CONFRONTAS_SMTP_HOST is set",
        )
    })?;
    let from = from.parse().map_err(|_| {
        invalid(
            "CONFRONTAS_SMTP_FROM",
            format!("not a mailbox (\"Name <user@host>\" or user@host): {from:?}"),
        )
    })?;
    Ok(Some(SmtpSettings {
        host,
        port,
        security,
        credentials,
        from,
        public_url: vars.text_or("CONFRONTAS_PUBLIC_URL", &format!("http://{bind}")),
        poll: vars.seconds("CONFRONTAS_SMTP_POLL_SECS", 15, 1..=3_600)?,
    }))
}
