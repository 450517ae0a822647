//! `.csv` reading: UTF-8 with or without a BOM, or Latin-1 (Windows-1252, what Excel writes on
//! a Spanish-language Windows), decided per cell; comma, semicolon or tab as the separator,
//! decided by the first line. Records are bounded in size, so one endless quoted field cannot
//! fill memory.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use actix_web::http::StatusCode;

use super::{MAX_CELL_CHARS, MAX_COLUMNS, Row, check_cell_length, too_many_columns};
use crate::error::{AppError, AppResult};

/// Largest record: every column at Excel's cell limit would be far more than any real layout.
const MAX_RECORD_BYTES: u64 = (MAX_CELL_CHARS as u64) * 4 * 8;

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", detail)
}

pub(super) fn read_rows(
    path: &Path,
    on_row: &mut dyn FnMut(&Row) -> AppResult<()>,
) -> AppResult<()> {
    let file = File::open(path).map_err(AppError::internal)?;
    let total = file.metadata().map_err(AppError::internal)?.len().max(1) as f64;
    let mut input = BufReader::with_capacity(1 << 16, file);
    let head = input.fill_buf().map_err(AppError::internal)?;
    if head.contains(&0) {
        return Err(invalid(
            "El archivo no es texto: parece un archivo binario con extensión .csv.",
        ));
    }
    let delimiter = sniff_delimiter(head);
    let record_start = Rc::new(Cell::new(0u64));
    let guarded = RecordGuard {
        inner: UnixLines {
            inner: input,
            after_cr: false,
            last_out: None,
        },
        consumed: 0,
        record_start: record_start.clone(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(guarded);
    let mut record = csv::ByteRecord::new();
    let mut row = Row::default();
    let mut line_breaks_in_cells = 0u64;
    let mut first = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                return Err(if record_start.get() == u64::MAX {
                    invalid(format!(
                        "Un registro del archivo excede {}; revise que las comillas estén cerradas.",
                        super::human_size(MAX_RECORD_BYTES)
                    ))
                } else {
                    tracing::info!(error = %e, "csv refused");
                    invalid(
                        "El archivo .csv no se pudo leer; guárdelo de nuevo desde Excel como «CSV UTF-8».",
                    )
                });
            }
        }
        let position = reader.position();
        record_start.set(position.byte());
        // Excel shows one row per line, blank lines included, and a quoted line break stays
        // inside its cell. With every line ending in '\n' (see `UnixLines`) the reader stands
        // on the line after the record's last one.
        let breaks_in_record = record
            .iter()
            .map(|field| memchr::memchr_iter(b'\n', field).count() as u64)
            .sum::<u64>();
        let first_line = position.line().saturating_sub(1 + breaks_in_record);
        row.number = u32::try_from(first_line - line_breaks_in_cells).unwrap_or(u32::MAX);
        line_breaks_in_cells += breaks_in_record;
        if record.len() > MAX_COLUMNS as usize {
            return Err(too_many_columns());
        }
        if row.cells.len() < record.len() {
            row.cells.resize_with(record.len(), String::new);
        }
        for (index, cell) in row.cells.iter_mut().enumerate() {
            cell.clear();
            if let Some(field) = record.get(index) {
                decode_into(cell, strip_bom(field, first && index == 0));
                check_cell_length(cell, row.number)?;
            }
        }
        first = false;
        row.progress = (position.byte() as f64 / total).min(1.0);
        on_row(&row)?;
    }
}

fn strip_bom(field: &[u8], first: bool) -> &[u8] {
    if first {
        field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
    } else {
        field
    }
}

/// UTF-8 when the bytes are valid UTF-8 (Latin-1 text with accents almost never is), else
/// Windows-1252, which is Latin-1 plus the characters Windows puts in 0x80–0x9F.
fn decode_into(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(
            &encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0,
        ),
    }
}

/// The separator used most in the first lines (titles above the headers may have none).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .take(super::MAX_ROWS_BEFORE_HEADER as usize)
        .collect();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| {
            let uses: usize = lines
                .iter()
                .map(|l| l.iter().filter(|b| *b == d).count())
                .sum();
            (uses, *d == b',')
        })
        .unwrap_or(b',')
}

/// Turns `\r\n` and a lone `\r` into `\n`, and ends a non-empty file with `\n`, so that
/// line counting does not depend on how the file was saved.
struct UnixLines<R> {
    inner: R,
    after_cr: bool,
    last_out: Option<u8>,
}

impl<R: Read> Read for UnixLines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let read = self.inner.read(out)?;
            if read == 0 {
                if self.last_out.is_some_and(|b| b != b'\n') {
                    out[0] = b'\n';
                    self.last_out = Some(b'\n');
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut written = 0;
            for index in 0..read {
                let byte = out[index];
                if byte == b'\n' && self.after_cr {
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = byte == b'\r';
                out[written] = if self.after_cr { b'\n' } else { byte };
                written += 1;
            }
            if written > 0 {
                self.last_out = Some(out[written - 1]);
                return Ok(written);
            }
        }
    }
}

/// Fails the read once the current record grows past [`MAX_RECORD_BYTES`]; the csv reader
/// reports where each record ends through `record_start`.
struct RecordGuard<R> {
    inner: R,
    consumed: u64,
    record_start: Rc<Cell<u64>>,
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.consumed.saturating_sub(self.record_start.get()) > MAX_RECORD_BYTES {
            self.record_start.set(u64::MAX);
            return Err(std::io::Error::other("record too large"));
        }
        let read = self.inner.read(buf)?;
        self.consumed += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_cells_are_decoded_and_utf8_cells_kept() {
        let mut out = String::new();
        decode_into(&mut out, b"PE\xd1A");
        assert_eq!(out, "PEÑA");
        out.clear();
        decode_into(&mut out, "PEÑA".as_bytes());
        assert_eq!(out, "PEÑA");
    }

    fn row_numbers(text: &[u8]) -> Vec<(u32, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        let mut seen = Vec::new();
        read_rows(&path, &mut |row| {
            seen.push((row.number, row.cells.clone()));
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn rows_are_numbered_as_excel_shows_them_whatever_the_line_ends() {
        for text in [
            &b"a,b\r\n\r\n\r\nc,d\r\n\"x\r\ny\",z\r\nq,r\r\n"[..],
            b"a,b\n\n\nc,d\n\"x\ny\",z\nq,r",
        ] {
            let numbers: Vec<u32> = row_numbers(text).into_iter().map(|(n, _)| n).collect();
            assert_eq!(numbers, [1, 4, 5, 6], "{}", String::from_utf8_lossy(text));
        }
        let numbers: Vec<u32> = row_numbers(b"a,b\r\rc,d\r\"x\ry\",z\rq,r\r")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(numbers, [1, 3, 4, 5]);
    }

    #[test]
    fn a_record_past_its_limit_names_the_limit_in_megabytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.csv");
        std::fs::write(&path, format!("CURP\n\"{}\n", "C".repeat(2 << 20))).unwrap();
        let error = read_rows(&path, &mut |_| Ok(())).unwrap_err();
        assert_eq!(error.code, "invalid_csv");
        assert_eq!(
            error.detail,
            "Un registro del archivo excede 1 MB; revise que las comillas estén cerradas."
        );
    }

    #[test]
    fn the_separator_is_the_one_the_first_line_uses() {
        assert_eq!(sniff_delimiter(b"CURP;RFC;NOMBRE\nA;B;C"), b';');
        assert_eq!(sniff_delimiter(b"CURP\tRFC\n"), b'\t');
        assert_eq!(sniff_delimiter(b"CURP,RFC\n"), b',');
        assert_eq!(sniff_delimiter(b"CURP\n"), b',');
        assert_eq!(sniff_delimiter(b"Solicitud\n\nCURP;RFC\n"), b';');
    }
}
