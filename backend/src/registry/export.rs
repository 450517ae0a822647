//! Registry export to `.xlsx`: the farmers a search finds, all of them, streamed from the
//! database in keyset pages into a constant-memory sheet. Exporting personal data is audited.

use std::path::Path;

use confrontas_api::FarmerExportFilter;
use diesel::prelude::*;
use serde_json::json;

use super::records::{FarmerRow, Search};
use crate::audit::Actor;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::schema::farmers;
use crate::spreadsheet::{self, LAST_ROW, xlsx_error};

/// Farmers read per query.
const PAGE: i64 = 5_000;

const COLUMNS: [(&str, f64); 17] = [
    ("CURP", 22.0),
    ("RFC", 16.0),
    ("NOMBRE(S)", 22.0),
    ("PRIMER APELLIDO", 18.0),
    ("SEGUNDO APELLIDO", 18.0),
    ("FECHA DE NACIMIENTO", 14.0),
    ("SEXO", 6.0),
    ("ENTIDAD DE NACIMIENTO", 10.0),
    ("ENTIDAD", 10.0),
    ("MUNICIPIO", 20.0),
    ("FOLIO PRODUCTOR", 16.0),
    ("ESTATUS", 20.0),
    ("ÚLTIMA FE DE VIDA", 20.0),
    ("OPINIÓN SAT", 14.0),
    ("FOLIO SAT", 16.0),
    ("VIGENCIA SAT", 14.0),
    ("VERSIÓN", 8.0),
];

/// Writes the farmers `search` finds (`filter` as asked) into a workbook under `dir`, and
/// audits the export; the file, ready to send.
pub fn workbook(
    conn: &mut AnyConnection,
    search: &Search,
    filter: &FarmerExportFilter,
    actor: &Actor,
    dir: &Path,
) -> AppResult<std::fs::File> {
    let mut workbook = spreadsheet::new_workbook(dir)?;
    let sheet = spreadsheet::add_table_sheet(&mut workbook, "Padrón", &COLUMNS)?;
    let policy = crate::sat::eligibility::policy(conn)?;
    let mut after_id = 0i64;
    let mut line = 0u32;
    'pages: loop {
        let page = search
            .query()
            .filter(farmers::id.gt(after_id))
            .order(farmers::id.asc())
            .limit(PAGE)
            .select(FarmerRow::as_select())
            .load(conn)?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        for farmer in page {
            if line == LAST_ROW {
                break 'pages;
            }
            line += 1;
            let dto = farmer.into_dto(&policy)?;
            let values = [
                dto.curp,
                dto.rfc.unwrap_or_default(),
                dto.given_names,
                dto.first_surname,
                dto.second_surname.unwrap_or_default(),
                dto.birth_date.to_string(),
                dto.sex.letter().to_string(),
                dto.birth_state,
                dto.state.unwrap_or_default(),
                dto.municipality.unwrap_or_default(),
                dto.producer_folio.unwrap_or_default(),
                dto.status.label().to_owned(),
                dto.last_proof_of_life_at
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                dto.sat_opinion.unwrap_or_default(),
                dto.sat_folio.unwrap_or_default(),
                dto.sat_valid_until
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                dto.version.to_string(),
            ];
            for (column, value) in values.iter().enumerate() {
                // Text cells only: a value like "=HYPERLINK(…)" stays text in Excel.
                sheet
                    .write_string(line, column as u16, value)
                    .map_err(xlsx_error)?;
            }
        }
    }
    conn.write_transaction(|conn| {
        actor.record(
            conn,
            "registry_exported",
            "registry",
            "export",
            json!({ "rows": line, "curp": filter.curp, "q": filter.q,
                    "state": filter.state, "status": filter.status }),
        )
    })?;
    spreadsheet::save_to_file(&mut workbook, dir)
}
