//! The request list as a file people open in a spreadsheet: the rows a list's filters select,
//! in its order, with labels and dates as people read them (`.xlsx`, and `.csv` in UTF-8 with
//! a byte-order mark so that Excel reads the accents).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use confrontas_api::RequestSummary;

use crate::calendar::rules::TIME_ZONE;
use crate::error::{AppError, AppResult};
use crate::spreadsheet::{self, neutralize};

const COLUMNS: [(&str, f64); 10] = [
    ("Ticket", 18.0),
    ("Folio", 18.0),
    ("Tipo", 22.0),
    ("Asunto", 48.0),
    ("Unidad", 40.0),
    ("Estado", 18.0),
    ("Nivel de servicio", 18.0),
    ("Vence", 12.0),
    ("Recibida", 18.0),
    ("Último cambio", 18.0),
];

fn local_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&TIME_ZONE)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// One request as the export's cells, in [`COLUMNS`]' order.
fn cells(request: &RequestSummary) -> [String; 10] {
    [
        request.ticket_number.clone(),
        request.folio.clone().unwrap_or_default(),
        request.request_type.short_label().to_owned(),
        request.subject.clone(),
        format!("{} — {}", request.unit.key, request.unit.name),
        request.state.label().to_owned(),
        request
            .sla_status
            .map(|s| s.label().to_owned())
            .unwrap_or_default(),
        request
            .due_date
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        local_time(request.submitted_at),
        local_time(request.updated_at),
    ]
}

/// The requests as a workbook with one sheet, saved to an anonymous file in `dir`.
pub fn xlsx(requests: &[RequestSummary], dir: &Path) -> AppResult<std::fs::File> {
    let mut workbook = spreadsheet::new_workbook(dir)?;
    let sheet = spreadsheet::add_table_sheet(&mut workbook, "Solicitudes", &COLUMNS)?;
    for (row, request) in requests
        .iter()
        .enumerate()
        .take(spreadsheet::LAST_ROW as usize)
    {
        for (column, text) in cells(request).iter().enumerate() {
            sheet
                .write_string(row as u32 + 1, column as u16, text.as_str())
                .map_err(spreadsheet::xlsx_error)?;
        }
    }
    spreadsheet::save_to_file(&mut workbook, dir)
}

/// The requests as CSV, saved to an anonymous file in `dir`.
pub fn csv(requests: &[RequestSummary], dir: &Path) -> AppResult<std::fs::File> {
    let csv_error = |e: ::csv::Error| AppError::internal(format!("csv writer: {e}"));
    let mut file = tempfile::tempfile_in(dir).map_err(AppError::internal)?;
    file.write_all("\u{feff}".as_bytes())
        .map_err(AppError::internal)?;
    let mut writer = ::csv::Writer::from_writer(std::io::BufWriter::new(&mut file));
    writer
        .write_record(COLUMNS.iter().map(|(title, _)| *title))
        .map_err(csv_error)?;
    for request in requests {
        writer
            .write_record(cells(request).iter().map(|c| neutralize(c).into_owned()))
            .map_err(csv_error)?;
    }
    writer.flush().map_err(AppError::internal)?;
    drop(writer);
    use std::io::Seek;
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}
