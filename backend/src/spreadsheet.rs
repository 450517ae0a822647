//! Writing `.xlsx` files for people: one look for every workbook we produce, and the download
//! response. Values are always written as text cells (never formulas), so a farmer named
//! `=HYPERLINK(…)` cannot become a formula in Excel.

use std::fs::File;
use std::path::Path;

use actix_web::{HttpRequest, HttpResponse};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::error::{AppError, AppResult};

/// A cell value as it may be written for a spreadsheet program: text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading apostrophe, so that opening the file
/// (a CSV above all) never turns someone's data into a formula.
pub fn neutralize(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Excel's last row (0-based): a sheet cannot hold more.
pub const LAST_ROW: u32 = 1_048_575;

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x1F4E3D))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin)
}

pub fn xlsx_error(error: XlsxError) -> AppError {
    AppError::internal(format!("xlsx writer: {error}"))
}

/// Writes a bold header row with column widths, and freezes it.
pub fn write_header(sheet: &mut Worksheet, row: u32, headers: &[(&str, f64)]) -> AppResult<()> {
    let format = header_format();
    for (column, (title, width)) in headers.iter().enumerate() {
        let column = column as u16;
        sheet
            .write_string_with_format(row, column, *title, &format)
            .map_err(xlsx_error)?;
        sheet.set_column_width(column, *width).map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(row + 1, 0).map_err(xlsx_error)?;
    Ok(())
}

/// Adds a constant-memory sheet (rows go to disk as written, in order) named `name`, with a
/// header row.
pub fn add_table_sheet<'a>(
    workbook: &'a mut Workbook,
    name: &str,
    headers: &[(&str, f64)],
) -> AppResult<&'a mut Worksheet> {
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(xlsx_error)?;
    sheet.set_name(name).map_err(xlsx_error)?;
    write_header(sheet, 0, headers)?;
    Ok(sheet)
}

/// A workbook whose constant-memory sheets spill to `dir` (never the system temp directory,
/// which may be small).
pub fn new_workbook(dir: &Path) -> AppResult<Workbook> {
    let mut workbook = Workbook::new();
    workbook.set_tempdir(dir).map_err(xlsx_error)?;
    Ok(workbook)
}

/// Saves the workbook to an anonymous file in `dir` and returns it open for reading: the file
/// has no name left to clean up, and is streamed from disk instead of held in memory.
pub fn save_to_file(workbook: &mut Workbook, dir: &Path) -> AppResult<File> {
    let mut file = tempfile::tempfile_in(dir).map_err(AppError::internal)?;
    workbook.save_to_writer(&mut file).map_err(xlsx_error)?;
    use std::io::Seek;
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}

/// The download response for a saved workbook.
pub fn download(request: &HttpRequest, file: File, file_name: &str) -> AppResult<HttpResponse> {
    crate::download::attachment(request, file, file_name, XLSX_CONTENT_TYPE)
}

#[cfg(test)]
mod tests {
    use super::neutralize;

    #[test]
    fn values_that_would_start_a_formula_are_neutralized() {
        for text in ["=HYPERLINK(\"x\")", "+52", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(text), format!("'{text}"));
        }
        assert_eq!(neutralize("MARÍA"), "MARÍA");
        assert_eq!(neutralize(""), "");
    }
}
