//! The farmer registry (padrón de productores).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::common::{Checks, FieldError, text_problem};
use crate::directory::NAME_MAX;
use crate::identity::{Rfc, Sex, state_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FarmerStatus {
    /// En el padrón.
    Active,
    /// Baja por defunción (set by a RENAPO confrontation).
    Deceased,
    /// Baja administrativa.
    Deregistered,
}

impl FarmerStatus {
    pub const ALL: [FarmerStatus; 3] = [
        FarmerStatus::Active,
        FarmerStatus::Deceased,
        FarmerStatus::Deregistered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FarmerStatus::Active => "active",
            FarmerStatus::Deceased => "deceased",
            FarmerStatus::Deregistered => "deregistered",
        }
    }

    pub fn parse(value: &str) -> Option<FarmerStatus> {
        FarmerStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            FarmerStatus::Active => "Activo",
            FarmerStatus::Deceased => "Baja por defunción",
            FarmerStatus::Deregistered => "Baja administrativa",
        }
    }
}

/// A farmer of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Farmer {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "HEGG560427MVZRRL04"))]
    pub curp: String,
    pub rfc: Option<String>,
    pub given_names: String,
    pub first_surname: String,
    pub second_surname: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// CURP state code of birth (`NE` = abroad).
    pub birth_state: String,
    /// State of residence (CURP state code).
    pub state: Option<String>,
    pub municipality: Option<String>,
    /// Folio of the farmer in the ministry's programs.
    pub producer_folio: Option<String>,
    pub status: FarmerStatus,
    /// Last time RENAPO found the CURP active and not deceased.
    pub last_proof_of_life_at: Option<DateTime<Utc>>,
    pub sat_opinion: Option<String>,
    pub sat_folio: Option<String>,
    pub sat_issued_on: Option<NaiveDate>,
    pub sat_valid_until: Option<NaiveDate>,
    /// The opinion's validity today (Mexico City), computed when read.
    #[serde(default)]
    pub sat_standing: Option<crate::OpinionStanding>,
    /// The subsidy eligibility of that opinion by today's policy (`GET /sat/eligibility-policy`).
    #[serde(default)]
    pub sat_eligibility: Option<crate::EligibilityVerdict>,
    /// Increases with every change; send it back in `PATCH` to avoid overwriting someone else's edit.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Sort orders of `GET /api/v1/farmers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FarmerSort {
    /// By first surname, second surname, given names.
    #[default]
    Name,
    Curp,
    /// Most recently changed first.
    Recent,
}

impl FarmerSort {
    pub const ALL: [FarmerSort; 3] = [FarmerSort::Name, FarmerSort::Curp, FarmerSort::Recent];

    pub fn as_str(self) -> &'static str {
        match self {
            FarmerSort::Name => "name",
            FarmerSort::Curp => "curp",
            FarmerSort::Recent => "recent",
        }
    }

    pub fn parse(value: &str) -> Option<FarmerSort> {
        FarmerSort::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// How a list sorted this way is described to people.
    pub fn label(self) -> &'static str {
        match self {
            FarmerSort::Name => "Nombre",
            FarmerSort::Curp => "CURP",
            FarmerSort::Recent => "Cambios recientes",
        }
    }
}

/// Filters of `GET /api/v1/farmers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct FarmerFilter {
    /// CURP prefix (1 to 18 letters and digits).
    #[cfg_attr(feature = "openapi", param(pattern = r"^\s*[A-Za-z0-9]{0,18}\s*$"))]
    pub curp: Option<String>,
    /// Words of the name, in any order, with or without accents.
    pub q: Option<String>,
    /// State of residence (CURP state code).
    pub state: Option<String>,
    pub status: Option<FarmerStatus>,
    pub sort: Option<FarmerSort>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}

/// `PATCH /api/v1/farmers/{curp}`: the fields staff may change by hand. Names, birth data and
/// deaths come from RENAPO through confrontations. Every change needs a reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FarmerPatch {
    /// The `version` the change is based on.
    pub version: i32,
    /// Why the change is made (kept in the history).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub comment: String,
    /// New RFC; an empty string removes it.
    pub rfc: Option<String>,
    /// CURP state code of residence; an empty string removes it.
    pub state: Option<String>,
    /// An empty string removes it.
    pub municipality: Option<String>,
    /// An empty string removes it.
    pub producer_folio: Option<String>,
    /// `active` or `deregistered` (deaths are recorded by RENAPO confrontations).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::editable_farmer_status))]
    pub status: Option<FarmerStatus>,
}

impl FarmerPatch {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let Some(problem) = text_problem(&self.comment, NAME_MAX) {
            checks.push(FieldError::new(
                "comment",
                format!("Indique el motivo del cambio. {problem}"),
            ));
        }
        if let Some(rfc) = self.rfc.as_deref().filter(|r| !r.trim().is_empty())
            && let Err(problem) = Rfc::parse(rfc)
        {
            checks.push(FieldError::new("rfc", problem.message()));
        }
        if let Some(state) = self.state.as_deref().filter(|s| !s.trim().is_empty()) {
            checks.check(
                state != "NE" && state_name(&state.trim().to_uppercase()).is_some(),
                "state",
                "La entidad debe ser una clave de estado de la CURP (por ejemplo, JC o DF).",
            );
        }
        for (field, value) in [
            ("municipality", &self.municipality),
            ("producer_folio", &self.producer_folio),
        ] {
            if let Some(problem) = value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .and_then(|v| text_problem(v, NAME_MAX))
            {
                checks.push(FieldError::new(field, problem));
            }
        }
        checks.check(
            self.status != Some(FarmerStatus::Deceased),
            "status",
            "La baja por defunción solo se registra con una confronta de RENAPO.",
        );
        checks.finish()
    }
}

/// Where a registry change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Demo,
    Import,
    Edit,
    Confrontation,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Demo => "demo",
            ChangeSource::Import => "import",
            ChangeSource::Edit => "edit",
            ChangeSource::Confrontation => "confrontation",
        }
    }

    pub fn parse(value: &str) -> Option<ChangeSource> {
        [
            ChangeSource::Demo,
            ChangeSource::Import,
            ChangeSource::Edit,
            ChangeSource::Confrontation,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// One field's change in a farmer's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FarmerChange {
    pub id: i64,
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub source: ChangeSource,
    /// The import or confrontation that made the change, when there is one.
    pub source_ref: Option<String>,
    pub comment: Option<String>,
    /// `user:{id}`, `client:{id}` or `system`.
    pub actor: String,
    /// Who, as people read it: the user's name, the API client, or "Sistema".
    #[serde(default)]
    pub actor_name: String,
    /// The source as people read it: "Confronta 3 · MS-2026-000008", "Importación 2".
    #[serde(default)]
    pub source_title: Option<String>,
    pub at: DateTime<Utc>,
}

/// Where a registry import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Received, waiting for its turn.
    Queued,
    Running,
    Finished,
    /// Stopped by a problem with the whole file (`failure` says which); rows already applied stay.
    Failed,
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 4] = [
        ImportStatus::Queued,
        ImportStatus::Running,
        ImportStatus::Finished,
        ImportStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Finished => "finished",
            ImportStatus::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<ImportStatus> {
        ImportStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportStatus::Queued => "En espera",
            ImportStatus::Running => "En proceso",
            ImportStatus::Finished => "Terminada",
            ImportStatus::Failed => "Falló",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, ImportStatus::Finished | ImportStatus::Failed)
    }
}

/// A registry import: a spreadsheet of farmers upserted by CURP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryImport {
    pub id: i64,
    pub file_name: String,
    pub file_size: i64,
    pub status: ImportStatus,
    /// Share of the file processed, 0 to 100.
    pub percent: u8,
    /// Data rows read so far.
    pub rows_read: i64,
    /// Farmers added to the registry.
    pub inserted: i64,
    /// Farmers whose data changed.
    pub updated: i64,
    /// Rows identical to the registry.
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
    /// The refused rows kept with their reasons and listed under its rejections: the first
    /// ones, up to the server's limit (`rejected` counts them all).
    pub rejected_listed: i64,
    /// Why the import stopped, when it failed (Spanish).
    pub failure: Option<String>,
    /// `user:{id}` of who uploaded it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A row a registry import refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRejection {
    /// Row number as Excel shows it (record number in a CSV).
    pub row: i64,
    pub curp: Option<String>,
    /// Stable reason code, e.g. `invalid_curp`, `missing_name`, `duplicate`.
    pub reason: String,
    /// What is wrong and how to fix it (Spanish).
    pub message: String,
}

/// Filters of `GET /api/v1/registry/export.xlsx` (the same as the search's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct FarmerExportFilter {
    /// CURP prefix (1 to 18 letters and digits).
    #[cfg_attr(feature = "openapi", param(pattern = r"^\s*[A-Za-z0-9]{0,18}\s*$"))]
    pub curp: Option<String>,
    /// Words of the name, in any order, with or without accents.
    pub q: Option<String>,
    /// State of residence (CURP state code).
    pub state: Option<String>,
    pub status: Option<FarmerStatus>,
}

/// Spanish names of the registry's fields, as the history, the confrontation results and
/// their reports show them.
/// A stored value of `field` as people read it: senses, statuses, sexes and states in words,
/// dates as dd/mm/aaaa, the rest as is.
pub fn value_label(field: &str, value: &str) -> String {
    let label = match field {
        "sat_opinion" => crate::SatOutcome::parse(value).map(|o| o.label().to_owned()),
        "status" => FarmerStatus::parse(value).map(|s| s.label().to_owned()),
        "sex" => match value {
            "H" => Some(crate::Sex::Male.label().to_owned()),
            "M" => Some(crate::Sex::Female.label().to_owned()),
            _ => None,
        },
        "birth_state" | "state" => {
            crate::identity::state_name(value).map(|name| format!("{value} — {name}"))
        }
        "birth_date" | "sat_issued_on" | "sat_valid_until" => {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                .map(|day| day.format("%d/%m/%Y").to_string())
        }
        _ => None,
    };
    label.unwrap_or_else(|| value.to_owned())
}

pub fn field_label(field: &str) -> &str {
    match field {
        "curp" => "CURP",
        "rfc" => "RFC",
        "given_names" => "Nombre(s)",
        "first_surname" => "Primer apellido",
        "second_surname" => "Segundo apellido",
        "birth_date" => "Fecha de nacimiento",
        "sex" => "Sexo",
        "birth_state" => "Entidad de nacimiento",
        "state" => "Entidad de residencia",
        "municipality" => "Municipio",
        "producer_folio" => "Folio de productor",
        "status" => "Estatus",
        "sat_opinion" => "Opinión 32-D",
        "sat_folio" => "Folio de la opinión",
        "sat_issued_on" => "Emisión de la opinión",
        "sat_valid_until" => "Opinión vigente hasta",
        other => other,
    }
}
