//! `.xlsx` reading. The package is inspected before calamine opens it, because calamine trusts
//! what it reads: it decompresses a sheet without a size check, buffers a whole text node, and
//! `worksheet_range` densifies a sparse sheet until the allocation aborts the process. So:
//!
//! 1. the zip's central directory must be sound: few entries, known and bounded sizes, a sane
//!    compression ratio;
//! 2. every XML part is streamed once through the decompressor (constant memory) to refuse DTDs
//!    and runs of text longer than a cell can hold, which would otherwise be buffered whole;
//! 3. cells are then read with calamine's streaming `worksheet_cells_reader` only, with row,
//!    column and text-length limits.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use actix_web::http::StatusCode;
use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use zip::ZipArchive;

use super::{MAX_CELL_CHARS, MAX_COLUMNS, Row, check_cell_length, too_many_columns};
use crate::error::{AppError, AppResult};

/// Parts in a workbook package; real workbooks have a few dozen.
const MAX_ENTRIES: usize = 1_000;
/// Uncompressed size of one part, and of all parts together: a 1,048,576-row sheet with the
/// layout's columns is about 350 MB of XML.
const MAX_ENTRY_BYTES: u64 = 768 << 20;
const MAX_TOTAL_BYTES: u64 = 1_536 << 20;
/// Office XML compresses 5 to 30 times; a bomb compresses a thousand times.
const MAX_RATIO: u64 = 100;
/// Parts smaller than this are not held to the ratio (tiny repetitive parts compress well).
const RATIO_FLOOR_BYTES: u64 = 1 << 20;
/// Longest text between two pieces of markup: a full cell in the worst escaping (`&amp;` is 5
/// bytes per character) with room to spare.
const MAX_TEXT_RUN: usize = MAX_CELL_CHARS * 6 + 4096;

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_xlsx", detail)
}

fn bomb(detail: impl Into<String>) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "xlsx_limits_exceeded",
        detail,
    )
}

fn unreadable() -> AppError {
    invalid(
        "El archivo no es un libro de Excel (.xlsx) válido o está dañado; ábralo en Excel y guárdelo de nuevo como .xlsx.",
    )
}

pub(super) fn read_rows(
    path: &Path,
    on_row: &mut dyn FnMut(&Row) -> AppResult<()>,
) -> AppResult<()> {
    inspect_package(path)?;
    let file = File::open(path).map_err(AppError::internal)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(BufReader::with_capacity(1 << 16, file)).map_err(|e| {
            tracing::info!(error = %e, "xlsx refused by calamine");
            unreadable()
        })?;
    let sheet = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .ok_or_else(|| invalid("El libro no tiene ninguna hoja de cálculo visible."))?;
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(|e| {
        tracing::info!(error = %e, "xlsx sheet refused by calamine");
        unreadable()
    })?;
    let last_row = cells.dimensions().end.0.max(1) as f64;
    let mut row = Row::default();
    loop {
        let cell = cells.next_cell().map_err(|e| {
            tracing::info!(error = %e, "xlsx cell refused by calamine");
            unreadable()
        })?;
        let Some(cell) = cell else { break };
        let (row_index, column) = cell.get_position();
        let number = row_index.saturating_add(1);
        if column >= MAX_COLUMNS {
            return Err(too_many_columns());
        }
        if number != row.number {
            if row.number != 0 {
                row.progress = (f64::from(row.number) / last_row).min(1.0);
                on_row(&row)?;
            }
            row.number = number;
            row.cells.iter_mut().for_each(String::clear);
        }
        let column = column as usize;
        if row.cells.len() <= column {
            row.cells.resize_with(column + 1, String::new);
        }
        write_value(&mut row.cells[column], cell.get_value());
        check_cell_length(&row.cells[column], number)?;
    }
    if row.number != 0 {
        row.progress = 1.0;
        on_row(&row)?;
    }
    Ok(())
}

/// A cell as text, the way a person reads it: whole numbers without decimals, dates as
/// `YYYY-MM-DD`.
fn write_value(out: &mut String, value: &DataRef) {
    use std::fmt::Write;
    out.clear();
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            let _ = write!(out, "{}", *f as i64);
        }
        DataRef::Float(f) => {
            let _ = write!(out, "{f}");
        }
        DataRef::Bool(b) => out.push_str(if *b { "VERDADERO" } else { "FALSO" }),
        DataRef::DateTime(d) => match excel_date(d.as_f64()) {
            Some(date) => {
                let _ = write!(out, "{date}");
            }
            None => {
                let _ = write!(out, "{}", d.as_f64());
            }
        },
        DataRef::Error(e) => {
            let _ = write!(out, "{e}");
        }
        DataRef::Empty => {}
    }
}

/// Excel's serial day (1900 system; serials before March 1900 are rare and ignored).
fn excel_date(serial: f64) -> Option<chrono::NaiveDate> {
    let days = serial.floor();
    if !(61.0..=2_958_465.0).contains(&days) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(days as u64))
}

/// The checks made before calamine sees the file (steps 1 and 2 of the module comment).
fn inspect_package(path: &Path) -> AppResult<()> {
    let mut file = File::open(path).map_err(AppError::internal)?;
    let mut magic = [0u8; 4];
    if file.read_exact(&mut magic).is_err() || magic != *b"PK\x03\x04" {
        return Err(unreadable());
    }
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| {
        tracing::info!(error = %e, "xlsx zip refused");
        unreadable()
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(bomb(format!(
            "El archivo contiene {} partes internas; un libro de Excel normal tiene unas decenas.",
            zip.len()
        )));
    }
    let expanded = "El contenido del archivo se expande a un tamaño que excede lo permitido; verifique que sea un libro de Excel normal.";
    // Sizes come from the central directory, which holds them even for entries written with a
    // data descriptor (as rust_xlsxwriter does); zip enforces them while decompressing.
    let mut total = 0u64;
    let mut xml_parts = Vec::new();
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(|_| unreadable())?;
        let (size, compressed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if size > MAX_ENTRY_BYTES
            || total > MAX_TOTAL_BYTES
            || (size > RATIO_FLOOR_BYTES && size / compressed.max(1) > MAX_RATIO)
        {
            return Err(bomb(expanded));
        }
        let name = entry.name().map_err(|_| unreadable())?;
        if name.ends_with(".xml") || name.ends_with(".rels") {
            xml_parts.push(index);
        }
    }
    for index in xml_parts {
        let entry = zip.by_index(index).map_err(|_| unreadable())?;
        scan_xml(entry)?;
    }
    Ok(())
}

/// Streams one XML part: refuses DTDs (entity tricks) and text runs longer than any cell, and
/// fails on parts larger than declared (zip enforces the declared size while reading). It costs
/// a few searches per 64 KiB read, not a look at every byte: `<!` is rare in a sheet, and a read
/// (shorter than the longest allowed run) can only hold a too-long run where it starts or ends.
fn scan_xml(mut part: impl Read) -> AppResult<()> {
    const READ: usize = 1 << 16;
    const _: () = assert!(READ < MAX_TEXT_RUN);
    // The previous read's last bytes lead the buffer, so a `<!DOCTYPE` split between two reads
    // is still seen whole.
    const CARRY: usize = b"<!DOCTYPE".len() - 1;
    let declaration = memchr::memmem::Finder::new(b"<!");
    let mut buffer = vec![0u8; CARRY + READ];
    let mut carried = 0;
    // Bytes since the last `<` (or the start of the part).
    let mut run = 0usize;
    loop {
        let read = match part.read(&mut buffer[carried..]) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) => {
                tracing::info!(error = %e, "xlsx part unreadable");
                return Err(unreadable());
            }
        };
        let window = &buffer[..carried + read];
        for at in declaration.find_iter(window) {
            let rest = &window[at + 2..];
            // A declaration cut by the end of this read is looked at again with the next one.
            if rest.starts_with(b"DOCTYPE") || rest.starts_with(b"ENTITY") {
                return Err(dtd());
            }
        }
        let fresh = &window[carried..];
        match (memchr::memchr(b'<', fresh), memchr::memrchr(b'<', fresh)) {
            (Some(first), Some(last)) => {
                if run + first > MAX_TEXT_RUN {
                    return Err(text_run_too_long());
                }
                run = fresh.len() - last - 1;
            }
            _ => {
                run += fresh.len();
                if run > MAX_TEXT_RUN {
                    return Err(text_run_too_long());
                }
            }
        }
        let filled = window.len();
        let keep = filled.min(CARRY);
        buffer.copy_within(filled - keep..filled, 0);
        carried = keep;
    }
}

fn dtd() -> AppError {
    invalid(
        "El archivo contiene declaraciones de tipo de documento (DTD), que Excel no produce; no se procesa por seguridad.",
    )
}

fn text_run_too_long() -> AppError {
    bomb(format!(
        "El archivo contiene un texto de más de {MAX_CELL_CHARS} caracteres, el máximo de una celda de Excel."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serial_days_become_dates() {
        assert_eq!(excel_date(45_658.0).unwrap().to_string(), "2025-01-01");
        assert_eq!(excel_date(45_658.75).unwrap().to_string(), "2025-01-01");
        assert!(excel_date(-3.0).is_none());
    }

    /// A part that arrives a few bytes per read, so markers and runs straddle reads.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn scan_refuses_a_doctype_even_across_reads() {
        let xml = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>";
        assert_eq!(scan_xml(&xml[..]).unwrap_err().code, "invalid_xlsx");
        for step in 1..12 {
            assert_eq!(
                scan_xml(Trickle(xml, step)).unwrap_err().code,
                "invalid_xlsx"
            );
        }
        let entity_only = b"<x><!ENTITY a \"b\"></x>";
        assert_eq!(
            scan_xml(Trickle(entity_only, 5)).unwrap_err().code,
            "invalid_xlsx"
        );
        let comment = b"<x><!-- DOCTYPE --><![CDATA[ENTITY]]></x>";
        assert!(scan_xml(Trickle(comment, 4)).is_ok());
    }

    #[test]
    fn scan_refuses_text_longer_than_a_cell_and_accepts_a_full_cell() {
        let full = format!("<c><is><t>{}</t></is></c>", "&amp;".repeat(MAX_CELL_CHARS));
        assert!(scan_xml(full.as_bytes()).is_ok());
        assert!(scan_xml(Trickle(full.as_bytes(), 70_001)).is_ok());
        let long = format!("<c><is><t>{}</t></is></c>", " ".repeat(MAX_TEXT_RUN + 1));
        for part in [
            &mut long.as_bytes() as &mut dyn Read,
            &mut Trickle(long.as_bytes(), 70_001),
        ] {
            assert_eq!(scan_xml(part).unwrap_err().code, "xlsx_limits_exceeded");
        }
        let trailing = format!("<c/>{}", " ".repeat(MAX_TEXT_RUN + 1));
        assert_eq!(
            scan_xml(trailing.as_bytes()).unwrap_err().code,
            "xlsx_limits_exceeded"
        );
    }
}
