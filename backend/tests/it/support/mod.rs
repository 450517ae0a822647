//! The harness: the real server on a free port, over a fresh SQLite file or a fresh
//! PostgreSQL database (from `CONFRONTAS_TEST_PG_URL`) per test; an API client with typed
//! calls ([`Api::get_ok`]) and typed expectations of answers ([`Expect`]); and
//! [`on_both_backends!`], which runs a scenario on each database.

pub mod procedure;
pub mod process;
pub mod sheets;

use confrontas_api::paths;
use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use confrontas_api::{Problem, Role, SessionTokens, StartQuery};
use confrontas_server::boot::{self, Worker};
use confrontas_server::config::Config;
use confrontas_server::state::AppState;
use confrontas_server::{seed, server};
use diesel::{Connection, RunQueryDsl};
use serde::de::DeserializeOwned;

pub const DEMO_PASSWORD: &str = "contraseña-de-prueba-1";
pub const TEST_KID: &str = "test-2026";
pub const TEST_SECRET: [u8; 32] = [42; 32];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A fresh PostgreSQL database, dropped with the test.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

pub fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        confrontas_server::auth::tokens::random_token(6)
            .to_lowercase()
            .replace(['-', '_'], "x")
    )
}

/// The URL of a new empty PostgreSQL database, or `None` when PostgreSQL tests are not configured.
/// In CI (`CI=true`) a missing `CONFRONTAS_TEST_PG_URL` is an error, never a silent skip.
fn postgres_database() -> Option<(String, PgDatabase)> {
    let Ok(admin_url) = std::env::var("CONFRONTAS_TEST_PG_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set CONFRONTAS_TEST_PG_URL: PostgreSQL tests may not be skipped there"
        );
        eprintln!("CONFRONTAS_TEST_PG_URL is not set: skipping the PostgreSQL variant");
        return None;
    };
    let name = unique_name("confrontas_test");
    let mut conn =
        diesel::PgConnection::establish(&admin_url).expect("CONFRONTAS_TEST_PG_URL reachable");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("URL with a database path");
    let url = format!("{base}/{name}");
    Some((url, PgDatabase { admin_url, name }))
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(unique_name("confrontas"));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database for a test: its URL and whatever must live as long as it.
pub struct TestDatabase {
    pub url: String,
    pub db: Db,
    _dir: TempDir,
    _pg: Option<PgDatabase>,
}

impl TestDatabase {
    /// A directory that lives as long as the database, for the server's files.
    pub fn dir(&self) -> &std::path::Path {
        &self._dir.0
    }
}

pub fn test_database(db: Db) -> Option<TestDatabase> {
    let dir = TempDir::new();
    match db {
        Db::Sqlite => Some(TestDatabase {
            url: dir.0.join("confrontas.sqlite").display().to_string(),
            db,
            _dir: dir,
            _pg: None,
        }),
        Db::Postgres => {
            let (url, pg) = postgres_database()?;
            Some(TestDatabase {
                url,
                db,
                _dir: dir,
                _pg: Some(pg),
            })
        }
    }
}

pub fn test_vars(database_url: &str) -> HashMap<String, String> {
    let secret = base64::engine::general_purpose::STANDARD.encode(TEST_SECRET);
    [
        ("CONFRONTAS_BIND", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("CONFRONTAS_JWT_KEYS", format!("{TEST_KID}:{secret}")),
        ("CONFRONTAS_DEMO_PASSWORD", DEMO_PASSWORD.to_owned()),
        (
            "CONFRONTAS_WEB_DIR",
            std::env::temp_dir()
                .join("confrontas-no-web")
                .display()
                .to_string(),
        ),
        ("CONFRONTAS_DB_POOL_SIZE", "4".to_owned()),
        ("CONFRONTAS_DEMO_FARMERS", "300".to_owned()),
        // Tests count their own requests from the first ticket on.
        ("CONFRONTAS_DEMO_REQUESTS", "false".to_owned()),
        // RENAPO is the built-in simulator, at full speed; faults recover quickly.
        ("CONFRONTAS_RENAPO_URL", "simulator".to_owned()),
        ("CONFRONTAS_RENAPO_RATE_PER_SECOND", "0".to_owned()),
        ("CONFRONTAS_RENAPO_BACKOFF_BASE_MS", "20".to_owned()),
        ("CONFRONTAS_RENAPO_BACKOFF_MAX_MS", "200".to_owned()),
        ("CONFRONTAS_RENAPO_BREAKER_COOLDOWN_MS", "300".to_owned()),
        ("CONFRONTAS_RENAPO_READ_TIMEOUT_MS", "3000".to_owned()),
        // Certificate news (a deploy on another instance, a refused handshake) within a second.
        ("CONFRONTAS_TRUST_SYNC_MS", "1000".to_owned()),
        // So is the SAT's online provider.
        ("CONFRONTAS_SAT_URL", "simulator".to_owned()),
        ("CONFRONTAS_SAT_RATE_PER_SECOND", "0".to_owned()),
        ("CONFRONTAS_SAT_READ_TIMEOUT_MS", "3000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The process's TLS provider, for reqwest clients built outside the server's state.
pub fn ensure_tls() {
    confrontas_server::tls::ensure_crypto_provider();
}

/// A Confrontas server's API, as a client reaches it.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// A running server with the demo data set.
pub struct TestApp {
    pub api: Api,
    pub state: AppState,
    pub db: Db,
    handle: actix_web::dev::ServerHandle,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn start(db: Db) -> Option<TestApp> {
        TestApp::start_with(db, |_| {}).await
    }

    /// Starts with the test settings, changed by `tweak` (variable name → value).
    pub async fn start_with(
        db: Db,
        tweak: impl FnOnce(&mut HashMap<String, String>),
    ) -> Option<TestApp> {
        let database = test_database(db)?;
        let mut vars = test_vars(&database.url);
        vars.insert(
            "CONFRONTAS_DATA_DIR".to_owned(),
            database._dir.0.join("data").display().to_string(),
        );
        tweak(&mut vars);
        let config = Config::from_lookup(|name| vars.get(name).cloned())
            .expect("test configuration is valid");
        let state = boot::open(config)
            .await
            .expect("database opens and migrates");
        seed::demo(&state).await.expect("demo data seeds");
        seed::bootstrap_admin(&state)
            .await
            .expect("bootstrap admin");
        // Not the housekeeping nor the e-mail workers: the tests that need them run them.
        boot::start(&state, &[Worker::CertificateSync, Worker::Engine])
            .await
            .expect("the RENAPO certificate is trusted and the engine starts");
        let (server, address) = server::start(state.clone()).expect("server binds a free port");
        let handle = server.handle();
        tokio::spawn(server);
        Some(TestApp {
            api: Api::at(&format!("http://{address}")),
            state,
            db,
            handle,
            _database: database,
        })
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl std::ops::Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Api {
    pub fn at(base: &str) -> Api {
        crate::support::ensure_tls();
        Api {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login_as(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url(&paths::auth::login()))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Logs in a demo user and returns its tokens (panics on failure).
    pub async fn login(&self, role: Role) -> SessionTokens {
        let response = self.login_as(&seed::demo_email(role), DEMO_PASSWORD).await;
        response.expect_json(200).await
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `GET path`, which must answer 200 with a `T`.
    pub async fn get_ok<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.get(path, token).await.expect_json(200).await
    }

    /// `method path` with a JSON body, which must succeed with a `T`.
    pub async fn send_ok<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> T {
        self.send_json(method, path, token, body)
            .await
            .expect_ok()
            .await
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Sends `bytes` as the `file` field of a multipart form.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap()
    }

    /// Creates an API client of unit 1 with `scopes` (as the admin `admin`) and returns an
    /// access token of it.
    pub async fn client_token(&self, admin: &str, scopes: &[&str]) -> String {
        let created: serde_json::Value = self
            .send_ok(
                reqwest::Method::POST,
                &paths::api_clients::create(),
                admin,
                serde_json::json!({ "name": unique_name("Socio"), "unit_id": 1, "scopes": scopes }),
            )
            .await;
        let token: confrontas_api::ClientToken = self
            .http
            .post(self.url(&paths::auth::token()))
            .json(&serde_json::json!({
                "grant_type": "client_credentials",
                "client_id": created["client"]["client_id"],
                "client_secret": created["client_secret"],
            }))
            .send()
            .await
            .unwrap()
            .expect_ok()
            .await;
        token.access_token
    }

    /// Starts a confrontation of request `request_id` (as `token`, the sub-directorate).
    pub async fn start_confrontation(
        &self,
        token: &str,
        request_id: i64,
    ) -> confrontas_api::Confrontation {
        self.start_confrontation_with(token, request_id, StartQuery::default())
            .await
    }

    /// Starts a confrontation as `query` asks (`provider=online`).
    pub async fn start_confrontation_with(
        &self,
        token: &str,
        request_id: i64,
        query: StartQuery,
    ) -> confrontas_api::Confrontation {
        let path = paths::requests::start_confrontation(request_id, &query);
        let response = self
            .send_json(reqwest::Method::POST, &path, token, serde_json::json!({}))
            .await;
        response.expect_json(201).await
    }

    /// Polls confrontation `id` until `done` holds (at most a minute).
    pub async fn confrontation_until(
        &self,
        token: &str,
        id: i64,
        done: impl Fn(&confrontas_api::Confrontation) -> bool,
    ) -> confrontas_api::Confrontation {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let response = self.get(&paths::confrontations::one(id), token).await;
            let job: confrontas_api::Confrontation = response.expect_json(200).await;
            if done(&job) {
                return job;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "confrontation {id} stuck: {job:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Runs a confrontation of the request to its end.
    pub async fn confront(&self, token: &str, request_id: i64) -> confrontas_api::Confrontation {
        self.confront_with(token, request_id, StartQuery::default())
            .await
    }

    /// Runs a confrontation started with `query` (`?provider=online`) to its end.
    pub async fn confront_with(
        &self,
        token: &str,
        request_id: i64,
        query: StartQuery,
    ) -> confrontas_api::Confrontation {
        let job = self
            .start_confrontation_with(token, request_id, query)
            .await;
        self.confrontation_until(token, job.id, |j| {
            j.state == confrontas_api::ConfrontationState::Finished
        })
        .await
    }
}

/// The bytes of a workbook download, after checking it is one: 200, the `.xlsx` content type, and
/// an attachment whose file name contains `file_name`.
pub async fn workbook(response: reqwest::Response, file_name: &str) -> Vec<u8> {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(file_name),
        "{disposition}"
    );
    response.bytes().await.unwrap().to_vec()
}

/// Reads a problem+json answer, checking its shape (whatever its status).
pub async fn problem(response: reqwest::Response) -> Problem {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        content_type.as_deref(),
        Some("application/problem+json"),
        "status {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// What a test expects of an answer. On a mismatch the test fails with the status and the body
/// the server sent, not with a deserialization error.
pub trait Expect {
    /// A success (2xx) whose JSON body is a `T`.
    async fn expect_ok<T: DeserializeOwned>(self) -> T;
    /// Exactly `status`, with a JSON body that is a `T`.
    async fn expect_json<T: DeserializeOwned>(self, status: u16) -> T;
    /// A problem document with `status` and the machine `code`.
    async fn expect_problem(self, status: u16, code: &str) -> Problem;
}

impl Expect for reqwest::Response {
    async fn expect_ok<T: DeserializeOwned>(self) -> T {
        let status = self.status();
        let body = self.text().await.unwrap();
        assert!(
            status.is_success(),
            "expected a success, got {status}: {body}"
        );
        parse(status, &body)
    }

    async fn expect_json<T: DeserializeOwned>(self, expected: u16) -> T {
        let (status, url) = (self.status(), self.url().path().to_owned());
        let body = self.text().await.unwrap();
        assert_eq!(status.as_u16(), expected, "{url}: {body}");
        parse(status, &body)
    }

    async fn expect_problem(self, expected: u16, code: &str) -> Problem {
        let (status, url) = (self.status(), self.url().path().to_owned());
        let problem = problem(self).await;
        assert_eq!(
            (status.as_u16(), problem.code.as_str()),
            (expected, code),
            "{url}: {}",
            problem.detail
        );
        problem
    }
}

fn parse<T: DeserializeOwned>(status: reqwest::StatusCode, body: &str) -> T {
    serde_json::from_str(body).unwrap_or_else(|error| {
        panic!(
            "{status}: the body is not a {}: {error}\n{body}",
            std::any::type_name::<T>()
        )
    })
}

/// Declares each listed `async fn name(app: TestApp)` as two tests, `sqlite::name` and
/// `postgres::name`, each on its own fresh database and server.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::support::TestApp::start($crate::support::Db::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::support::TestApp::start($crate::support::Db::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// A SAT confrontation by the online provider.
pub fn online() -> StartQuery {
    StartQuery {
        provider: Some(confrontas_api::SatProvider::Online),
    }
}
