//! The exchange-file provider (`docs/sat-protocol.md`, "The exchange file"): the RFC list the
//! SAT receives under the agreement,
//! and the SAT's answer file read back, checked row by row, and applied to the confrontation's
//! items all at once — or refused whole, with every row's problem, when any row is wrong.
//!
//! **What the SAT receives** (`GET /confrontations/{id}/sat/exchange.xlsx` or `.txt`): the RFCs
//! still waiting for an answer, in layout order, each once.
//! - `.xlsx`: sheet `Solicitud32D`, headers `CONSECUTIVO` and `RFC`.
//! - `.txt`: fixed width, ISO-8859-1 (so `Ñ` is one byte), CRLF after every record, no header;
//!   positions 1–7 the consecutive number with leading zeros, 8–20 the RFC left-aligned and
//!   padded with spaces (personas morales have 12 characters).
//!
//! **What the SAT answers** (`POST /confrontations/{id}/sat/answers`, `.xlsx` or `.csv`): one
//! row per RFC with the headers `RFC`, `SENTIDO`, `FOLIO`, `FECHA_EMISION` (found in any order
//! and case; accents and spaces ignored). `SENTIDO` as the opinion prints it (`POSITIVO`,
//! `NEGATIVA`, `En suspensión de actividades`, `INSCRITO SIN OBLIGACIONES`, `NO INSCRITO`, or
//! the QR's `P`/`N`); `FOLIO` and `FECHA_EMISION` (`dd-mm-aaaa`, `dd/mm/aaaa`, `aaaa-mm-dd` or
//! an Excel date) required except for `NO INSCRITO`. A row is wrong when its RFC is malformed,
//! was not asked, or repeats; when the sense is unknown; when a folio or date is missing or
//! invalid. RFCs the file does not answer are classified `not_answered`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use confrontas_api::{ANSWER_ERRORS_SHOWN, AnswerRowError, Rfc, SatOutcome};

use super::opinion::SatAnswer;
use crate::error::{AppError, AppResult};
use crate::spreadsheet::{self, neutralize, xlsx_error};
use crate::uploads::{self, Column, Columns, SheetFormat, UploadLimits};

/// Columns of the SAT's answer file.
pub const ANSWER_COLUMNS: Columns = Columns(&[
    Column {
        header: "RFC",
        aliases: &["CLAVE RFC", "CLAVE DE RFC"],
        required: true,
    },
    Column {
        header: "SENTIDO",
        aliases: &["OPINION", "RESULTADO", "SENTIDO DE LA OPINION"],
        required: true,
    },
    Column {
        header: "FOLIO",
        aliases: &["FOLIO DE LA OPINION"],
        required: true,
    },
    Column {
        header: "FECHA_EMISION",
        aliases: &["FECHA DE EMISION", "FECHA", "EMISION"],
        required: true,
    },
]);

/// The `.xlsx` the SAT receives, saved to an anonymous file in `dir`.
pub fn export_xlsx(rfcs: &[String], dir: &Path) -> AppResult<std::fs::File> {
    let mut workbook = spreadsheet::new_workbook(dir)?;
    let sheet = spreadsheet::add_table_sheet(
        &mut workbook,
        "Solicitud32D",
        &[("CONSECUTIVO", 14.0), ("RFC", 18.0)],
    )?;
    for (index, rfc) in rfcs.iter().enumerate() {
        let row = index as u32 + 1;
        sheet
            .write_number(row, 0, f64::from(row))
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 1, neutralize(rfc))
            .map_err(xlsx_error)?;
    }
    spreadsheet::save_to_file(&mut workbook, dir)
}

/// One record of the fixed-width text: 20 bytes in ISO-8859-1 and CRLF.
fn fixed_width_record(consecutive: usize, rfc: &str) -> Vec<u8> {
    let mut line: Vec<u8> = format!("{consecutive:07}{rfc:<13}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    line.extend_from_slice(b"\r\n");
    line
}

/// The fixed-width `.txt` the SAT receives, written to an anonymous file in `dir`.
pub fn export_text(rfcs: &[String], dir: &Path) -> AppResult<std::fs::File> {
    let file = tempfile::tempfile_in(dir).map_err(AppError::internal)?;
    let mut out = std::io::BufWriter::new(file);
    for (index, rfc) in rfcs.iter().enumerate() {
        out.write_all(&fixed_width_record(index + 1, rfc))
            .map_err(AppError::internal)?;
    }
    let mut file = out
        .into_inner()
        .map_err(|e| AppError::internal(e.to_string()))?;
    use std::io::Seek;
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}

/// An answer file read and checked.
#[derive(Debug, Default)]
pub struct ReadAnswers {
    pub rows: u64,
    pub answers: HashMap<String, SatAnswer>,
    pub error_count: u64,
    pub errors: Vec<AnswerRowError>,
}

fn answer_date(text: &str) -> Option<NaiveDate> {
    ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
}

/// Checks one row; the answer, or what is wrong with it.
fn read_row(
    rfc: &str,
    sense: &str,
    folio: &str,
    date: &str,
    asked: &HashSet<String>,
) -> Result<(Rfc, SatAnswer), String> {
    if rfc.is_empty() {
        return Err("La fila no tiene RFC.".into());
    }
    let rfc = Rfc::parse(rfc).map_err(|p| format!("RFC no válido: {}", p.message()))?;
    if !asked.contains(rfc.as_str()) {
        return Err("Ese RFC no se envió al SAT en esta confronta.".into());
    }
    let outcome = SatOutcome::from_text(sense).ok_or_else(|| {
        format!(
            "Sentido «{}» no reconocido: use Positiva, Negativa, En suspensión de actividades, Inscrito sin obligaciones o No inscrito.",
            sense.chars().take(40).collect::<String>()
        )
    })?;
    if !outcome.has_document() {
        return Ok((
            rfc,
            SatAnswer {
                outcome,
                folio: None,
                issued_on: None,
            },
        ));
    }
    let folio = folio.to_ascii_uppercase();
    if folio.is_empty() || folio.len() > 30 || !folio.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("Falta el folio de la opinión o no es válido (solo letras y dígitos).".into());
    }
    let issued_on = answer_date(date).ok_or_else(|| {
        "Falta la fecha de emisión o no es una fecha válida (dd-mm-aaaa).".to_owned()
    })?;
    let today = crate::calendar::rules::local_date(chrono::Utc::now());
    if let Some(message) = super::opinion::issued_in_the_future(issued_on, today) {
        return Err(message);
    }
    Ok((
        rfc,
        SatAnswer {
            outcome,
            folio: Some(folio),
            issued_on: Some(issued_on),
        },
    ))
}

/// Reads the SAT's answer file at `path`: every row checked against the RFCs `asked`.
pub fn read_answers(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    asked: &HashSet<String>,
) -> AppResult<ReadAnswers> {
    let mut read = ReadAnswers::default();
    let mut first_row: HashMap<String, u32> = HashMap::new();
    uploads::read_table(path, format, limits, &ANSWER_COLUMNS, |record| {
        read.rows += 1;
        let rfc = record.value(0);
        let outcome = read_row(
            rfc,
            record.value(1),
            record.value(2),
            record.value(3),
            asked,
        )
        .and_then(|(rfc, answer)| match first_row.get(rfc.as_str()) {
            Some(first) => Err(format!("El RFC se repite: ya viene en la fila {first}.")),
            None => Ok((rfc, answer)),
        });
        match outcome {
            Ok((rfc, answer)) => {
                first_row.insert(rfc.as_str().to_owned(), record.number);
                read.answers.insert(rfc.as_str().to_owned(), answer);
            }
            Err(message) => {
                read.error_count += 1;
                if read.errors.len() < ANSWER_ERRORS_SHOWN {
                    read.errors.push(AnswerRowError {
                        row: record.number,
                        rfc: Some(rfc.chars().take(20).collect::<String>())
                            .filter(|r| !r.is_empty()),
                        message,
                    });
                }
            }
        }
        Ok(())
    })?;
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_records_are_twenty_bytes_in_latin1() {
        assert_eq!(
            fixed_width_record(1, "GODE561231GR8"),
            b"0000001GODE561231GR8\r\n".to_vec()
        );
        assert_eq!(
            fixed_width_record(12, "MAB9307148T4"),
            b"0000012MAB9307148T4 \r\n".to_vec()
        );
        let with_enye = fixed_width_record(3, "MUÑ110218LJ6");
        assert_eq!(with_enye.len(), 22);
        assert_eq!(with_enye[9], 0xD1, "Ñ is one ISO-8859-1 byte");
    }

    #[test]
    fn answer_rows_are_checked_one_by_one() {
        let asked: HashSet<String> = ["GODE561231GR8".to_owned()].into();
        let ok = read_row(
            "gode561231gr8",
            "POSITIVO",
            "26ne9193705",
            "27/11/2026",
            &asked,
        )
        .unwrap();
        assert_eq!(ok.1.outcome, SatOutcome::Positiva);
        assert_eq!(ok.1.folio.as_deref(), Some("26NE9193705"));
        assert_eq!(ok.1.issued_on, NaiveDate::from_ymd_opt(2026, 11, 27));
        let none = read_row("GODE561231GR8", "No inscrito", "", "", &asked).unwrap();
        assert_eq!(none.1.folio, None);
        let today = crate::calendar::rules::local_date(chrono::Utc::now());
        let tomorrow = today.succ_opt().unwrap().format("%d-%m-%Y").to_string();
        let issued_today = today.format("%d-%m-%Y").to_string();
        assert!(read_row("GODE561231GR8", "P", "A1", &issued_today, &asked).is_ok());
        for (rfc, sense, folio, date, says) in [
            ("", "P", "A1", "01-01-2026", "no tiene RFC"),
            ("NOESRFC", "P", "A1", "01-01-2026", "RFC no válido"),
            ("MAB9307148T4", "P", "A1", "01-01-2026", "no se envió"),
            (
                "GODE561231GR8",
                "TAL VEZ",
                "A1",
                "01-01-2026",
                "no reconocido",
            ),
            ("GODE561231GR8", "N", "", "01-01-2026", "folio"),
            ("GODE561231GR8", "N", "A-1", "01-01-2026", "folio"),
            ("GODE561231GR8", "N", "A1", "31-02-2026", "fecha"),
            ("GODE561231GR8", "P", "A1", &tomorrow, "posterior a hoy"),
        ] {
            let problem = read_row(rfc, sense, folio, date, &asked).unwrap_err();
            assert!(
                problem.contains(says),
                "{rfc}/{sense}/{folio}/{date}: {problem}"
            );
        }
    }
}
