//! One connection type over SQLite and PostgreSQL, the pool and its one checkout, the embedded
//! migrations, and the query pieces both backends share ([`pagination`] among them).

mod connector;
mod pagination;
pub mod settings;

pub use self::pagination::PageRequest;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to whichever backend `DATABASE_URL` names. PostgreSQL comes first because
/// `establish` tries the variants in order and SQLite accepts any string as a file name.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The backend type of [`AnyConnection`], for boxed queries.
pub type DbBackend = <AnyConnection as diesel::Connection>::Backend;

pub use connector::Connector;

pub type DbPool = r2d2::Pool<Connector>;
pub type DbConn = PooledConnection<Connector>;

/// Instantiates the same Diesel expression once per backend, for the statements the
/// `MultiConnection` enum cannot express (batch insert, upsert).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl AnyConnection {
    pub fn backend(&self) -> Backend {
        match self {
            AnyConnection::Postgresql(_) => Backend::Postgres,
            AnyConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Runs `work` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so the write lock is
    /// taken up front and concurrent writers wait on `busy_timeout` instead of failing when a
    /// deferred read transaction tries to upgrade.
    pub fn write_transaction<T, E>(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
        type Manager = <AnyConnection as Connection>::TransactionManager;
        match self {
            AnyConnection::Sqlite(conn) => {
                AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")?
            }
            AnyConnection::Postgresql(_) => Manager::begin_transaction(self)?,
        }
        // The inner connection holds the transaction state, so the enum's manager (which
        // delegates to it) commits or rolls back what was begun above.
        match work(self) {
            Ok(value) => {
                Manager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => {
                Manager::rollback_transaction(self)?;
                Err(error)
            }
        }
    }
}

/// How long a background worker's statement waits for SQLite's write lock held by another
/// connection or program: an import's batch of 50,000 rows holds it for a second or two, and
/// an engine commit that gave up would throw its answers away.
const BACKGROUND_BUSY: Duration = Duration::from_secs(10);

/// Per-connection settings of each backend.
#[derive(Debug)]
struct SessionSettings {
    /// How long a request's statement waits for SQLite's write lock: the checkout bound, so
    /// that a request answers 503 within it whatever holds the database.
    busy: Duration,
}

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Postgresql(conn) = conn {
            // Diesel keeps statements prepared, and PostgreSQL may then settle on a generic plan
            // made while a table was empty (a sequential scan) and keep it as the table grows to
            // millions of rows: an import's CURP lookups became quadratic that way. A plan per
            // execution costs a little planning time and follows the table's real size.
            conn.batch_execute("SET plan_cache_mode = force_custom_plan")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        if let AnyConnection::Sqlite(conn) = conn {
            // busy_timeout must come before journal_mode: switching to WAL needs the lock.
            // The page cache (default 2 MiB) is raised to 32 MiB: with a registry of a million
            // farmers, index pages (CURP, name) no longer fall out of it between writes, which
            // otherwise costs a read syscall per touched page. It grows only as pages are used.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA cache_size = -32768;",
                self.busy.as_millis()
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Builds the pool. SQLite parent directories are created; a checkout waits at most
/// `connect_timeout` for a connection (a wrong URL fails fast with a readable message, and
/// while the database is down requests answer 503 within that bound).
pub fn connect(url: &str, max_size: u32, connect_timeout: Duration) -> Result<DbPool, String> {
    if Backend::of_url(url) == Backend::Sqlite {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "cannot create the database directory {}: {e}",
                    parent.display()
                )
            })?;
        }
    } else {
        // Establish once directly: the pool hides libpq's message behind a generic one.
        use diesel::Connection;
        diesel::PgConnection::establish(url)
            .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    }
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(connect_timeout)
        // The connector logs outages once per state change; r2d2 would log every attempt.
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .connection_customizer(Box::new(SessionSettings {
            busy: connect_timeout,
        }))
        .build(Connector::new(url))
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Applies pending migrations of the connection's backend; returns the versions applied.
pub fn migrate(conn: &mut AnyConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| format!("migration failed: {e}"))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Whether every embedded migration of the connection's backend has been applied.
pub fn migrations_current(conn: &mut AnyConnection) -> Result<bool, String> {
    let pending = match conn {
        AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| e.to_string())?;
    Ok(!pending)
}

/// Why a statement failed for a reason outside the request: the database is held by another
/// writer, or its file cannot be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SQLite's lock stayed with another connection or program past the busy timeout.
    Locked,
    /// The disk holding the database is full.
    Full,
    /// The file cannot be read or written (an I/O error, a read-only or vanished file).
    Unreadable,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fault::Locked => "the database is locked by another connection or program",
            Fault::Full => "the disk holding the database is full",
            Fault::Unreadable => "the database file cannot be read or written",
        })
    }
}

/// When a statement's fault was last logged: logged again when it changes or a minute has
/// passed, never once per request (`docs/architecture.md`, "Several instances, two databases").
struct FaultLog(std::sync::Mutex<Option<(Fault, std::time::Instant)>>);

impl FaultLog {
    fn is_due(&self, fault: Fault, now: std::time::Instant) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|(logged, at)| {
            logged != fault || now.duration_since(at) >= Duration::from_secs(60)
        });
        if due {
            *last = Some((fault, now));
        }
        due
    }
}

/// Logs a statement's fault, as [`FaultLog`] allows.
pub fn log_fault(fault: Fault) {
    static LOGGED: FaultLog = FaultLog(std::sync::Mutex::new(None));
    if LOGGED.is_due(fault, std::time::Instant::now()) {
        tracing::warn!(%fault, "database statements fail for a reason outside the requests");
    }
}

/// The fault a database error message tells of, if any: SQLite's result texts
/// (`sqlite3_errstr`) for busy, locked, full, I/O, read-only and unopenable databases.
pub fn fault_of(message: &str) -> Option<Fault> {
    match message {
        "database is locked" | "database table is locked" => Some(Fault::Locked),
        "database or disk is full" => Some(Fault::Full),
        "disk I/O error"
        | "attempt to write a readonly database"
        | "unable to open database file" => Some(Fault::Unreadable),
        _ => None,
    }
}

/// The current UTC time, truncated to microseconds: what both backends store exactly.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// A connection from the pool. When none frees up in time (every connection busy, or the
/// database unreachable) the answer is 503 `database_unavailable`, never a 500: every checkout
/// of the server goes through here.
pub fn checkout(pool: &DbPool) -> Result<DbConn, AppError> {
    pool.get().map_err(AppError::from)
}

/// Runs blocking database work of a request on the blocking thread pool.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = checkout(&pool)?;
        work(&mut conn)
    })
    .await
    .map_err(|_| AppError::internal("database task was cancelled"))?
}

/// Runs blocking database work of a background worker: like [`run`], but on SQLite its
/// statements wait up to [`BACKGROUND_BUSY`] for another writer instead of the request bound
/// (`docs/architecture.md`, "Several instances, two databases").
pub async fn run_in_background<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = checkout_for_background(&pool)?;
        work(&mut conn)
    })
    .await
    .map_err(|_| AppError::internal("database task was cancelled"))?
}

/// A connection for a background worker: see [`run_in_background`]. The request bound comes
/// back when it returns to the pool.
pub fn checkout_for_background(pool: &DbPool) -> Result<PatientConn, AppError> {
    let mut conn = checkout(pool)?;
    if let AnyConnection::Sqlite(sqlite) = &mut *conn {
        set_busy(sqlite, BACKGROUND_BUSY)?;
    }
    Ok(PatientConn {
        conn,
        request_busy: pool.connection_timeout(),
    })
}

fn set_busy(conn: &mut diesel::SqliteConnection, busy: Duration) -> Result<(), AppError> {
    conn.batch_execute(&format!("PRAGMA busy_timeout = {}", busy.as_millis()))
        .map_err(AppError::from)
}

/// A pooled connection that waits for SQLite's write lock as long as a background worker may.
pub struct PatientConn {
    conn: DbConn,
    request_busy: Duration,
}

impl std::ops::Deref for PatientConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PatientConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Drop for PatientConn {
    fn drop(&mut self) {
        if let AnyConnection::Sqlite(sqlite) = &mut *self.conn {
            // Setting the busy timeout does no I/O; it fails only on a closed connection.
            let _ = set_busy(sqlite, self.request_busy);
        }
    }
}

diesel::define_sql_function!(
    /// SQL `lower()`, for case-insensitive search on both backends (PostgreSQL's LIKE is case-sensitive).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// Values per `IN (…)` list of bound values: far below SQLite's 32,766 bind variables.
pub const IN_CHUNK: usize = 1_000;

/// `{column} IN (the texts of a JSON array)`, with the array bound as one parameter: one
/// statement and one value however many texts are asked for (a list of bound values would cost
/// a bind each, and SQLite takes at most 32,766 per statement).
pub fn in_json_texts(
    backend: Backend,
    column: &str,
    texts: &[&str],
) -> diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    diesel::expression::UncheckedBind<
        diesel::expression::SqlLiteral<diesel::sql_types::Bool>,
        <String as diesel::expression::AsExpression<diesel::sql_types::Text>>::Expression,
    >,
> {
    let (open, close) = match backend {
        Backend::Sqlite => ("IN (SELECT value FROM json_each(", "))"),
        Backend::Postgres => ("IN (SELECT jsonb_array_elements_text(", "::jsonb))"),
    };
    let json = serde_json::to_string(texts).expect("a list of strings is JSON");
    diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("{column} {open}"))
        .bind::<diesel::sql_types::Text, _>(json)
        .sql(close)
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` escaped (use
/// `.escape('\\')`). The case is kept: compare against a column of the same case.
pub fn like_anywhere(text: &str) -> String {
    let escaped: String = text
        .trim()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// [`like_anywhere`] of the lower-cased text, for `lower(column) LIKE …` searches.
pub fn contains_pattern(text: &str) -> String {
    like_anywhere(&text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_pattern_escapes_like_wildcards() {
        assert_eq!(contains_pattern(" Ana_100% "), "%ana\\_100\\%%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
        assert_eq!(like_anywhere("NUÑEZ_"), "%NUÑEZ\\_%", "case kept");
    }

    #[test]
    fn an_exhausted_pool_answers_503_not_500() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("pool.sqlite").display().to_string();
        let pool = connect(&url, 1, Duration::from_millis(100)).unwrap();
        let held = checkout(&pool).unwrap();
        let error = checkout(&pool).err().expect("the only connection is held");
        assert_eq!(error.status.as_u16(), 503);
        assert_eq!(error.code, "database_unavailable");
        assert_eq!(error.retry_after_secs, Some(5));
        drop(held);
        assert!(checkout(&pool).is_ok(), "free again once returned");
    }

    #[test]
    fn a_request_waits_for_another_writer_as_long_as_the_checkout_bound_and_a_worker_longer() {
        use diesel::RunQueryDsl;
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("busy.sqlite").display().to_string();
        let pool = connect(&url, 2, Duration::from_millis(200)).unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut *checkout(&pool).unwrap())
            .unwrap();
        let write =
            |conn: &mut AnyConnection| diesel::sql_query("INSERT INTO t VALUES (1)").execute(conn);

        let mut other = checkout(&pool).unwrap();
        other.batch_execute("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let refused = write(&mut checkout(&pool).unwrap()).expect_err("the lock is held");
        let waited = started.elapsed();
        assert!(waited < Duration::from_millis(1_000), "{waited:?}");
        let error = AppError::from(refused);
        assert_eq!(
            (error.status.as_u16(), error.code),
            (503, "database_unavailable")
        );

        // The other writer lets go after 500 ms, well within a worker's patience.
        let releasing = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            other.batch_execute("COMMIT").unwrap();
        });
        let mut patient = checkout_for_background(&pool).unwrap();
        assert_eq!(write(&mut patient).unwrap(), 1, "the worker waited for it");
        drop(patient);
        releasing.join().unwrap();

        let mut holder = checkout(&pool).unwrap();
        holder.batch_execute("BEGIN IMMEDIATE").unwrap();
        let again = std::time::Instant::now();
        assert!(write(&mut checkout(&pool).unwrap()).is_err());
        assert!(
            again.elapsed() < Duration::from_millis(1_000),
            "back in the pool, the connection waits as a request does"
        );
        holder.batch_execute("ROLLBACK").unwrap();
    }

    #[test]
    fn a_fault_is_logged_when_it_starts_changes_and_every_minute_not_per_request() {
        let log = FaultLog(std::sync::Mutex::new(None));
        let start = std::time::Instant::now();
        assert!(log.is_due(Fault::Locked, start));
        for _ in 0..100 {
            assert!(!log.is_due(Fault::Locked, start + Duration::from_secs(1)));
        }
        assert!(
            log.is_due(Fault::Full, start + Duration::from_secs(2)),
            "a new fault"
        );
        assert!(
            log.is_due(Fault::Full, start + Duration::from_secs(62)),
            "the reminder"
        );
    }

    #[test]
    fn database_faults_are_told_apart_from_the_requests_own_errors() {
        assert_eq!(fault_of("database is locked"), Some(Fault::Locked));
        assert_eq!(fault_of("database or disk is full"), Some(Fault::Full));
        assert_eq!(fault_of("disk I/O error"), Some(Fault::Unreadable));
        assert_eq!(fault_of("UNIQUE constraint failed: users.email"), None);
    }

    #[test]
    fn backend_is_chosen_by_url_scheme() {
        assert_eq!(Backend::of_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("data/confrontas.sqlite"), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite://data/x.sqlite"), Backend::Sqlite);
    }
}
