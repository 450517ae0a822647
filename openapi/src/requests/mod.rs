//! Service requests (solicitudes): their types, documents, views (summary, detail, timeline),
//! filters, forms and action bodies. The procedure — states, the actions that move a request
//! and who may take them, the timeline's events — is in [`procedure`]; notifications and the
//! dashboard have their own files. All of it is re-exported here.

mod dashboard;
mod notifications;
mod procedure;

pub use dashboard::*;
pub use notifications::*;
pub use procedure::*;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::common::{Checks, FieldError, text_problem};
use crate::directory::{NAME_MAX, UnitRef};
use crate::layouts::LayoutTotals;
use crate::sla::{SlaClock, SlaStatus};

/// Longest subject of a request.
pub const SUBJECT_MAX: usize = 300;
/// Longest comment, reason, resolution or observation item.
pub const COMMENT_MAX: usize = 2_000;
/// Most items in one observation.
pub const OBSERVATION_ITEMS_MAX: usize = 30;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// Proof of life and data update against RENAPO.
    Renapo,
    /// SAT compliance opinion (32-D).
    Sat,
    /// Update of the RENAPO web-service certificate.
    Certificate,
}

impl RequestType {
    pub const ALL: [RequestType; 3] = [
        RequestType::Renapo,
        RequestType::Sat,
        RequestType::Certificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Renapo => "renapo",
            RequestType::Sat => "sat",
            RequestType::Certificate => "certificate",
        }
    }

    pub fn parse(value: &str) -> Option<RequestType> {
        RequestType::ALL.into_iter().find(|t| t.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestType::Renapo => "Confronta RENAPO (vivencia y actualización de datos)",
            RequestType::Sat => "Opinión de cumplimiento SAT (32-D)",
            RequestType::Certificate => "Actualización del certificado de RENAPO",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            RequestType::Renapo => "RENAPO",
            RequestType::Sat => "SAT",
            RequestType::Certificate => "Certificado",
        }
    }

    /// Whether the request goes with a CURP layout.
    pub fn needs_layout(self) -> bool {
        self != RequestType::Certificate
    }
}

/// The documents of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// The signed official letter (PDF) that starts the request.
    Oficio,
    /// The CURP layout (.xlsx or .csv).
    Layout,
    /// The response letter (PDF), generated when a request is declared not admissible.
    ResponseLetter,
    /// A report of the work done (results of a confrontation, evidence).
    Report,
    /// The certificate RENAPO sent (PEM or DER).
    Certificate,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 5] = [
        AttachmentKind::Oficio,
        AttachmentKind::Layout,
        AttachmentKind::ResponseLetter,
        AttachmentKind::Report,
        AttachmentKind::Certificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Oficio => "oficio",
            AttachmentKind::Layout => "layout",
            AttachmentKind::ResponseLetter => "response_letter",
            AttachmentKind::Report => "report",
            AttachmentKind::Certificate => "certificate",
        }
    }

    pub fn parse(value: &str) -> Option<AttachmentKind> {
        AttachmentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            AttachmentKind::Oficio => "Oficio de solicitud",
            AttachmentKind::Layout => "Layout de CURP",
            AttachmentKind::ResponseLetter => "Oficio de respuesta",
            AttachmentKind::Report => "Reporte",
            AttachmentKind::Certificate => "Certificado de RENAPO",
        }
    }
}

/// A person as the timeline and documents name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// One stored document of a request. A new version of a kind supersedes the older ones, which
/// stay downloadable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: i64,
    pub request_id: i64,
    pub kind: AttachmentKind,
    /// 1 for the first document of its kind on the request, then 2, 3…
    pub version: i32,
    /// False once a newer version of the same kind exists.
    pub current: bool,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the content, hexadecimal.
    pub sha256: String,
    pub uploaded_by: PersonRef,
    pub uploaded_at: DateTime<Utc>,
    /// For layouts: the counts of the check made when it was attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_totals: Option<LayoutTotals>,
}

/// A request as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestSummary {
    pub id: i64,
    pub request_type: RequestType,
    pub state: RequestState,
    #[cfg_attr(feature = "openapi", schema(example = "MS-2026-000123"))]
    pub ticket_number: String,
    /// Issued when the service desk forwards the request.
    #[cfg_attr(feature = "openapi", schema(example = "DGTIC/DSSD/003/2026/000045"))]
    pub folio: Option<String>,
    pub unit: UnitRef,
    pub subject: String,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The most pressing state of the request's service-level clocks (breached first).
    pub sla_status: Option<SlaStatus>,
    /// The nearest due date of a running clock.
    pub due_date: Option<NaiveDate>,
}

/// A request with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub requested_by: PersonRef,
    /// Who signed the oficio.
    pub signer_name: String,
    pub signer_position: String,
    /// Send it back with every action; a request changed meanwhile answers 409.
    pub version: i32,
    /// While the request is observed: what the area must correct.
    pub open_observations: Vec<String>,
    /// What the caller may do now.
    pub available_actions: Vec<RequestAction>,
    /// The current version of each document.
    pub attachments: Vec<Attachment>,
    pub sla: Vec<SlaClock>,
}

/// One entry of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub id: i64,
    pub event: TimelineEvent,
    pub from_state: Option<RequestState>,
    pub to_state: RequestState,
    pub actor: PersonRef,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
    /// The observation's items (observe only).
    pub items: Vec<String>,
    /// The folio issued (forward only).
    pub folio: Option<String>,
    /// Documents attached with this entry.
    pub attachments: Vec<Attachment>,
}

/// Sort orders of `GET /api/v1/requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestSort {
    /// Most recently submitted first.
    #[default]
    Recent,
    /// Oldest first.
    Oldest,
    /// Nearest due date first (requests without a running clock last).
    Due,
    /// Farthest due date first (requests without a running clock last).
    DueLast,
    /// Most recently changed first.
    Updated,
    /// By ticket number, ascending.
    Ticket,
    /// By ticket number, descending.
    TicketDesc,
}

/// Which way a column of a list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl RequestSort {
    pub const ALL: [RequestSort; 7] = [
        RequestSort::Recent,
        RequestSort::Oldest,
        RequestSort::Due,
        RequestSort::DueLast,
        RequestSort::Updated,
        RequestSort::Ticket,
        RequestSort::TicketDesc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestSort::Recent => "recent",
            RequestSort::Oldest => "oldest",
            RequestSort::Due => "due",
            RequestSort::DueLast => "due_last",
            RequestSort::Updated => "updated",
            RequestSort::Ticket => "ticket",
            RequestSort::TicketDesc => "ticket_desc",
        }
    }

    pub fn parse(value: &str) -> Option<RequestSort> {
        RequestSort::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// How a list sorted this way is described to people.
    pub fn label(self) -> &'static str {
        match self {
            RequestSort::Recent => "Más recientes",
            RequestSort::Oldest => "Más antiguas",
            RequestSort::Due => "Próximas a vencer",
            RequestSort::DueLast => "Vencimiento más lejano",
            RequestSort::Updated => "Cambios recientes",
            RequestSort::Ticket => "Ticket ascendente",
            RequestSort::TicketDesc => "Ticket descendente",
        }
    }

    /// The column this order sorts by (`ticket`, `due`, `submitted`; `None`: last change)
    /// and its direction.
    pub fn column(self) -> Option<(&'static str, SortDirection)> {
        match self {
            RequestSort::Recent => Some(("submitted", SortDirection::Descending)),
            RequestSort::Oldest => Some(("submitted", SortDirection::Ascending)),
            RequestSort::Due => Some(("due", SortDirection::Ascending)),
            RequestSort::DueLast => Some(("due", SortDirection::Descending)),
            RequestSort::Ticket => Some(("ticket", SortDirection::Ascending)),
            RequestSort::TicketDesc => Some(("ticket", SortDirection::Descending)),
            RequestSort::Updated => None,
        }
    }

    /// The order a click on `column`'s header asks for: the other direction when the list is
    /// sorted by it, else the column's natural first direction (newest received, nearest due,
    /// lowest ticket).
    pub fn toggled(self, column: &str) -> Option<RequestSort> {
        let sorted_here = self.column().filter(|(c, _)| *c == column).map(|(_, d)| d);
        Some(match (column, sorted_here) {
            ("submitted", Some(SortDirection::Descending)) => RequestSort::Oldest,
            ("submitted", _) => RequestSort::Recent,
            ("due", Some(SortDirection::Ascending)) => RequestSort::DueLast,
            ("due", _) => RequestSort::Due,
            ("ticket", Some(SortDirection::Ascending)) => RequestSort::TicketDesc,
            ("ticket", _) => RequestSort::Ticket,
            _ => return None,
        })
    }
}

/// Filters of `GET /api/v1/requests`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct RequestFilter {
    pub state: Option<RequestState>,
    pub request_type: Option<RequestType>,
    /// Requesting unit (staff other than areas; an area always sees its own unit only).
    pub unit_id: Option<i64>,
    pub sla_status: Option<SlaStatus>,
    /// Submitted on or after this date (Mexico City).
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this date (Mexico City).
    pub submitted_to: Option<NaiveDate>,
    /// Part of the ticket number, folio or subject, or a whole CURP (the requests whose
    /// confrontations included that person).
    pub q: Option<String>,
    /// Only what waits for the caller's role: for the service desk what it must receive,
    /// register or close; for the sub-directorate what it must accept and attend; for an area
    /// what it must correct.
    pub mine: Option<bool>,
    pub sort: Option<RequestSort>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}

impl RequestFilter {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let (Some(from), Some(to)) = (self.submitted_from, self.submitted_to) {
            checks.check(
                from <= to,
                "submitted_to",
                "La fecha final no puede ser anterior a la inicial.",
            );
        }
        if let Some(q) = &self.q {
            checks.check(
                q.chars().count() <= 100,
                "q",
                "La búsqueda admite hasta 100 caracteres.",
            );
        }
        checks.finish()
    }
}

/// The fields of `POST /api/v1/requests` besides its files (the SPA checks them before sending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequestFields {
    pub request_type: RequestType,
    pub subject: String,
    pub signer_name: String,
    pub signer_position: String,
}

impl NewRequestFields {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        for (field, value, max) in [
            ("subject", &self.subject, SUBJECT_MAX),
            ("signer_name", &self.signer_name, NAME_MAX),
            ("signer_position", &self.signer_position, NAME_MAX),
        ] {
            if let Some(problem) = text_problem(value, max) {
                checks.push(FieldError::new(field, problem));
            }
        }
        checks.finish()
    }
}

/// The multipart form of `POST /api/v1/requests`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRequestForm {
    pub request_type: RequestType,
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub subject: String,
    /// Who signed the oficio (director of area or higher).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub signer_name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub signer_position: String,
    /// The signed oficio, PDF.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Binary))]
    pub oficio: Vec<u8>,
    /// The CURP layout (.xlsx or .csv); required for `renapo` and `sat`, refused for `certificate`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Binary))]
    pub layout: Option<Vec<u8>>,
}

/// The multipart form of `POST /api/v1/requests/{id}/resubmit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResubmitForm {
    /// The `version` of the request the correction answers.
    pub version: i32,
    /// How the observations were addressed.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::long_text))]
    pub comment: String,
    /// A corrected oficio (PDF), if the observations asked for one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Binary))]
    pub oficio: Option<Vec<u8>>,
    /// A corrected layout, if the observations asked for one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Binary))]
    pub layout: Option<Vec<u8>>,
}

/// The multipart form of `POST /api/v1/requests/{id}/attachments`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachmentForm {
    /// `report` or `certificate` (the other kinds come with their actions).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::uploaded_attachment_kind))]
    pub kind: AttachmentKind,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_long_text))]
    pub comment: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Binary))]
    pub file: Vec<u8>,
}

/// Body of the actions that need only the version and an optional comment: `forward`,
/// `accept`, `close`, `cancel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The `version` of the request the action is based on.
    pub version: i32,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_long_text))]
    pub comment: Option<String>,
}

/// Body of `observe`: the corrections the area must make.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ObserveBody {
    pub version: i32,
    /// One item per correction (1 to 30).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::observation_items))]
    pub items: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_long_text))]
    pub comment: Option<String>,
}

/// Body of `reject` and `resolve`: the text is required (the reason; the resolution).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExplainedActionBody {
    pub version: i32,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::long_text))]
    pub comment: String,
}

/// A free text of up to `max` characters over several lines; `None` when acceptable.
pub fn long_text_problem(value: &str, max: usize) -> Option<String> {
    if let Some(problem) = control_problem(value) {
        return Some(problem);
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Some("Este campo es obligatorio.".to_owned())
    } else if trimmed.chars().count() > max {
        Some(format!("No puede exceder {max} caracteres."))
    } else {
        None
    }
}

/// Control characters other than line breaks and tabs, anywhere in the text (even where
/// trimming would remove them), as the contract's pattern states.
fn control_problem(value: &str) -> Option<String> {
    value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .then(|| "No puede contener caracteres de control.".to_owned())
}

/// Checks an optional comment (a blank one is none).
pub fn check_comment(checks: &mut Checks, field: &str, comment: Option<&str>) {
    let Some(comment) = comment else {
        return;
    };
    let problem = if comment.trim().is_empty() {
        control_problem(comment)
    } else {
        long_text_problem(comment, COMMENT_MAX)
    };
    if let Some(problem) = problem {
        checks.push(FieldError::new(field, problem));
    }
}

impl ActionBody {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        check_comment(&mut checks, "comment", self.comment.as_deref());
        checks.finish()
    }
}

impl ObserveBody {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        checks.check(
            !self.items.is_empty(),
            "items",
            "Escriba al menos una observación.",
        );
        checks.check(
            self.items.len() <= OBSERVATION_ITEMS_MAX,
            "items",
            "Se admiten hasta 30 observaciones por envío.",
        );
        for (index, item) in self.items.iter().enumerate() {
            if let Some(problem) = long_text_problem(item, COMMENT_MAX) {
                checks.push(FieldError::new(&format!("items[{index}]"), problem));
            }
        }
        check_comment(&mut checks, "comment", self.comment.as_deref());
        checks.finish()
    }

    /// The items as stored: trimmed, blank ones dropped.
    pub fn clean_items(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|i| i.trim().to_owned())
            .filter(|i| !i.is_empty())
            .collect()
    }
}

impl ExplainedActionBody {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let Some(problem) = long_text_problem(&self.comment, COMMENT_MAX) {
            checks.push(FieldError::new("comment", problem));
        }
        checks.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_orders_are_written_as_on_the_wire() {
        for sort in RequestSort::ALL {
            assert_eq!(
                serde_json::to_value(sort).unwrap(),
                serde_json::json!(sort.as_str())
            );
            assert_eq!(RequestSort::parse(sort.as_str()), Some(sort));
        }
        for sort in crate::FarmerSort::ALL {
            assert_eq!(
                serde_json::to_value(sort).unwrap(),
                serde_json::json!(sort.as_str())
            );
            assert_eq!(crate::FarmerSort::parse(sort.as_str()), Some(sort));
        }
    }

    #[test]
    fn attachment_kinds_round_trip() {
        for kind in AttachmentKind::ALL {
            assert_eq!(AttachmentKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn observations_need_at_least_one_item_and_multi_line_text_is_allowed() {
        let body = |items: &[&str]| ObserveBody {
            version: 1,
            items: items.iter().map(|s| s.to_string()).collect(),
            comment: None,
        };
        assert!(body(&["  ", ""]).validate().is_err());
        assert!(
            body(&["El oficio no está firmado.\nFirme y vuelva a enviar."])
                .validate()
                .is_ok()
        );
        assert!(body(&["con\u{0}nulo"]).validate().is_err());
        assert!(
            body(&["uno", " "]).validate().is_err(),
            "a blank item is refused, as the contract's pattern says"
        );
        assert_eq!(
            body(&[" uno ", "dos"]).clean_items(),
            ["uno".to_owned(), "dos".to_owned()]
        );
    }

    #[test]
    fn control_characters_are_refused_anywhere_in_a_comment_even_where_trimming_would_drop_them() {
        let body = |comment: &str| ActionBody {
            version: 1,
            comment: Some(comment.to_owned()),
        };
        assert!(
            body("Listo\u{b}").validate().is_err(),
            "a trailing tab stop"
        );
        assert!(
            body("\u{b}").validate().is_err(),
            "a comment of nothing but one"
        );
        assert!(body("   ").validate().is_ok(), "a blank comment is none");
        assert!(body("Primera línea\r\n\tsegunda").validate().is_ok());
    }
}
