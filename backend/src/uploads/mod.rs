//! Spreadsheets from strangers: a multipart upload is streamed to a temporary file under a size
//! cap, then read row by row from `.xlsx` or `.csv` by readers that treat every file as hostile
//! (`docs/architecture.md`, "Files from strangers"). Every refusal is a 4xx problem with
//! a stable code; nothing here may abort the process or grow memory with the file.

mod columns;
mod delimited;
mod receive;
mod repeats;
mod xlsx;

use std::path::Path;
use std::sync::Arc;

use actix_web::http::StatusCode;
use tokio::sync::Semaphore;

pub use columns::{Column, Columns, Record};
pub use receive::{Form, FormSpec, ReceivedFile, Upload, receive_form, receive_spreadsheet};
pub use repeats::FirstRows;

use crate::error::{AppError, AppResult};

/// Excel's own limit for the text of one cell.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Columns a sheet may use; layouts need six, the rest leaves room for the user's notes.
pub const MAX_COLUMNS: u32 = 100;
/// Rows read ahead of a slower consumer in [`read_table_in_batches`].
const ROWS_IN_FLIGHT: usize = 64 * 1024;
/// Rows before the header row that may hold titles or notes.
pub const MAX_ROWS_BEFORE_HEADER: u32 = 20;

/// What one kind of upload may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Size of the uploaded file.
    pub max_bytes: u64,
    /// Data rows (after the header).
    pub max_rows: u32,
}

/// The two formats accepted, decided by the file name and confirmed by the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

impl SheetFormat {
    pub fn from_file_name(name: &str) -> AppResult<SheetFormat> {
        let lower = name.to_lowercase();
        if lower.ends_with(".xlsx") {
            Ok(SheetFormat::Xlsx)
        } else if lower.ends_with(".csv") {
            Ok(SheetFormat::Csv)
        } else {
            Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_file_type",
                "El archivo debe ser un libro de Excel (.xlsx) o un archivo de texto separado por comas (.csv). Los libros .xls antiguos deben guardarse como .xlsx.",
            ))
        }
    }
}

/// One non-blank row as the user sees it: its row number in Excel (or record number in a CSV)
/// and its cells from column A on.
#[derive(Debug, Default)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
    /// Fraction of the file read so far (0 to 1), for progress reports.
    pub progress: f64,
}

impl Row {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// Reads every non-blank row of a spreadsheet in order, calling `on_row` for each. Memory does
/// not grow with the number of rows. `on_row` may stop the reading by returning an error.
pub fn read_rows(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    mut on_row: impl FnMut(&Row) -> AppResult<()>,
) -> AppResult<()> {
    let mut guarded = |row: &Row| {
        if row.is_blank() {
            return Ok(());
        }
        // Header and the rows above it are not data rows; `MAX_ROWS_BEFORE_HEADER + 1` of slack.
        if row.number > limits.max_rows.saturating_add(MAX_ROWS_BEFORE_HEADER + 1) {
            return Err(too_many_rows(limits.max_rows));
        }
        on_row(row)
    };
    match format {
        SheetFormat::Xlsx => xlsx::read_rows(path, &mut guarded),
        SheetFormat::Csv => delimited::read_rows(path, &mut guarded),
    }
}

/// Reads a table: finds the header row among the first rows, matches `columns` to it, and calls
/// `on_record` for every data row. Returns the header row's number and the headers of the
/// columns found.
pub fn read_table(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    columns: &Columns,
    mut on_record: impl FnMut(&Record) -> AppResult<()>,
) -> AppResult<(u32, Vec<&'static str>)> {
    let mut header: Option<(u32, Vec<Option<usize>>)> = None;
    let mut data_rows = 0u32;
    read_rows(path, format, limits, |row| match &header {
        Some((_, positions)) => {
            data_rows += 1;
            if data_rows > limits.max_rows {
                return Err(too_many_rows(limits.max_rows));
            }
            on_record(&Record::new(row, positions, row.progress))
        }
        None => {
            if let Some(positions) = columns.match_header(&row.cells)? {
                header = Some((row.number, positions));
                Ok(())
            } else if row.number >= MAX_ROWS_BEFORE_HEADER {
                Err(columns.header_not_found())
            } else {
                Ok(())
            }
        }
    })?;
    match header {
        Some((number, positions)) if data_rows > 0 => {
            let found = columns
                .0
                .iter()
                .zip(&positions)
                .filter(|(_, position)| position.is_some())
                .map(|(column, _)| column.header)
                .collect();
            Ok((number, found))
        }
        Some(_) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_data_rows",
            "El archivo tiene encabezados pero ninguna fila con datos.",
        )),
        None => Err(columns.header_not_found()),
    }
}

/// Data rows [`check_start`] reads.
pub const CHECKED_ROWS: u32 = 1_000;

/// Checks a spreadsheet before work on it is accepted: the package is inspected whole (a
/// `.xlsx`'s every part, as [`read_rows`] does), then the header and the first
/// [`CHECKED_ROWS`] data rows are read with every limit. A hostile or unreadable file, a
/// missing header or an empty table is refused here with its 4xx; a problem further down is
/// found when the whole file is read.
pub fn check_start(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    columns: &Columns,
) -> AppResult<()> {
    // Reading stops at the first row past the sample by returning this marker.
    const SAMPLE_READ: &str = "sample_read";
    let mut seen = 0u32;
    let outcome = read_table(path, format, limits, columns, |_| {
        seen += 1;
        if seen > CHECKED_ROWS {
            return Err(AppError::new(StatusCode::OK, SAMPLE_READ, ""));
        }
        Ok(())
    });
    match outcome {
        Err(stopped) if stopped.code == SAMPLE_READ => Ok(()),
        other => other.map(drop),
    }
}

/// [`read_table`] on this thread, with the records turned into items by `per_record` and handed
/// in batches of `batch_rows` to `consume`, which runs on a second thread (typically writing
/// to the database while the next batch is read). Returns what [`read_table`] returns and what
/// `consume` returns. When either side fails, the other stops and the more telling error wins.
pub fn read_table_in_batches<T: Send, R: Send>(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    columns: &Columns,
    batch_rows: usize,
    mut per_record: impl FnMut(&Record) -> AppResult<T>,
    consume: impl FnOnce(std::sync::mpsc::Receiver<Vec<T>>) -> AppResult<R> + Send,
) -> AppResult<((u32, Vec<&'static str>), R)> {
    // Enough rows in flight that a consumer's pause (a first query, a commit) does not stop the
    // reading, few enough that memory stays small: at least two batches.
    let in_flight = (ROWS_IN_FLIGHT / batch_rows.max(1)).max(2);
    let (batches, received) = std::sync::mpsc::sync_channel::<Vec<T>>(in_flight);
    std::thread::scope(|scope| {
        let consumer = scope.spawn(move || consume(received));
        let mut batch = Vec::with_capacity(batch_rows);
        let read = read_table(path, format, limits, columns, |record| {
            batch.push(per_record(record)?);
            if batch.len() == batch_rows {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_rows));
                batches
                    .send(full)
                    .map_err(|_| AppError::internal("batch consumer stopped"))?;
            }
            Ok(())
        });
        if read.is_ok() && !batch.is_empty() {
            let _ = batches.send(batch);
        }
        drop(batches);
        let consumed = consumer
            .join()
            .unwrap_or_else(|_| Err(AppError::internal("batch consumer panicked")));
        match (read, consumed) {
            (Ok(shape), Ok(result)) => Ok((shape, result)),
            // The file's own problem explains more than a consumer that was cut off.
            (Err(e), _) if e.code != "internal_error" => Err(e),
            (_, Err(e)) | (Err(e), _) => Err(e),
        }
    })
}

/// A size as a person reads it: megabytes with at most one decimal, or kilobytes below a tenth
/// of a megabyte (never "0 MB").
pub fn human_size(bytes: u64) -> String {
    let tenths_of_mb = (bytes as f64 / f64::from(1u32 << 20) * 10.0).round() as u64;
    match tenths_of_mb {
        0 => format!("{} KB", bytes.div_ceil(1024)),
        tenths if tenths % 10 == 0 => format!("{} MB", tenths / 10),
        tenths => format!("{}.{} MB", tenths / 10, tenths % 10),
    }
}

pub fn too_many_rows(max: u32) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_rows",
        format!("El archivo tiene más de {max} filas de datos; divídalo en varios archivos."),
    )
}

fn too_many_columns() -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_columns",
        format!(
            "El archivo usa más de {MAX_COLUMNS} columnas; deje solo las columnas del formato."
        ),
    )
}

fn cell_too_long(row: u32) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "cell_too_long",
        format!(
            "La fila {row} tiene una celda con más de {MAX_CELL_CHARS} caracteres, el máximo de Excel."
        ),
    )
}

/// Checks one cell's text against Excel's limit without counting characters when it cannot matter.
fn check_cell_length(text: &str, row: u32) -> AppResult<()> {
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(cell_too_long(row));
    }
    Ok(())
}

/// At most this many spreadsheets are parsed at once, whatever the number of requests: parsing
/// is CPU-bound and each parse holds some memory.
#[derive(Clone)]
pub struct ParsePermits(Arc<Semaphore>);

impl ParsePermits {
    pub fn new(concurrency: usize) -> ParsePermits {
        ParsePermits(Arc::new(Semaphore::new(concurrency.max(1))))
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let permit = self
            .0
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(AppError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_megabytes_or_kilobytes_never_zero() {
        assert_eq!(human_size(5 << 20), "5 MB");
        assert_eq!(human_size(3 << 19), "1.5 MB");
        assert_eq!(human_size(1_048_544), "1 MB", "a CSV record's limit");
        assert_eq!(human_size(10 * 1024), "10 KB");
        assert_eq!(human_size(1), "1 KB");
    }
}
