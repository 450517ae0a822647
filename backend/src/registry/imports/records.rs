//! Reading imports: an import with its counts, the list, and the rows it refused (a page, or
//! all of them as a workbook).

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;
use confrontas_api::{ImportRejection, ImportStatus, Page, RegistryImport};
use diesel::prelude::*;

use crate::db::{AnyConnection, PageRequest};
use crate::error::{AppError, AppResult};
use crate::schema::{registry_import_rejections, registry_imports};
use crate::spreadsheet::{self, LAST_ROW, xlsx_error};

#[derive(Queryable, Selectable)]
#[diesel(table_name = registry_imports)]
pub struct ImportRow {
    id: i64,
    file_name: String,
    file_size: i64,
    status: String,
    percent: i32,
    rows_read: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
    failure: Option<String>,
    created_by: String,
    created_at: NaiveDateTime,
    started_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
}

impl ImportRow {
    /// The import as the API shows it; `listed` is how many of its refused rows are kept.
    fn into_dto(self, listed: i64) -> AppResult<RegistryImport> {
        Ok(RegistryImport {
            status: ImportStatus::parse(&self.status)
                .ok_or_else(|| AppError::internal("unknown import status"))?,
            id: self.id,
            file_name: self.file_name,
            file_size: self.file_size,
            percent: self.percent.clamp(0, 100) as u8,
            rows_read: self.rows_read,
            inserted: self.inserted,
            updated: self.updated,
            unchanged: self.unchanged,
            rejected: self.rejected,
            rejected_listed: listed,
            failure: self.failure,
            created_by: self.created_by,
            created_at: self.created_at.and_utc(),
            started_at: self.started_at.map(|t| t.and_utc()),
            finished_at: self.finished_at.map(|t| t.and_utc()),
        })
    }
}

fn find_import(conn: &mut AnyConnection, id: i64) -> AppResult<ImportRow> {
    registry_imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No existe esa importación del padrón."))
}

/// How many refused rows each of `ids` keeps.
fn listed_rejections(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    Ok(registry_import_rejections::table
        .filter(registry_import_rejections::import_id.eq_any(ids))
        .group_by(registry_import_rejections::import_id)
        .select((
            registry_import_rejections::import_id,
            diesel::dsl::count_star(),
        ))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Import `id` as the API shows it.
pub fn import(conn: &mut AnyConnection, id: i64) -> AppResult<RegistryImport> {
    let row = find_import(conn, id)?;
    let listed = listed_rejections(conn, &[id])?;
    row.into_dto(listed.get(&id).copied().unwrap_or(0))
}

/// A page of the imports, newest first.
pub fn list(conn: &mut AnyConnection, page: PageRequest) -> AppResult<Page<RegistryImport>> {
    let rows = page.load(
        conn,
        registry_imports::table.count(),
        registry_imports::table
            .order(registry_imports::id.desc())
            .select(ImportRow::as_select()),
    )?;
    let ids: Vec<i64> = rows.items.iter().map(|row| row.id).collect();
    let listed = listed_rejections(conn, &ids)?;
    rows.try_map(|rows| {
        rows.into_iter()
            .map(|row| {
                let kept = listed.get(&row.id).copied().unwrap_or(0);
                row.into_dto(kept)
            })
            .collect()
    })
}

/// A page of the rows import `id` refused, in row order.
pub fn rejections(
    conn: &mut AnyConnection,
    id: i64,
    page: PageRequest,
) -> AppResult<Page<ImportRejection>> {
    find_import(conn, id)?;
    let of_import =
        || registry_import_rejections::table.filter(registry_import_rejections::import_id.eq(id));
    let rows = page.load(
        conn,
        of_import().count(),
        of_import()
            .order(registry_import_rejections::row_number.asc())
            .select(REJECTION_COLUMNS),
    )?;
    Ok(rows.map(|rows: Vec<RejectionTuple>| rows.into_iter().map(rejection_dto).collect()))
}

type RejectionTuple = (i64, Option<String>, String, String);
const REJECTION_COLUMNS: (
    registry_import_rejections::row_number,
    registry_import_rejections::curp,
    registry_import_rejections::reason,
    registry_import_rejections::message,
) = (
    registry_import_rejections::row_number,
    registry_import_rejections::curp,
    registry_import_rejections::reason,
    registry_import_rejections::message,
);

fn rejection_dto((row, curp, reason, message): RejectionTuple) -> ImportRejection {
    ImportRejection {
        row,
        curp,
        reason,
        message,
    }
}

/// Every row import `id` refused, as a workbook written under `dir`.
pub fn rejections_workbook(
    conn: &mut AnyConnection,
    id: i64,
    dir: &Path,
) -> AppResult<std::fs::File> {
    let import = find_import(conn, id)?;
    let mut workbook = spreadsheet::new_workbook(dir)?;
    let sheet = spreadsheet::add_table_sheet(
        &mut workbook,
        "Filas rechazadas",
        &[
            ("Fila", 8.0),
            ("CURP", 22.0),
            ("Motivo", 18.0),
            ("Detalle", 90.0),
        ],
    )?;
    let mut last_row = i64::MIN;
    let mut line = 1u32;
    while line < LAST_ROW {
        let chunk = registry_import_rejections::table
            .filter(registry_import_rejections::import_id.eq(import.id))
            .filter(registry_import_rejections::row_number.gt(last_row))
            .order(registry_import_rejections::row_number.asc())
            .limit(5_000)
            .select(REJECTION_COLUMNS)
            .load::<RejectionTuple>(conn)?;
        let Some(last) = chunk.last() else { break };
        last_row = last.0;
        for (row, curp, reason, message) in chunk {
            if line == LAST_ROW {
                sheet
                    .write_string(line, 0, "Hay más filas rechazadas de las que caben en una hoja; consúltelas con la API.")
                    .map_err(xlsx_error)?;
                break;
            }
            sheet
                .write_number(line, 0, row as f64)
                .map_err(xlsx_error)?;
            sheet
                .write_string(line, 1, curp.unwrap_or_default())
                .map_err(xlsx_error)?;
            sheet.write_string(line, 2, reason).map_err(xlsx_error)?;
            sheet.write_string(line, 3, message).map_err(xlsx_error)?;
            line += 1;
        }
    }
    let written = i64::from(line - 1);
    if import.rejected > written && line < LAST_ROW {
        let note = format!(
            "Se guardaron las primeras {written} de {} filas rechazadas; corrija estas y vuelva a importar el archivo para ver las siguientes.",
            import.rejected
        );
        sheet.write_string(line, 0, note).map_err(xlsx_error)?;
    }
    spreadsheet::save_to_file(&mut workbook, dir)
}
