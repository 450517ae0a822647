//! Service requests (solicitudes) and their procedure (DESIGN §5): types, states, the actions
//! that move a request between states and who may take them, the timeline, attachments and
//! notifications. The transition table lives here so the server enforces it and the SPA shows
//! the same buttons.

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

    /// Whether the request goes with a CURP layout (DESIGN §5).
    pub fn needs_layout(self) -> bool {
        self != RequestType::Certificate
    }
}

/// Where a request is in its procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Submitted,
    Observed,
    Forwarded,
    Rejected,
    InProgress,
    Resolved,
    Closed,
    Cancelled,
}

impl RequestState {
    pub const ALL: [RequestState; 8] = [
        RequestState::Submitted,
        RequestState::Observed,
        RequestState::Forwarded,
        RequestState::Rejected,
        RequestState::InProgress,
        RequestState::Resolved,
        RequestState::Closed,
        RequestState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::Observed => "observed",
            RequestState::Forwarded => "forwarded",
            RequestState::Rejected => "rejected",
            RequestState::InProgress => "in_progress",
            RequestState::Resolved => "resolved",
            RequestState::Closed => "closed",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestState::Submitted => "Recibida",
            RequestState::Observed => "Con observaciones",
            RequestState::Forwarded => "Turnada",
            RequestState::Rejected => "No procedente",
            RequestState::InProgress => "En atención",
            RequestState::Resolved => "Atendida",
            RequestState::Closed => "Cerrada",
            RequestState::Cancelled => "Cancelada",
        }
    }

    /// The role that acts next, `None` once the request is over.
    pub fn next_role(self) -> Option<Role> {
        match self {
            RequestState::Submitted | RequestState::Rejected | RequestState::Resolved => {
                Some(Role::Mesa)
            }
            RequestState::Observed => Some(Role::Area),
            RequestState::Forwarded | RequestState::InProgress => Some(Role::Subdireccion),
            RequestState::Closed | RequestState::Cancelled => None,
        }
    }

    /// Closed and cancelled requests are read-only.
    pub fn is_open(self) -> bool {
        self.next_role().is_some()
    }
}

/// What can be done to a request. `Submit` creates it; the others move it (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestAction {
    Submit,
    Observe,
    Resubmit,
    Forward,
    Accept,
    Reject,
    Resolve,
    Close,
    Cancel,
}

impl RequestAction {
    pub const ALL: [RequestAction; 9] = [
        RequestAction::Submit,
        RequestAction::Observe,
        RequestAction::Resubmit,
        RequestAction::Forward,
        RequestAction::Accept,
        RequestAction::Reject,
        RequestAction::Resolve,
        RequestAction::Close,
        RequestAction::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Submit => "submit",
            RequestAction::Observe => "observe",
            RequestAction::Resubmit => "resubmit",
            RequestAction::Forward => "forward",
            RequestAction::Accept => "accept",
            RequestAction::Reject => "reject",
            RequestAction::Resolve => "resolve",
            RequestAction::Close => "close",
            RequestAction::Cancel => "cancel",
        }
    }

    pub fn parse(value: &str) -> Option<RequestAction> {
        RequestAction::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// The button's text.
    pub fn label(self) -> &'static str {
        match self {
            RequestAction::Submit => "Enviar solicitud",
            RequestAction::Observe => "Enviar observaciones",
            RequestAction::Resubmit => "Reenviar corregida",
            RequestAction::Forward => "Turnar y emitir folio",
            RequestAction::Accept => "Aceptar para atención",
            RequestAction::Reject => "Declarar no procedente",
            RequestAction::Resolve => "Marcar como atendida",
            RequestAction::Close => "Cerrar ticket",
            RequestAction::Cancel => "Cancelar solicitud",
        }
    }

    /// What the timeline says happened.
    pub fn past_tense(self) -> &'static str {
        match self {
            RequestAction::Submit => "Solicitud enviada",
            RequestAction::Observe => "Observaciones enviadas al área",
            RequestAction::Resubmit => "Solicitud corregida y reenviada",
            RequestAction::Forward => "Turnada a la Subdirección con folio",
            RequestAction::Accept => "Aceptada para atención",
            RequestAction::Reject => "Declarada no procedente",
            RequestAction::Resolve => "Atendida",
            RequestAction::Close => "Ticket cerrado",
            RequestAction::Cancel => "Cancelada por el área",
        }
    }

    /// The only role that may take the action.
    pub fn role(self) -> Role {
        match self {
            RequestAction::Submit | RequestAction::Resubmit | RequestAction::Cancel => Role::Area,
            RequestAction::Observe | RequestAction::Forward | RequestAction::Close => Role::Mesa,
            RequestAction::Accept | RequestAction::Reject | RequestAction::Resolve => {
                Role::Subdireccion
            }
        }
    }

    /// The states the action may be taken from (none for `Submit`, which creates the request).
    pub fn from_states(self) -> &'static [RequestState] {
        match self {
            RequestAction::Submit => &[],
            RequestAction::Observe | RequestAction::Forward => &[RequestState::Submitted],
            RequestAction::Resubmit => &[RequestState::Observed],
            RequestAction::Accept | RequestAction::Reject => &[RequestState::Forwarded],
            RequestAction::Resolve => &[RequestState::InProgress],
            RequestAction::Close => &[RequestState::Resolved, RequestState::Rejected],
            RequestAction::Cancel => &[RequestState::Submitted, RequestState::Observed],
        }
    }

    /// The state the action leads to.
    pub fn to_state(self) -> RequestState {
        match self {
            RequestAction::Submit | RequestAction::Resubmit => RequestState::Submitted,
            RequestAction::Observe => RequestState::Observed,
            RequestAction::Forward => RequestState::Forwarded,
            RequestAction::Accept => RequestState::InProgress,
            RequestAction::Reject => RequestState::Rejected,
            RequestAction::Resolve => RequestState::Resolved,
            RequestAction::Close => RequestState::Closed,
            RequestAction::Cancel => RequestState::Cancelled,
        }
    }

    /// The actions `role` may take on a request in `state`.
    pub fn available(state: RequestState, role: Role) -> Vec<RequestAction> {
        RequestAction::ALL
            .into_iter()
            .filter(|a| a.role() == role && a.from_states().contains(&state))
            .collect()
    }
}

/// What a timeline entry records: an action, or an event that does not change the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineEvent {
    Submit,
    Observe,
    Resubmit,
    Forward,
    Accept,
    Reject,
    Resolve,
    Close,
    Cancel,
    /// A document was attached without a change of state.
    AttachmentAdded,
    /// The certificate RENAPO e-mailed was uploaded (starts the deployment clock).
    CertificateReceived,
    /// The certificate was deployed on the consultation service (stops the deployment clock).
    CertificateDeployed,
}

impl TimelineEvent {
    pub const ALL: [TimelineEvent; 12] = [
        TimelineEvent::Submit,
        TimelineEvent::Observe,
        TimelineEvent::Resubmit,
        TimelineEvent::Forward,
        TimelineEvent::Accept,
        TimelineEvent::Reject,
        TimelineEvent::Resolve,
        TimelineEvent::Close,
        TimelineEvent::Cancel,
        TimelineEvent::AttachmentAdded,
        TimelineEvent::CertificateReceived,
        TimelineEvent::CertificateDeployed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineEvent::AttachmentAdded => "attachment_added",
            TimelineEvent::CertificateReceived => "certificate_received",
            TimelineEvent::CertificateDeployed => "certificate_deployed",
            other => other.action().map_or("", RequestAction::as_str),
        }
    }

    pub fn parse(value: &str) -> Option<TimelineEvent> {
        TimelineEvent::ALL.into_iter().find(|e| e.as_str() == value)
    }

    /// The action this entry records, if it is one.
    pub fn action(self) -> Option<RequestAction> {
        Some(match self {
            TimelineEvent::Submit => RequestAction::Submit,
            TimelineEvent::Observe => RequestAction::Observe,
            TimelineEvent::Resubmit => RequestAction::Resubmit,
            TimelineEvent::Forward => RequestAction::Forward,
            TimelineEvent::Accept => RequestAction::Accept,
            TimelineEvent::Reject => RequestAction::Reject,
            TimelineEvent::Resolve => RequestAction::Resolve,
            TimelineEvent::Close => RequestAction::Close,
            TimelineEvent::Cancel => RequestAction::Cancel,
            TimelineEvent::AttachmentAdded
            | TimelineEvent::CertificateReceived
            | TimelineEvent::CertificateDeployed => return None,
        })
    }

    pub fn of_action(action: RequestAction) -> TimelineEvent {
        TimelineEvent::ALL
            .into_iter()
            .find(|e| e.action() == Some(action))
            .expect("every action has its timeline event")
    }

    pub fn label(self) -> &'static str {
        match self {
            TimelineEvent::AttachmentAdded => "Documento agregado",
            TimelineEvent::CertificateReceived => "Certificado de RENAPO recibido",
            TimelineEvent::CertificateDeployed => "Certificado desplegado",
            other => other.action().map_or("", RequestAction::past_tense),
        }
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
    /// Most recently changed first.
    Updated,
}

/// Filters of `GET /api/v1/requests`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// Part of the ticket number, folio or subject.
    pub q: Option<String>,
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
pub struct ResubmitForm {
    /// The `version` of the request the correction answers.
    pub version: i32,
    /// How the observations were addressed.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
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
pub struct AttachmentForm {
    /// `report` or `certificate` (the other kinds come with their actions).
    pub kind: AttachmentKind,
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
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
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: Option<String>,
}

/// Body of `observe`: the corrections the area must make.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ObserveBody {
    pub version: i32,
    /// One item per correction (1 to 30).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 30))]
    pub items: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: Option<String>,
}

/// Body of `reject` and `resolve`: the text is required (the reason; the resolution).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExplainedActionBody {
    pub version: i32,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub comment: String,
}

/// A free text of up to `max` characters over several lines; `None` when acceptable.
pub fn long_text_problem(value: &str, max: usize) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Some("Este campo es obligatorio.".to_owned())
    } else if trimmed.chars().count() > max {
        Some(format!("No puede exceder {max} caracteres."))
    } else if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Some("No puede contener caracteres de control.".to_owned())
    } else {
        None
    }
}

/// Checks an optional comment.
pub fn check_comment(checks: &mut Checks, field: &str, comment: Option<&str>) {
    if let Some(problem) = comment
        .filter(|c| !c.trim().is_empty())
        .and_then(|c| long_text_problem(c, COMMENT_MAX))
    {
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
        let items: Vec<&String> = self.items.iter().filter(|i| !i.trim().is_empty()).collect();
        checks.check(
            !items.is_empty(),
            "items",
            "Escriba al menos una observación.",
        );
        checks.check(
            items.len() <= OBSERVATION_ITEMS_MAX,
            "items",
            "Se admiten hasta 30 observaciones por envío.",
        );
        for (index, item) in items.iter().enumerate() {
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

/// An in-app notification: about a request, or about RENAPO's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    /// The request it is about (`None` for a certificate alert).
    pub request_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub event: Option<TimelineEvent>,
    /// The RENAPO certificate it is about (expiry alerts).
    pub certificate_id: Option<i64>,
    /// What happened, in Spanish.
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Filters of `GET /api/v1/notifications`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct NotificationFilter {
    /// Only unread notifications.
    pub unread: Option<bool>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}

/// `GET /api/v1/notifications/unread-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: u64,
}

/// How many requests are in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateCount {
    pub state: RequestState,
    pub count: u64,
}

/// `GET /api/v1/dashboard`: what the caller's role has to do and what is late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    pub role: Role,
    /// Requests waiting for the caller's role, nearest due date first (at most 20).
    pub pending: Vec<RequestSummary>,
    pub pending_total: u64,
    /// Open requests with a clock at risk (at most 20), and their number.
    pub at_risk: Vec<RequestSummary>,
    pub at_risk_total: u64,
    /// Open requests with a breached clock (at most 20), and their number.
    pub breached: Vec<RequestSummary>,
    pub breached_total: u64,
    /// Requests the caller may see, by state (every state listed).
    pub counts_by_state: Vec<StateCount>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_but_the_last_two_has_a_next_role_and_an_action_for_it() {
        for state in RequestState::ALL {
            match state.next_role() {
                Some(role) => assert!(
                    !RequestAction::available(state, role).is_empty(),
                    "{state:?}: {role:?} has nothing to do"
                ),
                None => assert!(
                    Role::ALL
                        .iter()
                        .all(|role| RequestAction::available(state, *role).is_empty()),
                    "{state:?} is over"
                ),
            }
        }
    }

    #[test]
    fn the_table_is_the_one_of_the_design() {
        use RequestState::*;
        let edges: Vec<(RequestState, &str, RequestState)> = RequestAction::ALL
            .into_iter()
            .flat_map(|a| {
                a.from_states()
                    .iter()
                    .map(move |s| (*s, a.as_str(), a.to_state()))
            })
            .collect();
        assert_eq!(
            edges,
            [
                (Submitted, "observe", Observed),
                (Observed, "resubmit", Submitted),
                (Submitted, "forward", Forwarded),
                (Forwarded, "accept", InProgress),
                (Forwarded, "reject", Rejected),
                (InProgress, "resolve", Resolved),
                (Resolved, "close", Closed),
                (Rejected, "close", Closed),
                (Submitted, "cancel", Cancelled),
                (Observed, "cancel", Cancelled),
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for state in RequestState::ALL {
            assert_eq!(RequestState::parse(state.as_str()), Some(state));
        }
        for event in TimelineEvent::ALL {
            assert_eq!(TimelineEvent::parse(event.as_str()), Some(event));
        }
        for action in RequestAction::ALL {
            assert_eq!(TimelineEvent::of_action(action).action(), Some(action));
        }
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
        assert_eq!(
            body(&[" uno ", " ", "dos"]).clean_items(),
            ["uno".to_owned(), "dos".to_owned()]
        );
    }
}
