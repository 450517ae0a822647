//! The OpenAPI document's frame (info, security scheme, tags) and the problem responses that
//! routes share. Paths and schemas are collected from the routes by `utoipa-actix-web`.

use confrontas_api::Problem;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Confrontas API",
        description = "Servicio de Integración de Información de Confrontas (DGTIC/DSSD/003): \
                       solicitudes, padrón de productores y confrontas contra RENAPO y SAT. \
                       Errors are RFC 9457 problem documents with a Spanish `detail`.",
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Login, tokens and the current principal"),
        (name = "admin", description = "Users, administrative units and API clients (role admin)"),
        (name = "registry", description = "Farmer registry (padrón de productores): search, detail, edits with history"),
        (name = "layouts", description = "CURP layouts: template and row-by-row check"),
        (name = "calendar", description = "Business-day calendar: mandatory rest days and days the admin declares"),
        (name = "requests", description = "Service requests: submission, the procedure's actions, timeline, documents, service levels, dashboard"),
        (name = "confrontations", description = "Confrontations against RENAPO and the SAT: jobs, progress, results, apply and revert, reports, KPIs"),
        (name = "certificates", description = "RENAPO's web-service certificate: upload, check, deploy without restart, verify, roll back"),
        (name = "sat", description = "SAT compliance opinions (32-D): exchange file with the SAT, answer import, verification of an opinion's QR"),
        (name = "consultations", description = "Online CURP consultation at RENAPO for partner systems (scope consulta_curp)"),
        (name = "notifications", description = "In-app notifications of the caller"),
        (name = "sla", description = "Service-level policies and compliance reports"),
        (name = "ops", description = "Liveness and readiness"),
    ),
    // Enums used only as query parameters are referenced by name; list them so they resolve.
    components(schemas(
        Problem, confrontas_api::FarmerSort, confrontas_api::FarmerStatus, confrontas_api::ReportFormat,
        confrontas_api::RequestState, confrontas_api::RequestType, confrontas_api::RequestSort,
        confrontas_api::SlaStatus, confrontas_api::SlaClockKind
    ))
)]
pub struct ApiDoc;

/// Name of the bearer security scheme routes refer to with `security(("bearer" = []))`.
pub const BEARER: &str = "bearer";

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        http.description =
            Some("Access token from /api/v1/auth/login or /api/v1/auth/token".into());
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}

/// Missing, invalid, expired or revoked access token.
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/problem+json")]
pub struct Unauthenticated(pub Problem);

/// The caller's role or kind may not do this.
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/problem+json")]
pub struct Forbidden(pub Problem);

/// No such record (or not visible to the caller).
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// Malformed body, unknown field, wrong content type or bad parameter.
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
pub struct BadRequest(pub Problem);

/// Fields present but not acceptable; `errors` lists them.
#[derive(IntoResponses)]
#[response(status = 422, content_type = "application/problem+json")]
pub struct Unprocessable(pub Problem);

/// The change conflicts with existing data (e.g. a duplicate key).
#[derive(IntoResponses)]
#[response(status = 409, content_type = "application/problem+json")]
pub struct Conflict(pub Problem);

/// Too many failed attempts; see `Retry-After`.
#[derive(IntoResponses)]
#[response(status = 429, content_type = "application/problem+json")]
pub struct TooManyRequests(pub Problem);

/// A dependency (the database) is unavailable.
#[derive(IntoResponses)]
#[response(status = 503, content_type = "application/problem+json")]
pub struct Unavailable(pub Problem);

/// What any route with a JSON body may answer when the body is not acceptable.
#[derive(IntoResponses)]
pub enum BodyErrors {
    /// Malformed JSON, an unknown field or a value of the wrong type.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// The body exceeds the size limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body's media type is not accepted (JSON; `/auth/token` also takes a form).
    #[response(status = 415, content_type = "application/problem+json")]
    WrongMediaType(Problem),
    /// Fields present but not acceptable; `errors` lists them.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// A `multipart/form-data` body with one spreadsheet in the field `file` (`.xlsx` or `.csv`).
/// (`Deserialize` only lends its `deny_unknown_fields`: the schema then says that no other
/// field is accepted, as the upload reader enforces.)
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpreadsheetUpload {
    /// The spreadsheet.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: String,
}

/// What a spreadsheet upload may answer when the file is not acceptable. Each refusal carries a
/// stable `code`: `file_missing`, `invalid_multipart`, `unexpected_field` (400);
/// `file_too_large` (413); `unsupported_file_type` (415); `invalid_xlsx`,
/// `xlsx_limits_exceeded`, `invalid_csv`, `too_many_rows`, `too_many_columns`, `cell_too_long`,
/// `header_not_found`, `duplicate_column`, `no_data_rows`, `empty_file` (422).
#[derive(IntoResponses)]
pub enum UploadErrors {
    /// Not a multipart body, an unexpected field, or the file missing.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// The file exceeds the size limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// A file of a type the field does not take.
    #[response(status = 415, content_type = "application/problem+json")]
    WrongType(Problem),
    /// A file that cannot be read safely, lacks the expected columns or fails its checks, or
    /// fields that are missing or invalid.
    #[response(status = 422, content_type = "application/problem+json")]
    Unreadable(Problem),
}
