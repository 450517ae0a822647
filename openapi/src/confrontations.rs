//! Confrontations (`docs/architecture.md`, "Confrontations"): a request's layout checked against
//! an authority, item by item,
//! classified, then applied to the registry (or reverted) by the sub-directorate. The metrics
//! and KPIs are defined here once, so the server's reports and the SPA's cards agree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::common::thousands;
use crate::identity::RfcWarning;
use crate::registry::field_label;
use crate::requests::{PersonRef, RequestType};
use crate::sat::{OutcomeCount, SatProvider};

/// The authority a confrontation asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    Renapo,
    Sat,
}

impl Authority {
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::Renapo => "renapo",
            Authority::Sat => "sat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Authority::Renapo => "RENAPO",
            Authority::Sat => "SAT",
        }
    }

    pub fn parse(value: &str) -> Option<Authority> {
        [Authority::Renapo, Authority::Sat]
            .into_iter()
            .find(|a| a.as_str() == value)
    }

    /// The authority a request of `kind` is confronted with, if any.
    pub fn of_request(kind: RequestType) -> Option<Authority> {
        match kind {
            RequestType::Renapo => Some(Authority::Renapo),
            RequestType::Sat => Some(Authority::Sat),
            RequestType::Certificate => None,
        }
    }
}

/// Where a confrontation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfrontationState {
    /// Items are being queried.
    Running,
    /// The authority does not answer (or its certificate is not trusted): the job waits and
    /// continues by itself when it answers again.
    WaitingAuthority,
    /// Stopped by a person between chunks; `resume` continues it.
    Paused,
    /// Stopped for good; items already classified keep their result.
    Cancelled,
    /// Every item is classified: the results can be applied.
    Finished,
}

impl ConfrontationState {
    pub const ALL: [ConfrontationState; 5] = [
        ConfrontationState::Running,
        ConfrontationState::WaitingAuthority,
        ConfrontationState::Paused,
        ConfrontationState::Cancelled,
        ConfrontationState::Finished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConfrontationState::Running => "running",
            ConfrontationState::WaitingAuthority => "waiting_authority",
            ConfrontationState::Paused => "paused",
            ConfrontationState::Cancelled => "cancelled",
            ConfrontationState::Finished => "finished",
        }
    }

    pub fn parse(value: &str) -> Option<ConfrontationState> {
        ConfrontationState::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            ConfrontationState::Running => "En proceso",
            ConfrontationState::WaitingAuthority => "En espera de la autoridad",
            ConfrontationState::Paused => "En pausa",
            ConfrontationState::Cancelled => "Cancelada",
            ConfrontationState::Finished => "Terminada",
        }
    }

    /// Still moving (or able to move again).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ConfrontationState::Running
                | ConfrontationState::WaitingAuthority
                | ConfrontationState::Paused
        )
    }
}

/// What a person asks of a confrontation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfrontationControl {
    Pause,
    Resume,
    Cancel,
}

impl ConfrontationControl {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfrontationControl::Pause => "pause",
            ConfrontationControl::Resume => "resume",
            ConfrontationControl::Cancel => "cancel",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConfrontationControl::Pause => "Pausar",
            ConfrontationControl::Resume => "Reanudar",
            ConfrontationControl::Cancel => "Cancelar",
        }
    }

    /// The states it leaves from.
    pub fn from_states(self) -> &'static [ConfrontationState] {
        match self {
            ConfrontationControl::Pause => &[
                ConfrontationState::Running,
                ConfrontationState::WaitingAuthority,
            ],
            ConfrontationControl::Resume => &[ConfrontationState::Paused],
            ConfrontationControl::Cancel => &[
                ConfrontationState::Running,
                ConfrontationState::WaitingAuthority,
                ConfrontationState::Paused,
            ],
        }
    }

    pub fn to_state(self) -> ConfrontationState {
        match self {
            ConfrontationControl::Pause => ConfrontationState::Paused,
            ConfrontationControl::Resume => ConfrontationState::Running,
            ConfrontationControl::Cancel => ConfrontationState::Cancelled,
        }
    }
}

/// The outcome of one layout row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Published wording, kept as it is (`docs/architecture.md`, "The contract").
#[cfg_attr(
    feature = "openapi",
    schema(description = "The outcome of one layout row (DESIGN §8).")
)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// The authority's record matches the registry; alive (proof of life).
    NoUpdate,
    /// Some field differs, or the person died.
    Update,
    /// The row cannot be confronted or its answer cannot be used.
    CannotUpdate,
}

impl Classification {
    pub const ALL: [Classification; 3] = [
        Classification::NoUpdate,
        Classification::Update,
        Classification::CannotUpdate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::NoUpdate => "no_update",
            Classification::Update => "update",
            Classification::CannotUpdate => "cannot_update",
        }
    }

    pub fn parse(value: &str) -> Option<Classification> {
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Classification::NoUpdate => "Sin actualización",
            Classification::Update => "Actualizar",
            Classification::CannotUpdate => "No se puede actualizar",
        }
    }
}

/// Why an item got its classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemReason {
    /// The record is identical and the CURP is active.
    Identical,
    /// Some fields differ (listed in `changes`).
    DataChanged,
    /// RENAPO reports the death (`statusCurp = BD`).
    Deceased,
    /// The row has no CURP.
    MissingCurp,
    /// The row's CURP is not well formed.
    InvalidCurp,
    /// The CURP already appears in an earlier row.
    DuplicateRow,
    /// The CURP is not in the farmer registry.
    NotInRegistry,
    /// RENAPO does not have the CURP (`01/06`).
    NotFound,
    /// RENAPO considers the CURP malformed (`01/09`).
    RejectedByAuthority,
    /// The CURP is inactive for a reason other than death (`BAP`, `BSU`, `BDA`…).
    CurpInactive,
    /// A `statusCurp` in no public list: left for review.
    UnknownStatus,
    /// RENAPO reports a new CURP for the person that another farmer already has.
    NewCurpInRegistry,
    /// The authority refused the query with another error.
    AuthorityRefused,
    /// The authority kept failing after every retry.
    AuthorityUnavailable,
    /// The answer could not be used (malformed, oversized, for another CURP, redirected).
    UnusableAnswer,
    /// SAT: the registry already holds this opinion, or one of the same sense still valid.
    SameOpinion,
    /// SAT: the registry had no opinion for the farmer.
    NewOpinion,
    /// SAT: the opinion differs from the registry's (sense, folio or dates).
    ChangedOpinion,
    /// SAT: no RFC in the layout row nor in the registry.
    MissingRfc,
    /// SAT: the RFC is not well formed.
    InvalidRfc,
    /// SAT: the answer file does not answer the RFC.
    NotAnswered,
    /// SAT: the RFC contradicts the CURP (birth date or name letters), or is a generic one.
    RfcMismatch,
    /// SAT: a legal entity's RFC on a person's CURP.
    RfcOfLegalEntity,
    /// SAT: another farmer of the registry (or an earlier row of the layout) holds the RFC.
    RfcHeldByOther,
}

impl ItemReason {
    pub const ALL: [ItemReason; 24] = [
        ItemReason::Identical,
        ItemReason::DataChanged,
        ItemReason::Deceased,
        ItemReason::MissingCurp,
        ItemReason::InvalidCurp,
        ItemReason::DuplicateRow,
        ItemReason::NotInRegistry,
        ItemReason::NotFound,
        ItemReason::RejectedByAuthority,
        ItemReason::CurpInactive,
        ItemReason::UnknownStatus,
        ItemReason::NewCurpInRegistry,
        ItemReason::AuthorityRefused,
        ItemReason::AuthorityUnavailable,
        ItemReason::UnusableAnswer,
        ItemReason::SameOpinion,
        ItemReason::NewOpinion,
        ItemReason::ChangedOpinion,
        ItemReason::MissingRfc,
        ItemReason::InvalidRfc,
        ItemReason::NotAnswered,
        ItemReason::RfcMismatch,
        ItemReason::RfcOfLegalEntity,
        ItemReason::RfcHeldByOther,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemReason::Identical => "identical",
            ItemReason::DataChanged => "data_changed",
            ItemReason::Deceased => "deceased",
            ItemReason::MissingCurp => "missing_curp",
            ItemReason::InvalidCurp => "invalid_curp",
            ItemReason::DuplicateRow => "duplicate_row",
            ItemReason::NotInRegistry => "not_in_registry",
            ItemReason::NotFound => "not_found",
            ItemReason::RejectedByAuthority => "rejected_by_authority",
            ItemReason::CurpInactive => "curp_inactive",
            ItemReason::UnknownStatus => "unknown_status",
            ItemReason::NewCurpInRegistry => "new_curp_in_registry",
            ItemReason::AuthorityRefused => "authority_refused",
            ItemReason::AuthorityUnavailable => "authority_unavailable",
            ItemReason::UnusableAnswer => "unusable_answer",
            ItemReason::SameOpinion => "same_opinion",
            ItemReason::NewOpinion => "new_opinion",
            ItemReason::ChangedOpinion => "changed_opinion",
            ItemReason::MissingRfc => "missing_rfc",
            ItemReason::InvalidRfc => "invalid_rfc",
            ItemReason::NotAnswered => "not_answered",
            ItemReason::RfcMismatch => "rfc_mismatch",
            ItemReason::RfcOfLegalEntity => "rfc_of_legal_entity",
            ItemReason::RfcHeldByOther => "rfc_held_by_other",
        }
    }

    pub fn parse(value: &str) -> Option<ItemReason> {
        ItemReason::ALL.into_iter().find(|r| r.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemReason::Identical => "Datos idénticos; CURP vigente (vivencia acreditada)",
            ItemReason::DataChanged => "Datos distintos en la autoridad",
            ItemReason::Deceased => "Baja por defunción en RENAPO",
            ItemReason::MissingCurp => "Fila sin CURP",
            ItemReason::InvalidCurp => "CURP con formato inválido",
            ItemReason::DuplicateRow => "CURP repetida en el layout",
            ItemReason::NotInRegistry => "CURP que no está en el padrón",
            ItemReason::NotFound => "CURP no encontrada en RENAPO",
            ItemReason::RejectedByAuthority => "RENAPO rechazó la CURP por formato",
            ItemReason::CurpInactive => "CURP dada de baja por otra causa",
            ItemReason::UnknownStatus => "Estatus de CURP desconocido (revisión manual)",
            ItemReason::NewCurpInRegistry => "La CURP nueva ya pertenece a otro productor",
            ItemReason::AuthorityRefused => "La autoridad rechazó la consulta",
            ItemReason::AuthorityUnavailable => "La autoridad no respondió tras los reintentos",
            ItemReason::UnusableAnswer => "Respuesta de la autoridad inutilizable",
            ItemReason::SameOpinion => "Misma opinión del SAT, vigente",
            ItemReason::NewOpinion => "Opinión del SAT nueva en el padrón",
            ItemReason::ChangedOpinion => "Opinión del SAT distinta de la del padrón",
            ItemReason::MissingRfc => "Sin RFC en el layout ni en el padrón",
            ItemReason::InvalidRfc => "RFC con formato inválido",
            ItemReason::NotAnswered => "El archivo de respuesta del SAT no trae el RFC",
            ItemReason::RfcMismatch => "El RFC no corresponde a la CURP",
            ItemReason::RfcOfLegalEntity => "RFC de persona moral en la CURP de una persona",
            ItemReason::RfcHeldByOther => "El RFC ya es de otro productor",
        }
    }

    /// Whether a confrontation with `authority` can give this reason.
    pub fn applies_to(self, authority: Authority) -> bool {
        use ItemReason::*;
        match self {
            MissingCurp | InvalidCurp | DuplicateRow | NotInRegistry | AuthorityRefused
            | AuthorityUnavailable | UnusableAnswer => true,
            Identical | DataChanged | Deceased | NotFound | RejectedByAuthority | CurpInactive
            | UnknownStatus | NewCurpInRegistry => authority == Authority::Renapo,
            SameOpinion | NewOpinion | ChangedOpinion | MissingRfc | InvalidRfc | NotAnswered
            | RfcMismatch | RfcOfLegalEntity | RfcHeldByOther => authority == Authority::Sat,
        }
    }

    /// The classification this reason goes with.
    pub fn classification(self) -> Classification {
        match self {
            ItemReason::Identical | ItemReason::SameOpinion => Classification::NoUpdate,
            ItemReason::DataChanged
            | ItemReason::Deceased
            | ItemReason::NewOpinion
            | ItemReason::ChangedOpinion => Classification::Update,
            _ => Classification::CannotUpdate,
        }
    }
}

/// RENAPO's `statusCurp` with its meaning, as people read it ("BD — Baja por defunción"); a
/// code in no public list stays as it came (the union of the lists in the reference).
pub fn renapo_status_label(code: &str) -> String {
    let meaning = match code {
        "AN" => "Alta normal",
        "AH" => "Alta con homonimia",
        "CRA" => "CURP reactivada",
        "RCN" => "Registro de cambio no afectando a la CURP",
        "RCC" => "Registro de cambio afectando a la CURP",
        "BD" => "Baja por defunción",
        "BSU" => "Baja sin uso",
        "BAP" => "Baja por documento apócrifo",
        "BDM" => "Baja administrativa",
        "BDP" => "Baja por adopción",
        "BJD" => "Baja judicial",
        "BDA" => "Baja por duplicidad",
        "BCC" => "Baja por cambio en la CURP",
        "BCN" => "Baja no afectando a la CURP",
        _ => return code.to_owned(),
    };
    format!("{code} — {meaning}")
}

impl From<crate::RfcOwnership> for ItemReason {
    /// Why a row's RFC cannot be the farmer's, as the row's reason.
    fn from(problem: crate::RfcOwnership) -> ItemReason {
        match problem {
            crate::RfcOwnership::LegalEntity => ItemReason::RfcOfLegalEntity,
            crate::RfcOwnership::Contradicts => ItemReason::RfcMismatch,
        }
    }
}

/// One field the authority has differently: registry value before → authority value after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// `curp`, `given_names`, `first_surname`, `second_surname`, `birth_date`, `sex`,
    /// `birth_state` or `status`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl FieldChange {
    /// "Nombre(s): Juan → JUAN GUADALUPE", with "(vacío)" for no value and coded values
    /// (an opinion's sense, a farmer's status) in words.
    pub fn describe(&self) -> String {
        let value = |v: &Option<String>| match v.as_deref() {
            None => "(vacío)".to_owned(),
            Some(text) => crate::registry::value_label(&self.field, text),
        };
        format!(
            "{}: {} → {}",
            field_label(&self.field),
            value(&self.before),
            value(&self.after)
        )
    }
}

/// Counts of a confrontation: `to_update + no_update + cannot_update = to_process`
/// once every item is classified; `deceased` is part of `to_update`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Published wording, kept as it is (`docs/architecture.md`, "The contract").
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "Counts of a confrontation (DESIGN §8): `to_update + no_update + cannot_update = to_process`\nonce every item is classified; `deceased` is part of `to_update`."
    )
)]
pub struct ConfrontationMetrics {
    /// Rows in the layout.
    pub to_process: u64,
    /// Items classified so far.
    pub processed: u64,
    pub to_update: u64,
    pub no_update: u64,
    pub cannot_update: u64,
    pub deceased: u64,
    /// Items whose record the authority returned.
    pub found: u64,
    /// Updates written to the registry (and not reverted).
    pub applied: u64,
    /// Queries sent to the authority: retries, and answers a stopped instance's lease threw
    /// away, included (the authority counts them all against the quota).
    #[serde(default)]
    pub queries: u64,
}

/// Ratios from [`ConfrontationMetrics`], each in 0..=1; `None` where the denominator is zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kpis {
    /// (to_update + cannot_update) / to_process.
    pub inconsistencies: Option<f64>,
    /// deceased / to_process.
    pub deregistrations: Option<f64>,
    /// deceased / found.
    pub mortality_index: Option<f64>,
    /// 1 − mortality index.
    pub survival: Option<f64>,
    /// applied / to_process.
    pub population_updated: Option<f64>,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl ConfrontationMetrics {
    pub fn kpis(&self) -> Kpis {
        let mortality = ratio(self.deceased, self.found);
        Kpis {
            inconsistencies: ratio(self.to_update + self.cannot_update, self.to_process),
            deregistrations: ratio(self.deceased, self.to_process),
            mortality_index: mortality,
            survival: mortality.map(|m| 1.0 - m),
            population_updated: ratio(self.applied, self.to_process),
        }
    }

    /// The KPIs of a SAT confrontation: inconsistencies count only opinions that differ from
    /// the registry's (a first opinion is not one) and the rows that cannot be updated; deaths
    /// mean nothing here.
    pub fn sat_kpis(&self, sat: &crate::SatIndicators) -> Kpis {
        Kpis {
            inconsistencies: ratio(sat.changed + self.cannot_update, self.to_process),
            deregistrations: None,
            mortality_index: None,
            survival: None,
            population_updated: ratio(self.applied, self.to_process),
        }
    }

    /// Sums two jobs' counts (for aggregates by period and unit).
    pub fn add(&mut self, other: &ConfrontationMetrics) {
        self.to_process += other.to_process;
        self.processed += other.processed;
        self.to_update += other.to_update;
        self.no_update += other.no_update;
        self.cannot_update += other.cannot_update;
        self.deceased += other.deceased;
        self.found += other.found;
        self.applied += other.applied;
        self.queries += other.queries;
    }
}

/// A confrontation as people follow it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confrontation {
    pub id: i64,
    pub request_id: i64,
    pub ticket_number: String,
    pub authority: Authority,
    /// SAT only: how the opinions are obtained.
    pub provider: Option<SatProvider>,
    pub state: ConfrontationState,
    /// Why the job waits, in Spanish, while `waiting_authority`.
    pub waiting_reason: Option<String>,
    pub metrics: ConfrontationMetrics,
    pub kpis: Kpis,
    /// SAT only: items answered with each sense.
    pub outcomes: Vec<OutcomeCount>,
    /// SAT only: eligibility, expiry, RFC problems and changed opinions.
    #[serde(default)]
    pub sat: Option<crate::SatIndicators>,
    pub created_by: PersonRef,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub applied_at: Option<DateTime<Utc>>,
    pub reverted_at: Option<DateTime<Utc>>,
    /// Changes on every action, for optimistic concurrency.
    pub version: i32,
}

/// One server-sent event of `GET /confrontations/{id}/events`, as the stream's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressEvent {
    /// Always `progress`.
    pub event: String,
    /// The confrontation as `GET /confrontations/{id}` answers it, as JSON text.
    #[cfg_attr(feature = "openapi", schema(content_media_type = "application/json"))]
    pub data: String,
}

/// One layout row's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfrontationItem {
    pub row: u32,
    /// As written in the layout (cut to 40 characters).
    pub curp: String,
    /// SAT only: the RFC asked (the layout's, else the registry's).
    pub rfc: Option<String>,
    /// SAT only: warnings about that RFC (they do not stop the query).
    pub rfc_warnings: Vec<RfcWarning>,
    /// SAT only: the answered opinion's folio, issue date and last valid day.
    pub opinion_folio: Option<String>,
    pub opinion_issued_on: Option<chrono::NaiveDate>,
    pub opinion_valid_until: Option<chrono::NaiveDate>,
    /// SAT only: that opinion's validity today (Mexico City), computed when read: an opinion
    /// that arrived already expired reads `expired`.
    #[serde(default)]
    pub opinion_standing: Option<crate::OpinionStanding>,
    /// SAT only: that opinion's subsidy eligibility by today's policy.
    #[serde(default)]
    pub opinion_eligibility: Option<crate::EligibilityVerdict>,
    /// `None` while the item waits its turn.
    pub classification: Option<Classification>,
    pub reason: Option<ItemReason>,
    /// RENAPO's `statusCurp`, or the SAT opinion's sense (`positiva`, …), when answered.
    pub authority_status: Option<String>,
    pub changes: Vec<FieldChange>,
    /// Whether the update was written to the registry.
    pub applied: bool,
    /// Why an update could not be applied (the registry changed since).
    pub apply_conflict: Option<String>,
    /// Tries that led to the stored result.
    pub attempts: u32,
    /// Queries sent for this item, lost ones included (`attempts` counts only the last run's).
    #[serde(default)]
    pub queries: u32,
}

/// Filters of the item list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ItemFilter {
    pub classification: Option<Classification>,
    pub reason: Option<ItemReason>,
    /// Only deceased (`update` because of a death).
    pub deceased: Option<bool>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}

/// Body of pause, resume and cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ControlBody {
    /// The version the caller saw.
    pub version: i32,
}

/// Body of apply: which classes to write (all updates when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    pub version: i32,
    /// Update reasons to write (`deceased`, `data_changed`, `new_opinion`, `changed_opinion`); every update when absent.
    #[serde(default)]
    pub reasons: Vec<ItemReason>,
}

/// What apply or revert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyOutcome {
    /// Farmers changed by this call.
    pub farmers: u64,
    /// History rows written (one per changed field).
    pub fields: u64,
    /// Items skipped because the registry changed since the confrontation.
    pub conflicts: u64,
}

/// KPIs of one period and unit (or all units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiLine {
    /// `None` for the line of every unit.
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    /// Confrontations finished in the period.
    pub confrontations: u64,
    pub metrics: ConfrontationMetrics,
    pub kpis: Kpis,
    /// SAT only: items answered with each sense.
    pub outcomes: Vec<OutcomeCount>,
    /// SAT only: eligibility, expiry, RFC problems and changed opinions.
    #[serde(default)]
    pub sat: Option<crate::SatIndicators>,
}

/// `GET /kpis`: confrontations finished in a period, overall and per unit, and the registry's
/// proof-of-life coverage today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiReport {
    /// The period as asked (`2026-11`, `2026-Q4`, `2026-S2`, `2026`).
    pub period: String,
    pub authority: Authority,
    pub overall: KpiLine,
    pub units: Vec<KpiLine>,
    /// Active farmers in the registry.
    pub active_farmers: u64,
    /// Active farmers with a proof of life in the last 12 months.
    pub with_recent_proof_of_life: u64,
    /// with_recent_proof_of_life / active_farmers.
    pub proof_of_life_coverage: Option<f64>,
}

/// Query of `GET /kpis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct KpiQuery {
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Sn` or `YYYY`, from 2000 to 2100.
    #[cfg_attr(
        feature = "openapi",
        param(
            example = "2026-11",
            pattern = r"^(20\d{2}|2100)(-(0[1-9]|1[0-2]|[Qq][1-4]|[Ss][12]))?$"
        )
    )]
    pub period: String,
    /// `renapo` when absent.
    pub authority: Option<Authority>,
}

/// A person as RENAPO answers for a CURP, normalized (online consultation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurpConsultation {
    pub curp: String,
    pub given_names: String,
    pub first_surname: String,
    pub second_surname: Option<String>,
    /// `H` or `M`.
    pub sex: String,
    pub birth_date: Option<chrono::NaiveDate>,
    pub birth_state: String,
    pub nationality: String,
    /// `statusCurp` (`AN`, `BD`, …).
    pub status: String,
    /// Whether the CURP is active (the person is alive as far as RENAPO knows).
    pub active: bool,
    pub deceased: bool,
    /// The person's other CURPs.
    pub historic_curps: Vec<String>,
    pub consulted_at: DateTime<Utc>,
    /// True when the answer came from the built-in simulator.
    pub simulated: bool,
}

/// `n` and the noun in its number: "1 fila", "2 filas".
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

impl Confrontation {
    /// What a finished confrontation came to, as the sub-directorate's resolution of the
    /// request starts (the person edits it before resolving).
    pub fn resolution_summary(&self) -> String {
        let m = &self.metrics;
        match self.authority {
            Authority::Renapo => format!(
                "Confronta {} con RENAPO terminada: {}; {} por actualizar ({}), {} sin cambios con prueba de vida, {} que no se pueden actualizar; {} en el padrón.",
                self.id,
                counted(m.to_process, "fila", "filas"),
                thousands(m.to_update),
                counted(m.deceased, "defunción", "defunciones"),
                thousands(m.no_update),
                thousands(m.cannot_update),
                counted(m.applied, "cambio aplicado", "cambios aplicados"),
            ),
            Authority::Sat => format!(
                "Confronta {} con el SAT terminada: {}; {} con opinión nueva o distinta, {} sin cambios, {} sin respuesta utilizable; {} en el padrón.",
                self.id,
                counted(m.to_process, "RFC", "RFC"),
                thousands(m.to_update),
                thousands(m.no_update),
                thousands(m.cannot_update),
                counted(m.applied, "cambio aplicado", "cambios aplicados"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_confrontation_drafts_the_resolution_in_words_and_right_numbers() {
        let job = |authority: Authority, metrics: ConfrontationMetrics| Confrontation {
            id: 7,
            request_id: 3,
            ticket_number: "MS-2026-000003".into(),
            authority,
            provider: None,
            state: ConfrontationState::Finished,
            waiting_reason: None,
            kpis: Kpis::default(),
            metrics,
            outcomes: Vec::new(),
            sat: None,
            created_by: crate::PersonRef {
                id: 2,
                name: "Daniela Flores Ortega".into(),
                role: crate::Role::Subdireccion,
            },
            created_at: DateTime::<Utc>::MIN_UTC,
            finished_at: None,
            applied_at: None,
            reverted_at: None,
            version: 1,
        };
        let metrics = ConfrontationMetrics {
            to_process: 12_345,
            processed: 12_345,
            to_update: 70,
            no_update: 12_000,
            cannot_update: 275,
            deceased: 1,
            found: 12_300,
            applied: 1,
            queries: 12_345,
        };
        assert_eq!(
            job(Authority::Renapo, metrics).resolution_summary(),
            "Confronta 7 con RENAPO terminada: 12,345 filas; 70 por actualizar (1 defunción), \
             12,000 sin cambios con prueba de vida, 275 que no se pueden actualizar; 1 cambio \
             aplicado en el padrón."
        );
        let one = ConfrontationMetrics {
            to_process: 1,
            processed: 1,
            to_update: 1,
            applied: 0,
            ..metrics
        };
        assert!(
            job(Authority::Sat, one)
                .resolution_summary()
                .starts_with("Confronta 7 con el SAT terminada: 1 RFC; 1 con opinión nueva"),
        );
    }

    #[test]
    fn kpis_follow_the_design_formulas() {
        let metrics = ConfrontationMetrics {
            to_process: 200,
            processed: 200,
            to_update: 30,
            no_update: 150,
            cannot_update: 20,
            deceased: 9,
            found: 180,
            applied: 25,
            queries: 200,
        };
        let kpis = metrics.kpis();
        assert_eq!(kpis.inconsistencies, Some(0.25));
        assert_eq!(kpis.deregistrations, Some(0.045));
        assert_eq!(kpis.mortality_index, Some(0.05));
        assert_eq!(kpis.survival, Some(0.95));
        assert_eq!(kpis.population_updated, Some(0.125));
        assert_eq!(ConfrontationMetrics::default().kpis(), Kpis::default());
    }

    #[test]
    fn renapo_status_codes_carry_their_meaning_and_unknown_ones_stay_as_they_came() {
        assert_eq!(renapo_status_label("BD"), "BD — Baja por defunción");
        assert_eq!(
            renapo_status_label("RCC"),
            "RCC — Registro de cambio afectando a la CURP"
        );
        assert_eq!(renapo_status_label("XYZ"), "XYZ");
    }

    #[test]
    fn a_change_of_sense_or_status_is_described_in_words() {
        let change = |field: &str, before: Option<&str>, after: &str| FieldChange {
            field: field.into(),
            before: before.map(Into::into),
            after: Some(after.into()),
        };
        assert_eq!(
            change("sat_opinion", None, "en_suspension").describe(),
            "Opinión 32-D: (vacío) → En suspensión de actividades"
        );
        assert_eq!(
            change("status", Some("active"), "deceased").describe(),
            "Estatus: Activo → Baja por defunción"
        );
        assert_eq!(
            change("given_names", Some("Juan"), "JUAN").describe(),
            "Nombre(s): Juan → JUAN"
        );
        assert_eq!(
            change("birth_date", Some("1956-12-31"), "1956-12-30").describe(),
            "Fecha de nacimiento: 31/12/1956 → 30/12/1956"
        );
        assert_eq!(
            change("sex", Some("H"), "M").describe(),
            "Sexo: Hombre → Mujer"
        );
        assert_eq!(
            change("birth_state", Some("DF"), "JC").describe(),
            "Entidad de nacimiento: DF — Ciudad de México → JC — Jalisco"
        );
    }

    #[test]
    fn every_reason_has_its_classification_and_round_trips() {
        for reason in ItemReason::ALL {
            assert_eq!(ItemReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(
            ItemReason::Deceased.classification(),
            Classification::Update
        );
        assert_eq!(
            ItemReason::NotFound.classification(),
            Classification::CannotUpdate
        );
        for state in ConfrontationState::ALL {
            assert_eq!(ConfrontationState::parse(state.as_str()), Some(state));
        }
    }
}
