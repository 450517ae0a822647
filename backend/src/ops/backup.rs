//! `confrontas-server backup DIR` and `restore DIR` (README, "Backup and restore"): the
//! database and the attachment store, with a manifest of every file's SHA-256 written last.
//!
//! The backup is consistent while the server runs: SQLite's `VACUUM INTO` (PostgreSQL's
//! `pg_dump`) copies one snapshot of the database, and the attachment files are copied after
//! it. Files are named by their content and never rewritten, so every file the snapshot names
//! already exists; the backup checks that it holds each of them. A restore checks the manifest
//! before it writes anything and refuses a non-empty target.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db::{self, AnyConnection, Backend};

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "confrontas.sqlite";
const POSTGRES_FILE: &str = "confrontas.pgdump";
const ATTACHMENTS: &str = "attachments";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `sqlite` or `postgres`: a backup restores into the same backend.
    pub backend: String,
    /// The last migration the database had.
    pub schema_version: String,
    /// Every file of the backup (database and attachments) by its path inside it.
    pub files: BTreeMap<String, FileEntry>,
    /// Rows of each table in the backed-up database, checked again after a restore.
    pub rows: Option<BTreeMap<String, i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub bytes: u64,
    pub sha256: String,
}

/// Backs the configured database and attachment store up into `dir` (absent or empty).
pub fn backup(config: &Config, dir: &Path) -> Result<Manifest, String> {
    if dir.exists() && !is_empty_dir(dir)? {
        return Err(format!(
            "el directorio {} no está vacío; la copia se escribe en uno nuevo",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("no se pudo crear {}: {e}", dir.display()))?;
    let pool = db::connect(&config.database_url, 1, std::time::Duration::from_secs(10))?;
    let mut conn = db::checkout(&pool).map_err(|e| e.to_string())?;
    let backend = conn.backend();
    let schema_version = schema_version(&mut conn)?;
    let (database_file, referenced, rows) = match backend {
        Backend::Sqlite => {
            let target = dir.join(SQLITE_FILE);
            diesel::sql_query("VACUUM INTO ?")
                .bind::<Text, _>(target.display().to_string())
                .execute(&mut conn)
                .map_err(|e| format!("no se pudo copiar la base de datos: {e}"))?;
            drop(conn);
            let mut copy = db::checkout(&db::connect(
                &target.display().to_string(),
                1,
                std::time::Duration::from_secs(10),
            )?)
            .map_err(|e| e.to_string())?;
            let referenced = referenced_files(&mut copy)?;
            (SQLITE_FILE, referenced, Some(row_counts(&mut copy)?))
        }
        Backend::Postgres => {
            // pg_dump copies the snapshot this transaction exports, so the rows counted and
            // the documents named here are exactly the dump's.
            let sql = |conn: &mut AnyConnection, statement: &str| {
                diesel::sql_query(statement)
                    .execute(conn)
                    .map_err(|e| format!("no se pudo leer la base de datos: {e}"))
            };
            sql(&mut conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            let snapshot: Named = diesel::sql_query("SELECT pg_export_snapshot() AS name")
                .get_result(&mut conn)
                .map_err(|e| e.to_string())?;
            let referenced = referenced_files(&mut conn)?;
            let rows = row_counts(&mut conn)?;
            run_tool(
                Command::new("pg_dump")
                    .arg("--format=custom")
                    .arg("--no-owner")
                    .arg(format!("--snapshot={}", snapshot.name))
                    .arg(format!("--file={}", dir.join(POSTGRES_FILE).display()))
                    .arg(format!("--dbname={}", config.database_url)),
                "pg_dump",
            )?;
            sql(&mut conn, "COMMIT")?;
            (POSTGRES_FILE, referenced, Some(rows))
        }
    };
    let mut files = BTreeMap::new();
    files.insert(
        database_file.to_owned(),
        entry_of(&dir.join(database_file))?,
    );
    for (relative, entry) in copy_store(&config.attachments_dir, &dir.join(ATTACHMENTS))? {
        files.insert(format!("{ATTACHMENTS}/{relative}"), entry);
    }
    let held: std::collections::HashSet<&str> =
        files.values().map(|entry| entry.sha256.as_str()).collect();
    if let Some(missing) = referenced.iter().find(|sha| !held.contains(sha.as_str())) {
        return Err(format!(
            "el almacén de documentos no tiene el archivo {missing}, que la base de datos nombra; la copia no está completa"
        ));
    }
    let manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now(),
        backend: backend.as_str().to_owned(),
        schema_version,
        files,
        rows,
    };
    // Written last, and by rename: a backup without its manifest is an unfinished one.
    let staged = dir.join(format!("{MANIFEST}.partial"));
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&staged, text).map_err(|e| e.to_string())?;
    std::fs::rename(&staged, dir.join(MANIFEST)).map_err(|e| e.to_string())?;
    Ok(manifest)
}

/// Restores the backup in `dir` into the configured database and attachment store, which must
/// be empty; nothing is written unless every file of the manifest is whole.
pub fn restore(config: &Config, dir: &Path) -> Result<Manifest, String> {
    let manifest = read_manifest(dir)?;
    for (relative, expected) in &manifest.files {
        let found = entry_of(&dir.join(relative))
            .map_err(|_| format!("la copia está incompleta: falta {relative}"))?;
        if &found != expected {
            return Err(format!(
                "la copia está dañada: {relative} no es el archivo que se copió (SHA-256 distinto)"
            ));
        }
    }
    let target = Backend::of_url(&config.database_url);
    if target.as_str() != manifest.backend {
        return Err(format!(
            "la copia es de {} y DATABASE_URL es {}: se restaura en el mismo tipo de base de datos",
            manifest.backend,
            target.as_str()
        ));
    }
    let store = &config.attachments_dir;
    if store.exists() && !is_empty_dir(store)? {
        return Err(format!(
            "el almacén de documentos {} no está vacío; la restauración solo escribe en uno vacío",
            store.display()
        ));
    }
    match target {
        Backend::Sqlite => {
            let path = PathBuf::from(
                config
                    .database_url
                    .strip_prefix("sqlite://")
                    .unwrap_or(&config.database_url),
            );
            if path.exists() && std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) > 0 {
                return Err(format!(
                    "la base de datos {} ya existe; la restauración solo escribe en una nueva",
                    path.display()
                ));
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::copy(dir.join(SQLITE_FILE), &path)
                .map_err(|e| format!("no se pudo escribir {}: {e}", path.display()))?;
        }
        Backend::Postgres => {
            let pool = db::connect(&config.database_url, 1, std::time::Duration::from_secs(10))?;
            let mut conn = db::checkout(&pool).map_err(|e| e.to_string())?;
            if !row_counts(&mut conn)?.is_empty() {
                return Err(
                    "la base de datos de DATABASE_URL ya tiene tablas; la restauración solo escribe en una vacía"
                        .to_owned(),
                );
            }
            run_tool(
                Command::new("pg_restore")
                    .arg("--no-owner")
                    .arg("--exit-on-error")
                    .arg(format!("--dbname={}", config.database_url))
                    .arg(dir.join(POSTGRES_FILE)),
                "pg_restore",
            )?;
        }
    }
    for relative in manifest.files.keys() {
        let Some(inside) = relative.strip_prefix(&format!("{ATTACHMENTS}/")) else {
            continue;
        };
        let to = store.join(inside);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(dir.join(relative), &to)
            .map_err(|e| format!("no se pudo escribir {}: {e}", to.display()))?;
    }
    if let Some(expected) = &manifest.rows {
        let pool = db::connect(&config.database_url, 1, std::time::Duration::from_secs(10))?;
        let mut conn = db::checkout(&pool).map_err(|e| e.to_string())?;
        let restored = row_counts(&mut conn)?;
        if &restored != expected {
            return Err("la base de datos restaurada no tiene las filas de la copia".to_owned());
        }
    }
    Ok(manifest)
}

/// The manifest of a finished backup.
pub fn read_manifest(dir: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).map_err(|_| {
        format!(
            "{} no es una copia terminada: falta {MANIFEST}",
            dir.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{MANIFEST} no es válido: {e}"))
}

fn is_empty_dir(dir: &Path) -> Result<bool, String> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("no se pudo leer {}: {e}", dir.display()))?
        .next()
        .is_none())
}

fn run_tool(command: &mut Command, name: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("no se pudo ejecutar {name} (paquete postgresql-client): {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} falló: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Size and SHA-256 of a file, read in blocks.
fn entry_of(path: &Path) -> Result<FileEntry, String> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| format!("no se pudo leer {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 << 10];
    let mut bytes = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        bytes += read as u64;
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(FileEntry { bytes, sha256 })
}

/// Copies the store's files (`ab/ab12…`, named by their SHA-256; staging files are skipped)
/// into `to`, checking each copy against its name.
fn copy_store(from: &Path, to: &Path) -> Result<Vec<(String, FileEntry)>, String> {
    let mut copied = Vec::new();
    let Ok(prefixes) = std::fs::read_dir(from) else {
        return Ok(copied);
    };
    for prefix in prefixes.flatten().filter(|e| e.path().is_dir()) {
        for file in std::fs::read_dir(prefix.path())
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.len() != 64 || !name.chars().all(|c| c.is_ascii_hexdigit()) {
                continue;
            }
            let relative = format!("{}/{name}", prefix.file_name().to_string_lossy());
            let target = to.join(&relative);
            std::fs::create_dir_all(target.parent().expect("a prefix directory"))
                .map_err(|e| e.to_string())?;
            std::fs::copy(file.path(), &target).map_err(|e| e.to_string())?;
            let entry = entry_of(&target)?;
            if entry.sha256 != name {
                return Err(format!(
                    "el archivo {relative} del almacén no corresponde a su nombre (SHA-256 distinto)"
                ));
            }
            copied.push((relative, entry));
        }
    }
    Ok(copied)
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The SHA-256 of every document the database names.
fn referenced_files(conn: &mut AnyConnection) -> Result<Vec<String>, String> {
    use crate::schema::attachments;
    attachments::table
        .select(attachments::sha256)
        .distinct()
        .load(conn)
        .map_err(|e| e.to_string())
}

fn schema_version(conn: &mut AnyConnection) -> Result<String, String> {
    let versions: Vec<Named> =
        diesel::sql_query("SELECT MAX(version) AS name FROM __diesel_schema_migrations")
            .load(conn)
            .map_err(|e| e.to_string())?;
    Ok(versions
        .into_iter()
        .next()
        .map(|v| v.name)
        .unwrap_or_default())
}

/// Rows of every table (Diesel's own bookkeeping aside).
pub fn row_counts(conn: &mut AnyConnection) -> Result<BTreeMap<String, i64>, String> {
    let tables: Vec<Named> = match conn.backend() {
        Backend::Sqlite => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .load(conn),
        Backend::Postgres => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .load(conn),
    }
    .map_err(|e| e.to_string())?;
    tables
        .into_iter()
        .filter(|t| t.name != "__diesel_schema_migrations")
        .map(|t| {
            let count: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {}", t.name))
                .get_result(conn)
                .map_err(|e| e.to_string())?;
            Ok((t.name, count.n))
        })
        .collect()
}
