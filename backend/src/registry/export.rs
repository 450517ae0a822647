//! Registry export to `.xlsx`: the farmers a search finds, all of them, streamed from the
//! database in keyset pages into a constant-memory sheet. Exporting personal data is audited.

use actix_web::{HttpRequest, HttpResponse, get, web};
use confrontas_api::FarmerExportFilter;
use diesel::prelude::*;
use serde_json::json;

use super::{FarmerRow, RegistryStaff, Search};
use crate::api_doc::{BadRequest, Forbidden, Unauthenticated, Unprocessable};
use crate::app::AppState;
use crate::auth::principal::Staff;
use crate::error::{AppError, AppResult};
use crate::schema::farmers;
use crate::spreadsheet::{self, LAST_ROW, xlsx_error};

/// Farmers read per query.
const PAGE: i64 = 5_000;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(export_farmers);
}

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

/// The farmers a search finds, as `.xlsx` (in registration order). Same filters as
/// `GET /farmers`; up to Excel's 1,048,575 rows.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(FarmerExportFilter),
    responses(
        (status = 200, description = "The farmers", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, Unprocessable
    )
)]
#[get("/registry/export.xlsx")]
async fn export_farmers(
    state: web::Data<AppState>,
    staff: Staff<RegistryStaff>,
    request: HttpRequest,
    filter: web::Query<FarmerExportFilter>,
) -> AppResult<HttpResponse> {
    let filter = filter.into_inner();
    let search = Search::new(&filter.curp, &filter.q, &filter.state, filter.status)?;
    let (pool, dir, actor) = (state.pool.clone(), state.uploads_dir(), staff.actor());
    let file = state
        .parse_permits
        .run(move || {
            let mut conn = pool.get().map_err(AppError::internal)?;
            let mut workbook = spreadsheet::new_workbook(&dir)?;
            let sheet = spreadsheet::add_table_sheet(&mut workbook, "Padrón", &COLUMNS)?;
            let mut after_id = 0i64;
            let mut line = 0u32;
            'pages: loop {
                let page = search
                    .query()
                    .filter(farmers::id.gt(after_id))
                    .order(farmers::id.asc())
                    .limit(PAGE)
                    .select(FarmerRow::as_select())
                    .load(&mut *conn)?;
                let Some(last) = page.last() else { break };
                after_id = last.id;
                for farmer in page {
                    if line == LAST_ROW {
                        break 'pages;
                    }
                    line += 1;
                    let dto = farmer.into_dto()?;
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
            spreadsheet::save_to_file(&mut workbook, &dir)
        })
        .await?;
    let name = format!("padron_{}.xlsx", chrono::Utc::now().format("%Y%m%d"));
    spreadsheet::download(&request, file, &name)
}
