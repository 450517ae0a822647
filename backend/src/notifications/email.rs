//! E-mail delivery of notifications, when an SMTP relay is configured (off by default). The
//! notifications table is the outbox: a task sends what is not yet e-mailed, one message per
//! notification to its recipient's address. Each send is claimed first (the attempt counter
//! moves only for the instance that wins), so several instances never send the same message;
//! a failure is retried on the next round, at most [`MAX_ATTEMPTS`] times.

use std::time::Duration;

use chrono::TimeDelta;
use diesel::prelude::*;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpSecurity, SmtpSettings};
use crate::db::{self, AnyConnection, DbPool};
use crate::schema::{notifications, requests, users};

/// Sends per notification before giving up.
pub const MAX_ATTEMPTS: i32 = 5;
/// Notifications older than this are never e-mailed (turning e-mail on does not flood people
/// with old news).
const FRESH_FOR: TimeDelta = TimeDelta::hours(24);
/// Messages per round.
const ROUND: i64 = 100;

fn transport(settings: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(|e| e.to_string());
    let security = match settings.security {
        SmtpSecurity::StartTls => Tls::Required(tls(&settings.host)?),
        SmtpSecurity::Tls => Tls::Wrapper(tls(&settings.host)?),
        SmtpSecurity::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .tls(security)
        .timeout(Some(Duration::from_secs(20)));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// A notification waiting to be e-mailed.
struct Outgoing {
    id: i64,
    attempts: i32,
    request_id: Option<i64>,
    message: String,
    ticket_number: Option<String>,
    to_name: String,
    to_email: String,
}

fn pending(conn: &mut AnyConnection) -> QueryResult<Vec<Outgoing>> {
    let since = db::now() - FRESH_FOR;
    let rows = notifications::table
        .inner_join(users::table)
        .left_join(requests::table)
        .filter(notifications::emailed_at.is_null())
        .filter(notifications::email_attempts.lt(MAX_ATTEMPTS))
        .filter(notifications::created_at.ge(since))
        .filter(users::active.eq(true))
        .order(notifications::id.asc())
        .limit(ROUND)
        .select((
            notifications::id,
            notifications::email_attempts,
            notifications::request_id,
            notifications::message,
            requests::ticket_number.nullable(),
            users::name,
            users::email,
        ))
        .load::<(
            i64,
            i32,
            Option<i64>,
            String,
            Option<String>,
            String,
            String,
        )>(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, attempts, request_id, message, ticket_number, to_name, to_email)| Outgoing {
                id,
                attempts,
                request_id,
                message,
                ticket_number,
                to_name,
                to_email,
            },
        )
        .collect())
}

/// Takes the send of notification `id` for this instance (its `attempts` as read): true when
/// no one else took it meanwhile.
fn claim(conn: &mut AnyConnection, id: i64, attempts: i32) -> QueryResult<bool> {
    let claimed = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::emailed_at.is_null())
            .filter(notifications::email_attempts.eq(attempts)),
    )
    .set(notifications::email_attempts.eq(attempts + 1))
    .execute(conn)?;
    Ok(claimed == 1)
}

fn compose(settings: &SmtpSettings, outgoing: &Outgoing) -> Result<Message, String> {
    let to = Mailbox::new(
        Some(outgoing.to_name.clone()),
        outgoing
            .to_email
            .parse()
            .map_err(|e| format!("recipient: {e}"))?,
    );
    let base = settings.public_url.trim_end_matches('/');
    let (what, link) = match (&outgoing.request_id, &outgoing.ticket_number) {
        (Some(id), Some(ticket)) => (
            format!("la solicitud {ticket}"),
            format!("{base}/solicitudes/{id}"),
        ),
        _ => (
            "el certificado de RENAPO".to_owned(),
            format!("{base}/certificados"),
        ),
    };
    let body = format!(
        "{}\n\nConsulte {what} en Confrontas:\n{link}\n\n--\nServicio de Integración de Información de Confrontas (DGTIC/DSSD/003).\nEste mensaje se envió automáticamente; no lo responda.\n",
        outgoing.message
    );
    Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(format!("[Confrontas] {}", outgoing.message))
        .body(body)
        .map_err(|e| e.to_string())
}

/// Records that notification `id` was e-mailed.
fn mark_sent(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::update(notifications::table.find(id))
        .set(notifications::emailed_at.eq(db::now()))
        .execute(conn)
        .map(drop)
}

/// Sends one round of pending notifications; returns how many were sent.
pub async fn deliver(pool: &DbPool, settings: &SmtpSettings) -> usize {
    let mailer = match transport(settings) {
        Ok(mailer) => mailer,
        Err(error) => {
            tracing::error!(%error, "the SMTP settings cannot be used");
            return 0;
        }
    };
    let outgoing = match db::run_in_background(pool, |conn| Ok(pending(conn)?)).await {
        Ok(outgoing) => outgoing,
        Err(error) => {
            tracing::warn!(detail = %error.detail, "cannot read the e-mail outbox");
            return 0;
        }
    };
    let mut sent = 0;
    for message in outgoing {
        let (id, attempts) = (message.id, message.attempts);
        let claimed = db::run_in_background(pool, move |conn| Ok(claim(conn, id, attempts)?)).await;
        if !matches!(claimed, Ok(true)) {
            continue;
        }
        let outcome = match compose(settings, &message) {
            Ok(email) => mailer.send(email).await.map_err(|e| e.to_string()),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(_) => {
                let marked =
                    db::run_in_background(pool, move |conn| Ok(mark_sent(conn, id)?)).await;
                if marked.is_ok() {
                    sent += 1;
                }
            }
            Err(error) => {
                tracing::warn!(notification = id, attempt = attempts + 1, %error, "notification e-mail not sent");
            }
        }
    }
    sent
}

/// Sends notification e-mails every `settings.poll` while the server runs.
pub fn spawn(pool: DbPool, settings: SmtpSettings) {
    tracing::info!(host = %settings.host, port = settings.port, "notification e-mails on");
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(settings.poll);
        loop {
            ticker.tick().await;
            let sent = deliver(&pool, &settings).await;
            if sent > 0 {
                tracing::info!(sent, "notification e-mails sent");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "localhost".into(),
            port: 25,
            security: crate::config::SmtpSecurity::None,
            credentials: None,
            from: "Confrontas <confrontas@agricultura.gob.mx>"
                .parse()
                .unwrap(),
            public_url: "https://confrontas.example/".into(),
            poll: std::time::Duration::from_secs(15),
        }
    }

    fn outgoing(request: Option<(i64, &str)>) -> Outgoing {
        Outgoing {
            id: 1,
            attempts: 0,
            request_id: request.map(|(id, _)| id),
            message: "Aviso".into(),
            ticket_number: request.map(|(_, ticket)| ticket.to_owned()),
            to_name: "Daniela Flores".into(),
            to_email: "daniela@agricultura.gob.mx".into(),
        }
    }

    #[test]
    fn a_message_links_to_its_request_or_to_the_certificates() {
        let text =
            |o: &Outgoing| String::from_utf8(compose(&settings(), o).unwrap().formatted()).unwrap();
        let about_request = text(&outgoing(Some((7, "MS-2026-000007"))));
        assert!(about_request.contains("https://confrontas.example/solicitudes/7"));
        assert!(about_request.contains("MS-2026-000007"));
        let about_certificate = text(&outgoing(None));
        assert!(about_certificate.contains("https://confrontas.example/certificados"));
    }
}
