//! The import queue: an upload recorded and stored, then run in the background one import at a
//! time per server; imports a stop interrupted are failed at the next start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use confrontas_api::ImportStatus;
use diesel::prelude::*;
use serde_json::json;
use tokio::sync::Mutex;

use super::writer::{ImportLimits, run_import};
use crate::audit::Actor;
use crate::db::{self, AnyConnection, DbPool};
use crate::error::AppError;
use crate::error::AppResult;
use crate::per_backend;
use crate::schema::registry_imports;
use crate::uploads::{ParsePermits, SheetFormat, Upload};

/// Serializes this server's imports: two imports of the same new CURP would otherwise race.
#[derive(Clone, Default)]
pub struct ImportQueue(Arc<Mutex<()>>);

impl ImportQueue {
    /// Runs import `id` of the file at `stored` once the imports before it are done, on the
    /// spreadsheet permits; the file is removed afterwards.
    pub fn run(&self, pool: DbPool, permits: ParsePermits, job: QueuedImport) {
        let turns = self.0.clone();
        tokio::spawn(async move {
            let _turn = turns.lock().await;
            let QueuedImport {
                id,
                stored,
                format,
                limits,
                actor,
            } = job;
            let path = stored.clone();
            let outcome = permits
                .run(move || run_import(&pool, id, &path, format, limits, &actor))
                .await;
            if let Err(error) = outcome {
                tracing::warn!(import = id, code = error.code, detail = %error.detail, "registry import failed");
            }
            let _ = std::fs::remove_file(&stored);
        });
    }
}

/// An import recorded and stored, waiting its turn.
pub struct QueuedImport {
    pub id: i64,
    pub stored: PathBuf,
    pub format: SheetFormat,
    pub limits: ImportLimits,
    pub actor: Actor,
}

/// Imports interrupted by a stop of this server cannot be resumed where they were (the file's
/// rows are read in one pass); they are marked failed and their files removed. Rows already
/// applied stay applied, and loading the same file again applies the rest (upserts are
/// idempotent). An import is this server's when its file is in this server's uploads
/// directory; another instance's imports are left alone.
pub fn fail_interrupted(conn: &mut AnyConnection, uploads_dir: &Path) -> AppResult<usize> {
    let unfinished: Vec<(i64, String)> = registry_imports::table
        .filter(registry_imports::status.eq_any([
            ImportStatus::Queued.as_str(),
            ImportStatus::Running.as_str(),
        ]))
        .select((registry_imports::id, registry_imports::format))
        .load(conn)?;
    let mut failed = 0;
    for (id, format) in &unfinished {
        let file = stored_path(uploads_dir, *id, format);
        if !file.exists() {
            continue;
        }
        let _ = std::fs::remove_file(file);
        diesel::update(registry_imports::table.find(id))
            .set((
                registry_imports::status.eq(ImportStatus::Failed.as_str()),
                registry_imports::failure.eq(
                    "El servidor se detuvo durante la importación. Las filas ya aplicadas se conservan; cargue el archivo de nuevo para aplicar el resto.",
                ),
                registry_imports::finished_at.eq(db::now()),
            ))
            .execute(conn)?;
        failed += 1;
    }
    Ok(failed)
}

/// Records `upload` as a new queued import and keeps its file in `dir`, in one transaction
/// with the audit row; the import's id and where its file is.
pub fn record(
    conn: &mut AnyConnection,
    upload: Upload,
    dir: &Path,
    actor: &Actor,
) -> AppResult<(i64, PathBuf)> {
    conn.write_transaction(|conn| {
        let id = record_import(conn, &upload.file_name, upload.size, upload.format, actor)?;
        let stored = stored_path(dir, id, format_name(upload.format));
        upload
            .file
            .persist(&stored)
            .map_err(|e| AppError::internal(e.error))?;
        actor.record(
            conn,
            "registry_import_started",
            "registry_import",
            id,
            json!({ "file_name": upload.file_name, "size": upload.size }),
        )?;
        Ok((id, stored))
    })
}

/// A new import, queued, in the caller's transaction; returns its id.
pub fn record_import(
    conn: &mut AnyConnection,
    file_name: &str,
    size: u64,
    format: SheetFormat,
    actor: &Actor,
) -> QueryResult<i64> {
    per_backend!(&mut *conn, |c| diesel::insert_into(registry_imports::table)
        .values((
            registry_imports::file_name.eq(file_name),
            registry_imports::file_size.eq(size as i64),
            registry_imports::format.eq(format_name(format)),
            registry_imports::status.eq(ImportStatus::Queued.as_str()),
            registry_imports::percent.eq(0),
            registry_imports::rows_read.eq(0i64),
            registry_imports::inserted.eq(0i64),
            registry_imports::updated.eq(0i64),
            registry_imports::unchanged.eq(0i64),
            registry_imports::rejected.eq(0i64),
            registry_imports::created_by.eq(&actor.name),
            registry_imports::created_at.eq(db::now()),
        ))
        .returning(registry_imports::id)
        .get_result(c))
}

pub fn stored_path(uploads_dir: &Path, id: i64, format: &str) -> PathBuf {
    uploads_dir.join(format!("import-{id}.{format}"))
}

pub fn format_name(format: SheetFormat) -> &'static str {
    match format {
        SheetFormat::Xlsx => "xlsx",
        SheetFormat::Csv => "csv",
    }
}
