//! How the pool opens and checks connections: with each backend's own connection, so that a
//! failure says why (connection refused, the database not accepting connections, a
//! terminated session), and with an outage logged once when it starts, again every minute
//! while it lasts and once when it ends — never once per request (`docs/architecture.md`,
//! "Several instances, two databases").

use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::r2d2::{Error as PoolError, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{AnyConnection, Backend};

/// How often an outage that goes on is logged again.
const REMINDER: Duration = Duration::from_secs(60);

pub struct Connector {
    url: String,
    backend: Backend,
    outage: Mutex<Option<Outage>>,
}

struct Outage {
    cause: String,
    since: Instant,
    logged: Instant,
}

impl Connector {
    pub fn new(url: &str) -> Connector {
        Connector {
            url: url.strip_prefix("sqlite://").unwrap_or(url).to_owned(),
            backend: Backend::of_url(url),
            outage: Mutex::new(None),
        }
    }

    fn outage(&self) -> std::sync::MutexGuard<'_, Option<Outage>> {
        self.outage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection failed with `cause`: logged when the outage starts or its cause changes,
    /// and every [`REMINDER`] while it lasts. Returns whether it was logged.
    fn failed(&self, cause: &str) -> bool {
        let mut outage = self.outage();
        let now = Instant::now();
        match outage.as_mut() {
            None => {
                tracing::error!(%cause, "the database cannot be reached; requests answer 503 until it returns");
                *outage = Some(Outage {
                    cause: cause.to_owned(),
                    since: now,
                    logged: now,
                });
                true
            }
            Some(current) if current.cause != cause || now - current.logged >= REMINDER => {
                tracing::error!(
                    %cause,
                    down_for_secs = (now - current.since).as_secs(),
                    "the database still cannot be reached"
                );
                current.cause = cause.to_owned();
                current.logged = now;
                true
            }
            Some(_) => false,
        }
    }

    fn connected(&self) {
        if let Some(outage) = self.outage().take() {
            tracing::info!(
                down_for_secs = outage.since.elapsed().as_secs(),
                "the database answers again"
            );
        }
    }
}

/// The first line of a database error: libpq's messages run on with details.
fn cause_of(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or_default().trim().to_owned()
}

impl ManageConnection for Connector {
    type Connection = AnyConnection;
    type Error = PoolError;

    fn connect(&self) -> Result<AnyConnection, PoolError> {
        let connected = match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url).map(AnyConnection::Sqlite),
            Backend::Postgres => PgConnection::establish(&self.url).map(AnyConnection::Postgresql),
        };
        match connected {
            Ok(conn) => {
                self.connected();
                Ok(conn)
            }
            Err(error) => {
                self.failed(&cause_of(&error));
                Err(PoolError::ConnectionError(error))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), PoolError> {
        conn.ping().map_err(|error| {
            self.failed(&cause_of(&error));
            PoolError::QueryError(error)
        })
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_logged_when_it_starts_changes_and_every_minute_not_per_failure() {
        let connector = Connector::new("postgres://nadie@127.0.0.1:1/confrontas");
        assert!(connector.failed("Connection refused"), "the start");
        for _ in 0..100 {
            assert!(
                !connector.failed("Connection refused"),
                "not again and again"
            );
        }
        assert!(
            connector.failed("database \"confrontas\" is not currently accepting connections"),
            "a new cause"
        );
        connector.outage().as_mut().unwrap().logged -= REMINDER;
        assert!(
            connector.failed("database \"confrontas\" is not currently accepting connections"),
            "the reminder"
        );
        connector.connected();
        assert!(connector.outage().is_none(), "over");
        assert!(
            connector.failed("Connection refused"),
            "a new outage is logged again"
        );
    }

    #[test]
    fn a_refused_connection_says_so() {
        // Port 1 on loopback: nothing listens there.
        let connector = Connector::new("postgres://nadie@127.0.0.1:1/confrontas");
        let error = connector
            .connect()
            .err()
            .expect("nothing listens on port 1");
        let cause = connector.outage().as_ref().unwrap().cause.clone();
        assert!(
            cause.to_lowercase().contains("refused"),
            "{cause} ({error})"
        );
    }
}
