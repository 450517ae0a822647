//! `backup DIR` while the server works, and `restore DIR` into a fresh database and data
//! directory: a server started on the restored data finds every request, every document (byte
//! for byte) and every history row the backup holds. A non-empty target, a damaged copy and an
//! unfinished one are refused before anything is written.

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::support::procedure::{Tokens, in_attention, layout, request_form, send_form};
use crate::support::process::spawn_server;
use crate::support::{Api, Db, TestDatabase, test_database};
use confrontas_api::{Page, RequestDetail, RequestFilter, RequestSummary, paths};
use confrontas_server::ops::backup::read_manifest;
use sha2::{Digest, Sha256};

fn command(verb: &str, dir: &std::path::Path, database: &TestDatabase, data: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confrontas-server"))
        .args([verb, &dir.display().to_string()])
        .env("DATABASE_URL", &database.url)
        .env("CONFRONTAS_DATA_DIR", database.dir().join(data))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn refused(output: &Output, why: &str) {
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused: {said}");
    assert!(said.contains(why), "{why} in: {said}");
}

/// Every request of the server, with its detail (documents).
async fn all_requests(api: &Api, token: &str) -> Vec<RequestDetail> {
    let mut details = Vec::new();
    for page in 1.. {
        let filter = RequestFilter {
            page: Some(page),
            per_page: Some(200),
            ..Default::default()
        };
        let listed: Page<RequestSummary> = api.get_ok(&paths::requests::list(&filter), token).await;
        for summary in &listed.items {
            details.push(api.get_ok(&paths::requests::one(summary.id), token).await);
        }
        if u64::from(page) >= listed.total.div_ceil(200) {
            return details;
        }
    }
    unreachable!()
}

async fn a_backup_under_load_restores_every_request_document_and_history_row(db: Db) {
    let Some(source) = test_database(db) else {
        return;
    };
    let (mut server, api) = spawn_server(&source, "source", &[]);
    let tokens = Tokens::of(&api).await;
    let request = in_attention(&api, &tokens, layout(&(0..40).collect::<Vec<_>>())).await;
    let job = api.confront(&tokens.sub, request.summary.id).await;
    let applied = api
        .send_json(
            reqwest::Method::POST,
            &paths::confrontations::apply(job.id),
            &tokens.sub,
            serde_json::json!({ "version": job.version }),
        )
        .await;
    assert_eq!(applied.status(), 200);

    // Areas keep submitting requests, each with its own layout, while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let submitted = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn({
        let (stop, submitted) = (stop.clone(), submitted.clone());
        let (api, area) = (Api::at(&api.base), tokens.area.clone());
        async move {
            for i in 100.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let form = request_form("renapo", Some(layout(&[i, i + 1])));
                let response = send_form(&api, &paths::requests::submit(), &area, form).await;
                let status = response.status();
                assert_eq!(status, 201, "{}", response.text().await.unwrap_or_default());
                submitted.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    while submitted.load(Ordering::Relaxed) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let backup_dir = source.dir().join("backup");
    let backup = tokio::task::spawn_blocking({
        let (dir, source_url) = (backup_dir.clone(), source.url.clone());
        let data = source.dir().join("source");
        move || {
            Command::new(env!("CARGO_BIN_EXE_confrontas-server"))
                .args(["backup", &dir.display().to_string()])
                .env("DATABASE_URL", source_url)
                .env("CONFRONTAS_DATA_DIR", data)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    // One more submission after the backup shows it did not stop the server's work; on a
    // loaded machine a submission can take seconds, so wait for it rather than a fixed time.
    let during = submitted.load(Ordering::Relaxed);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while submitted.load(Ordering::Relaxed) <= during && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(
        submitted.load(Ordering::Relaxed) > during,
        "the load went on after the backup"
    );
    let manifest = read_manifest(&backup_dir).unwrap();
    let rows = manifest.rows.clone().expect("rows counted");

    let target = test_database(db).unwrap();
    let restored = command("restore", &backup_dir, &target, "restored");
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let (mut server, api) = spawn_server(&target, "restored", &[]);
    let tokens = Tokens::of(&api).await;
    let requests = all_requests(&api, &tokens.admin).await;
    assert_eq!(requests.len() as i64, rows["requests"], "every request");
    // The confronted request and the load's submissions before the backup began; those made
    // while it ran may or may not be in it (its snapshot is consistent either way).
    assert!(
        requests.len() >= 4,
        "the backup holds every request submitted before it began"
    );
    let mut documents = 0;
    for request in &requests {
        for document in &request.attachments {
            let response = api
                .get(&paths::requests::attachment(document.id), &tokens.admin)
                .await;
            assert_eq!(response.status(), 200);
            let bytes = response.bytes().await.unwrap();
            assert_eq!(
                hex(&Sha256::digest(&bytes)),
                document.sha256,
                "{document:?}"
            );
            documents += 1;
        }
    }
    assert_eq!(
        documents, rows["attachments"],
        "every document, byte for byte"
    );
    let history = rows["farmer_history"];
    assert!(history > 0, "the confrontation was applied");
    server.kill().unwrap();
    server.wait().unwrap();

    // The restore checked the restored database's rows against the manifest; a second one
    // into the same (now non-empty) target is refused.
    refused(
        &command("restore", &backup_dir, &target, "restored"),
        "no está vacío",
    );
    let fresh = test_database(db).unwrap();
    let damaged = source.dir().join("damaged");
    copy_dir(&backup_dir, &damaged);
    let (name, _) = manifest
        .files
        .iter()
        .find(|(name, _)| name.starts_with("attachments/"))
        .unwrap();
    let mut bytes = std::fs::read(damaged.join(name)).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(damaged.join(name), bytes).unwrap();
    refused(&command("restore", &damaged, &fresh, "data"), "dañada");
    std::fs::remove_file(damaged.join("manifest.json")).unwrap();
    refused(
        &command("restore", &damaged, &fresh, "data"),
        "no es una copia terminada",
    );
    assert!(
        !fresh.dir().join("data").join("attachments").exists(),
        "nothing was written"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_everything_on_sqlite() {
    a_backup_under_load_restores_every_request_document_and_history_row(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_everything_on_postgres() {
    a_backup_under_load_restores_every_request_document_and_history_row(Db::Postgres).await;
}
