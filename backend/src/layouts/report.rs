//! The layout report as `.xlsx`: a summary sheet and every issue, one per row, written as the
//! check goes (the issues sheet is in constant-memory mode, so a million issues stay on disk).

use std::fs::File;
use std::path::Path;

use chrono::Utc;
use confrontas_api::{LayoutIssue, LayoutTotals};
use rust_xlsxwriter::Workbook;

use super::check::{IssueSink, LayoutCheck};
use crate::error::AppResult;
use crate::spreadsheet::{self, LAST_ROW, xlsx_error};

/// Issues go to the second sheet; the summary is written when the totals are known.
pub struct XlsxReport {
    workbook: Workbook,
    next_row: u32,
    /// Issues beyond Excel's last row, counted in the summary instead.
    omitted: u64,
}

const ISSUES_SHEET: usize = 1;

impl XlsxReport {
    pub fn new(dir: &Path) -> AppResult<XlsxReport> {
        let mut workbook = spreadsheet::new_workbook(dir)?;
        workbook
            .add_worksheet()
            .set_name("Resumen")
            .map_err(xlsx_error)?;
        spreadsheet::add_table_sheet(
            &mut workbook,
            "Observaciones",
            &[
                ("Fila", 8.0),
                ("CURP", 22.0),
                ("Tipo", 22.0),
                ("Motivo", 18.0),
                ("Detalle", 90.0),
                ("Primera aparición", 16.0),
            ],
        )?;
        Ok(XlsxReport {
            workbook,
            next_row: 1,
            omitted: 0,
        })
    }

    /// Writes the summary and saves the workbook; the file is open at its start.
    pub fn finish(mut self, file_name: &str, check: &LayoutCheck, dir: &Path) -> AppResult<File> {
        let summary = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        spreadsheet::write_header(summary, 0, &[("Concepto", 42.0), ("Valor", 40.0)])?;
        let LayoutTotals {
            rows,
            valid_rows,
            rows_with_errors,
            missing_curp,
            invalid_curp,
            duplicates,
            not_in_registry,
            rfc_warnings,
        } = check.totals;
        let text_rows = [
            ("Archivo", file_name.to_owned()),
            (
                "Revisado",
                Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
            ("Fila de encabezados", check.header_row.to_string()),
            ("Columnas reconocidas", check.columns.join(", ")),
        ];
        let counts = [
            ("Filas con datos", rows),
            ("Filas válidas", valid_rows),
            ("Filas con errores", rows_with_errors),
            ("Sin CURP", missing_curp),
            ("CURP no válidas", invalid_curp),
            ("CURP repetidas", duplicates),
            ("No están en el padrón", not_in_registry),
            ("Advertencias de RFC", rfc_warnings),
            ("Observaciones que no caben en la hoja", self.omitted),
        ];
        let mut row = 1;
        for (label, value) in text_rows {
            summary.write_string(row, 0, label).map_err(xlsx_error)?;
            summary.write_string(row, 1, value).map_err(xlsx_error)?;
            row += 1;
        }
        for (label, value) in counts {
            summary.write_string(row, 0, label).map_err(xlsx_error)?;
            summary
                .write_number(row, 1, value as f64)
                .map_err(xlsx_error)?;
            row += 1;
        }
        spreadsheet::save_to_file(&mut self.workbook, dir)
    }
}

impl IssueSink for XlsxReport {
    fn push(&mut self, issue: LayoutIssue) -> AppResult<()> {
        if self.next_row > LAST_ROW {
            self.omitted += 1;
            return Ok(());
        }
        let sheet = self
            .workbook
            .worksheet_from_index(ISSUES_SHEET)
            .map_err(xlsx_error)?;
        let row = self.next_row;
        sheet
            .write_number(row, 0, f64::from(issue.row))
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 1, &issue.curp)
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 2, issue.kind.label())
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 3, issue.reason.as_deref().unwrap_or(""))
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 4, &issue.message)
            .map_err(xlsx_error)?;
        if let Some(first) = issue.duplicate_of {
            sheet
                .write_number(row, 5, f64::from(first))
                .map_err(xlsx_error)?;
        }
        self.next_row += 1;
        Ok(())
    }
}
