//! `layout_curp.xlsx`: the template areas fill in
//! (`docs/architecture.md`, "Layouts and the registry").

use std::fs::File;
use std::path::Path;

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Note};

use super::LAYOUT_COLUMNS;
use crate::error::AppResult;
use crate::population::{DEMO_SEED, Population};
use crate::spreadsheet::{self, xlsx_error};

/// What each column holds, shown as a note on its header and on the instructions sheet.
const COLUMN_NOTES: [&str; 6] = [
    "Obligatoria. Clave Única de Registro de Población, 18 caracteres (por ejemplo HEGG560427MVZRRL04).",
    "Opcional. RFC de persona física con homoclave (13 caracteres). Se revisa solo como advertencia.",
    "Opcional. Nombre o nombres tal como aparecen en la CURP.",
    "Opcional. Primer apellido.",
    "Opcional. Segundo apellido; déjelo vacío si no tiene.",
    "Opcional. Folio del productor en los programas de la Secretaría.",
];

const INSTRUCTIONS: [&str; 6] = [
    "Llene una fila por productor en la hoja «Layout», debajo de los encabezados; sustituya la fila de ejemplo.",
    "La columna CURP es obligatoria; las demás son opcionales y pueden quedar vacías.",
    "Puede cambiar el orden de las columnas o agregar filas de título arriba de los encabezados (hasta 20).",
    "Las filas vacías se ignoran. Los números de fila del reporte son los que muestra Excel.",
    "También se acepta un archivo .csv (UTF-8 o Latin-1) con los mismos encabezados.",
    "Antes de enviar la solicitud, valide el archivo en Confrontas: el reporte señala CURP no válidas, repetidas o fuera del padrón.",
];

/// Rows that carry data validation (the layout's row limit).
const VALIDATED_ROWS: u32 = 1_000_001;

/// Builds the template and saves it to an anonymous file in `dir`, ready to stream.
pub fn build(dir: &Path) -> AppResult<File> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Layout").map_err(xlsx_error)?;
    let widths = [22.0, 16.0, 24.0, 20.0, 20.0, 18.0];
    let headers: Vec<(&str, f64)> = LAYOUT_COLUMNS.headers().zip(widths).collect();
    spreadsheet::write_header(sheet, 0, &headers)?;
    for (column, note) in COLUMN_NOTES.iter().enumerate() {
        sheet
            .insert_note(0, column as u16, &Note::new(*note).add_author_prefix(false))
            .map_err(xlsx_error)?;
    }
    let example = Population::new(DEMO_SEED).person(0);
    let values = [
        example.curp.to_string(),
        example.rfc.to_string(),
        example.given_names.clone(),
        example.first_surname.clone(),
        example.second_surname.clone().unwrap_or_default(),
        "PB-00000001".to_owned(),
    ];
    for (column, value) in values.iter().enumerate() {
        sheet
            .write_string(1, column as u16, value)
            .map_err(xlsx_error)?;
    }
    let curp_rule = DataValidation::new()
        .allow_text_length(DataValidationRule::EqualTo(18))
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("CURP")
        .and_then(|v| v.set_error_message("La CURP debe tener exactamente 18 caracteres."))
        .and_then(|v| v.set_input_title("CURP"))
        .and_then(|v| v.set_input_message("18 caracteres, obligatoria."))
        .map_err(xlsx_error)?;
    sheet
        .add_data_validation(1, 0, VALIDATED_ROWS, 0, &curp_rule)
        .map_err(xlsx_error)?;
    let rfc_rule = DataValidation::new()
        .allow_text_length(DataValidationRule::Between(12, 13))
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("RFC")
        .and_then(|v| {
            v.set_error_message("El RFC tiene 13 caracteres (persona física) o 12 (persona moral).")
        })
        .map_err(xlsx_error)?;
    sheet
        .add_data_validation(1, 1, VALIDATED_ROWS, 1, &rfc_rule)
        .map_err(xlsx_error)?;

    let help = workbook.add_worksheet();
    help.set_name("Instrucciones").map_err(xlsx_error)?;
    spreadsheet::write_header(help, 0, &[("Instrucciones", 110.0)])?;
    let mut row = 1;
    for line in INSTRUCTIONS {
        help.write_string(row, 0, line).map_err(xlsx_error)?;
        row += 1;
    }
    row += 1;
    for (header, note) in LAYOUT_COLUMNS.headers().zip(COLUMN_NOTES) {
        help.write_string(row, 0, format!("{header}: {note}"))
            .map_err(xlsx_error)?;
        row += 1;
    }
    spreadsheet::save_to_file(&mut workbook, dir)
}
