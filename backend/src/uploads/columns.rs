//! Finding a table's columns by their headers the way people write them: any case, with or
//! without accents, spaces or punctuation, in any order.

use actix_web::http::StatusCode;
use confrontas_api::identity::plain_upper;

use super::Row;
use crate::error::{AppError, AppResult};

/// One column a table may have.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header written in templates and reports.
    pub header: &'static str,
    /// Other headers accepted for it, as written by people.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// The columns of one kind of table, in template order.
#[derive(Debug, Clone, Copy)]
pub struct Columns(pub &'static [Column]);

/// Header text reduced to what matters: upper case letters and digits, no accents.
fn header_key(text: &str) -> String {
    plain_upper(text)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

impl Columns {
    pub fn headers(&self) -> impl Iterator<Item = &'static str> {
        self.0.iter().map(|c| c.header)
    }

    /// When `cells` is a header row (it names every required column), the cell position of each
    /// column, in the order of `self.0`.
    pub fn match_header(&self, cells: &[String]) -> AppResult<Option<Vec<Option<usize>>>> {
        let keys: Vec<String> = cells.iter().map(|c| header_key(c)).collect();
        let position = |column: &Column| -> AppResult<Option<usize>> {
            let names: Vec<String> = std::iter::once(column.header)
                .chain(column.aliases.iter().copied())
                .map(header_key)
                .collect();
            let mut found = keys
                .iter()
                .enumerate()
                .filter(|(_, key)| names.contains(key))
                .map(|(index, _)| index);
            let first = found.next();
            if first.is_some() && found.next().is_some() {
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "duplicate_column",
                    format!(
                        "La columna «{}» aparece más de una vez en los encabezados; deje solo una.",
                        column.header
                    ),
                ));
            }
            Ok(first)
        };
        let positions = self.0.iter().map(position).collect::<AppResult<Vec<_>>>()?;
        let is_header = self
            .0
            .iter()
            .zip(&positions)
            .all(|(column, position)| !column.required || position.is_some());
        Ok(is_header.then_some(positions))
    }

    pub fn header_not_found(&self) -> AppError {
        let required: Vec<&str> = self
            .0
            .iter()
            .filter(|c| c.required)
            .map(|c| c.header)
            .collect();
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "header_not_found",
            format!(
                "No se encontró la fila de encabezados en las primeras {} filas: debe tener la columna {}. Descargue la plantilla para ver el formato.",
                super::MAX_ROWS_BEFORE_HEADER,
                required
                    .iter()
                    .map(|h| format!("«{h}»"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }
}

/// One data row, read through the header's column positions.
pub struct Record<'a> {
    pub number: u32,
    pub progress: f64,
    cells: &'a [String],
    positions: &'a [Option<usize>],
}

impl<'a> Record<'a> {
    pub(super) fn new(row: &'a Row, positions: &'a [Option<usize>], progress: f64) -> Record<'a> {
        Record {
            number: row.number,
            progress,
            cells: &row.cells,
            positions,
        }
    }

    /// The trimmed value of the column at `index` of the table's [`Columns`]; empty when the
    /// file lacks the column or the cell is blank.
    pub fn value(&self, index: usize) -> &'a str {
        self.positions[index]
            .and_then(|p| self.cells.get(p))
            .map_or("", |c| c.trim())
    }

    /// Whether the file has the column at `index` at all.
    pub fn has(&self, index: usize) -> bool {
        self.positions[index].is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Columns = Columns(&[
        Column {
            header: "CURP",
            aliases: &[],
            required: true,
        },
        Column {
            header: "PRIMER APELLIDO",
            aliases: &["APELLIDO PATERNO"],
            required: false,
        },
        Column {
            header: "NOMBRE(S)",
            aliases: &["NOMBRE"],
            required: false,
        },
    ]);

    fn cells(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn headers_match_ignoring_case_accents_spaces_and_order() {
        let found = TEST
            .match_header(&cells(&["nombres", " Apellido  Paterno ", "", "curp"]))
            .unwrap()
            .unwrap();
        assert_eq!(found, vec![Some(3), Some(1), Some(0)]);
        let found = TEST
            .match_header(&cells(&["Núm.", "C.U.R.P.", "Nombre(s)"]))
            .unwrap()
            .unwrap();
        assert_eq!(found, vec![Some(1), None, Some(2)]);
    }

    #[test]
    fn a_row_without_the_required_column_is_not_the_header() {
        assert!(
            TEST.match_header(&cells(&["Solicitud de confronta", "", "Oficio 123"]))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_repeated_column_is_refused() {
        let error = TEST.match_header(&cells(&["CURP", "curp"])).unwrap_err();
        assert_eq!(error.code, "duplicate_column");
    }
}
