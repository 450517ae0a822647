//! Notification e-mails through a real SMTP conversation with a minimal server started by the
//! test: sent once to the person told, with a link to the request; retried after a failure;
//! never sent when no relay is configured.

use crate::support::Expect;
use confrontas_api::paths;
use std::sync::{Arc, Mutex};

use crate::support::{Db, TestApp};
use confrontas_api::Role;
use confrontas_server::notifications::email;
use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Messages a fake SMTP server accepted: (recipients, data).
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// An SMTP server that accepts every message on a free port, keeping what it receives.
async fn smtp_server() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 prueba ESMTP\r\n").await.unwrap();
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO")
                    {
                        b"250-prueba\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("RCPT TO:") {
                        recipients.push(line[8..].trim().to_owned());
                        b"250 OK\r\n"
                    } else if command.starts_with("DATA") {
                        write.write_all(b"354 Adelante\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push('\n');
                        }
                        kept.lock()
                            .unwrap()
                            .push((std::mem::take(&mut recipients), data));
                        b"250 Recibido\r\n"
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 Adios\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, inbox)
}

async fn start(db: Db, smtp_port: Option<u16>) -> Option<TestApp> {
    TestApp::start_with(db, |vars| {
        if let Some(port) = smtp_port {
            for (name, value) in [
                ("CONFRONTAS_SMTP_HOST", "127.0.0.1".to_owned()),
                ("CONFRONTAS_SMTP_PORT", port.to_string()),
                ("CONFRONTAS_SMTP_SECURITY", "none".to_owned()),
                (
                    "CONFRONTAS_SMTP_FROM",
                    "Confrontas <confrontas@agricultura.gob.mx>".to_owned(),
                ),
                (
                    "CONFRONTAS_PUBLIC_URL",
                    "https://confrontas.agricultura.gob.mx".to_owned(),
                ),
            ] {
                vars.insert(name.to_owned(), value);
            }
        }
    })
    .await
}

/// The area submits a certificate request (the desk is told).
async fn submit(app: &TestApp) -> String {
    let token = app.login(Role::Area).await.access_token;
    let form = Form::new()
        .text("request_type", "certificate")
        .text("subject", "Certificado de RENAPO")
        .text("signer_name", "Ana Pérez")
        .text("signer_position", "Directora General")
        .part(
            "oficio",
            Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("oficio.pdf"),
        );
    let response = app
        .http
        .post(app.url(&paths::requests::submit()))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let created: confrontas_api::RequestDetail = response.expect_json(201).await;
    created.summary.ticket_number
}

fn emailed(app: &TestApp) -> Vec<(Option<chrono::NaiveDateTime>, i32)> {
    use confrontas_server::schema::notifications;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    notifications::table
        .order(notifications::id)
        .select((notifications::emailed_at, notifications::email_attempts))
        .load(&mut *conn)
        .unwrap()
}

async fn each_notification_is_emailed_once_to_its_recipient(db: Db) {
    let (port, inbox) = smtp_server().await;
    let Some(app) = start(db, Some(port)).await else {
        return;
    };
    let settings = app.state.config.smtp.clone().expect("SMTP configured");
    let ticket = submit(&app).await;
    assert_eq!(email::deliver(&app.state.pool, &settings).await, 1);
    assert_eq!(
        email::deliver(&app.state.pool, &settings).await,
        0,
        "sent once"
    );
    let messages = inbox.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let (recipients, data) = &messages[0];
    assert_eq!(recipients, &["<mesa@demo.confrontas.mx>"]);
    assert!(
        data.contains("From: Confrontas <confrontas@agricultura.gob.mx>"),
        "{data}"
    );
    assert!(
        data.contains(&format!("Subject: [Confrontas] {ticket}")),
        "{data}"
    );
    assert!(data.contains("mesa@demo.confrontas.mx"), "{data}");
    assert!(
        data.contains("https://confrontas.agricultura.gob.mx/solicitudes/1"),
        "{data}"
    );
    let state = emailed(&app);
    assert_eq!(state.len(), 1);
    assert!(state[0].0.is_some());
    assert_eq!(state[0].1, 1);
}

async fn a_failed_send_is_retried_and_no_relay_sends_nothing(db: Db) {
    // A relay that is not listening: the attempt is counted, the message stays pending.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let Some(app) = start(db, Some(dead_port)).await else {
        return;
    };
    let mut settings = app.state.config.smtp.clone().unwrap();
    submit(&app).await;
    assert_eq!(email::deliver(&app.state.pool, &settings).await, 0);
    assert_eq!(emailed(&app), [(None, 1)]);
    // The relay comes back: the next round sends it.
    let (port, inbox) = smtp_server().await;
    settings.port = port;
    assert_eq!(email::deliver(&app.state.pool, &settings).await, 1);
    assert_eq!(inbox.lock().unwrap().len(), 1);
    assert_eq!(emailed(&app)[0].1, 2);
    app.stop().await;

    // Without SMTP settings nothing is configured to send.
    let Some(quiet) = start(db, None).await else {
        return;
    };
    assert!(quiet.state.config.smtp.is_none());
    submit(&quiet).await;
    assert_eq!(emailed(&quiet), [(None, 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_each_notification_is_emailed_once_to_its_recipient() {
    each_notification_is_emailed_once_to_its_recipient(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_each_notification_is_emailed_once_to_its_recipient() {
    each_notification_is_emailed_once_to_its_recipient(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_failed_send_is_retried_and_no_relay_sends_nothing() {
    a_failed_send_is_retried_and_no_relay_sends_nothing(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_failed_send_is_retried_and_no_relay_sends_nothing() {
    a_failed_send_is_retried_and_no_relay_sends_nothing(Db::Postgres).await;
}
