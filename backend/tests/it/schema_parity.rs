//! Both migration sets must yield the same tables, columns and nullability.

use std::collections::BTreeMap;

use crate::support::{Db, TestApp, test_database};
use confrontas_server::db::{self, AnyConnection};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    nullable: i64,
}

/// Table → column → (type family, nullable).
type Schema = BTreeMap<String, BTreeMap<String, (String, bool)>>;

fn family(declared: &str) -> String {
    let declared = declared.to_ascii_lowercase();
    let family = match declared.as_str() {
        "integer" | "bigint" | "smallint" => "integer",
        "text" | "character varying" => "text",
        "boolean" => "boolean",
        t if t.starts_with("timestamp") => "timestamp",
        other => other,
    };
    family.to_owned()
}

fn schema_of(url: &str) -> Schema {
    let pool = db::connect(url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate(&mut conn).unwrap();
    let columns: Vec<Column> = match &mut *conn {
        AnyConnection::Sqlite(_) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                    CASE WHEN p.\"notnull\" = 1 OR p.pk = 1 THEN 0 ELSE 1 END AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
        )
        .load(&mut *conn)
        .unwrap(),
        AnyConnection::Postgresql(_) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
                    CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END::bigint AS nullable \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
        )
        .load(&mut *conn)
        .unwrap(),
    };
    let mut schema = Schema::new();
    for column in columns {
        schema.entry(column.table_name).or_default().insert(
            column.column_name,
            (family(&column.data_type), column.nullable == 1),
        );
    }
    schema
}

#[test]
fn sqlite_and_postgres_migrations_yield_the_same_schema() {
    let sqlite = test_database(Db::Sqlite).unwrap();
    let Some(postgres) = test_database(Db::Postgres) else {
        return;
    };
    let (sqlite_schema, postgres_schema) = (schema_of(&sqlite.url), schema_of(&postgres.url));
    assert!(
        sqlite_schema.contains_key("users") && sqlite_schema.len() >= 7,
        "{:?}",
        sqlite_schema.keys()
    );
    for (table, columns) in &sqlite_schema {
        assert_eq!(
            Some(columns),
            postgres_schema.get(table),
            "table {table} differs between SQLite and PostgreSQL"
        );
    }
    assert_eq!(
        sqlite_schema.keys().collect::<Vec<_>>(),
        postgres_schema.keys().collect::<Vec<_>>(),
        "the same tables exist on both backends"
    );
}

#[test]
fn migrations_are_idempotent_and_ready_reports_them_current() {
    let sqlite = test_database(Db::Sqlite).unwrap();
    let pool = db::connect(&sqlite.url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    assert!(!db::migrations_current(&mut conn).unwrap());
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(db::migrate(&mut conn).unwrap().len(), embedded);
    assert!(db::migrate(&mut conn).unwrap().is_empty());
    assert!(db::migrations_current(&mut conn).unwrap());
}

on_both_backends!(the_newest_migration_upgrades_a_database_with_data_and_keeps_every_row);

fn row_counts(conn: &mut AnyConnection) -> BTreeMap<String, i64> {
    confrontas_server::ops::backup::row_counts(conn).unwrap()
}

/// The demo's database (registry, users, units, audit, …) is taken back to the migrations
/// before the newest one, then upgraded again, as an existing deployment is on its next start:
/// every row of every table that existed is still there.
async fn the_newest_migration_upgrades_a_database_with_data_and_keeps_every_row(app: TestApp) {
    use diesel_migrations::MigrationHarness;
    let mut conn = app.state.pool.get().unwrap();
    let current = row_counts(&mut conn);
    match &mut *conn {
        AnyConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS).map(drop),
        AnyConnection::Postgresql(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS).map(drop),
    }
    .unwrap();
    let before = row_counts(&mut conn);
    assert!(before["farmers"] >= 300 && before["users"] >= 4 && before["audit_log"] > 0);
    let applied = db::migrate(&mut conn).unwrap();
    assert_eq!(applied.len(), 1);
    let after = row_counts(&mut conn);
    for (table, rows) in &before {
        assert_eq!(
            after.get(table),
            Some(rows),
            "rows of {table} after the upgrade"
        );
    }
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        current.keys().collect::<Vec<_>>()
    );
}
