//! Administrative units, users and API clients (administration endpoints).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{ApiScope, Role};
use crate::common::{Checks, FieldError, is_plausible_email, password_problem, text_problem};

/// Longest unit key, e.g. `DGTIC` or `DGPP`.
pub const UNIT_KEY_MAX: usize = 20;
/// Longest name of a unit, user, position or API client.
pub const NAME_MAX: usize = 200;

/// A unit as embedded in other records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRef {
    pub id: i64,
    pub key: String,
    pub name: String,
}

/// An administrative unit (unidad administrativa).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub id: i64,
    /// Short unique key, upper case.
    pub key: String,
    pub name: String,
    /// Whether the unit belongs to the ministry (requests from outside it are not admissible).
    pub is_ministry: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/units`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    #[cfg_attr(feature = "openapi", schema(example = "DGPP"))]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_-]{2,20}$"))]
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub name: String,
    pub is_ministry: bool,
}

/// Whether a unit key is 2 to 20 of `A-Z 0-9 - _`.
pub fn unit_key_problem(key: &str) -> Option<String> {
    let ok = (2..=UNIT_KEY_MAX).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
    (!ok).then(|| {
        format!("La clave debe tener de 2 a {UNIT_KEY_MAX} caracteres: mayúsculas, dígitos, guion o guion bajo.")
    })
}

impl NewUnit {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let Some(problem) = unit_key_problem(&self.key) {
            checks.push(FieldError::new("key", problem));
        }
        if let Some(problem) = text_problem(&self.name, NAME_MAX) {
            checks.push(FieldError::new("name", problem));
        }
        checks.finish()
    }
}

/// `PATCH /api/v1/units/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_name))]
    pub name: Option<String>,
    pub is_ministry: Option<bool>,
    pub active: Option<bool>,
}

impl UnitPatch {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let Some(problem) = self
            .name
            .as_deref()
            .and_then(|name| text_problem(name, NAME_MAX))
        {
            checks.push(FieldError::new("name", problem));
        }
        checks.finish()
    }
}

/// A staff user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// Position (cargo), e.g. "Director de Área".
    pub position: String,
    pub unit: UnitRef,
    pub role: Role,
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn check_person(
    checks: &mut Checks,
    email: Option<&str>,
    name: Option<&str>,
    position: Option<&str>,
) {
    if let Some(email) = email {
        checks.check(
            is_plausible_email(email.trim()),
            "email",
            "Escriba un correo electrónico válido.",
        );
    }
    for (field, value) in [("name", name), ("position", position)] {
        if let Some(problem) = value.and_then(|value| text_problem(value, NAME_MAX)) {
            checks.push(FieldError::new(field, problem));
        }
    }
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub position: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub unit_id: i64,
    pub role: Role,
    /// Initial password (at least 12 characters).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::new_password))]
    pub password: String,
}

impl NewUser {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        check_person(
            &mut checks,
            Some(&self.email),
            Some(&self.name),
            Some(&self.position),
        );
        if let Some(problem) = password_problem(&self.password) {
            checks.push(FieldError::new("password", problem));
        }
        checks.finish()
    }
}

/// `PATCH /api/v1/users/{id}`: only the fields present change. Disabling a user or setting a
/// new password ends the user's sessions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_name))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_name))]
    pub position: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub unit_id: Option<i64>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_new_password))]
    pub password: Option<String>,
}

impl UserPatch {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        check_person(
            &mut checks,
            None,
            self.name.as_deref(),
            self.position.as_deref(),
        );
        if let Some(problem) = self.password.as_deref().and_then(password_problem) {
            checks.push(FieldError::new("password", problem));
        }
        checks.finish()
    }
}

/// The answer of `POST /api/v1/users/{id}/password-reset`: a temporary password, shown this
/// once and stored only as a hash. Its holder signs in with it and must choose their own before
/// anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryPassword {
    pub temporary_password: String,
}

/// A partner system allowed to call the API with the client-credentials grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClient {
    pub id: i64,
    /// Public identifier sent as `client_id`.
    pub client_id: String,
    pub name: String,
    pub unit: UnitRef,
    pub scopes: Vec<ApiScope>,
    pub active: bool,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/api-clients`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub unit_id: i64,
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub scopes: Vec<ApiScope>,
}

impl NewApiClient {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let Some(problem) = text_problem(&self.name, NAME_MAX) {
            checks.push(FieldError::new("name", problem));
        }
        checks.check(
            !self.scopes.is_empty(),
            "scopes",
            "Indique al menos un alcance.",
        );
        checks.finish()
    }
}

/// `PATCH /api/v1/api-clients/{id}`. Disabling a client invalidates its tokens at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiClientPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_name))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub scopes: Option<Vec<ApiScope>>,
    pub active: Option<bool>,
}

impl ApiClientPatch {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        if let Some(problem) = self
            .name
            .as_deref()
            .and_then(|name| text_problem(name, NAME_MAX))
        {
            checks.push(FieldError::new("name", problem));
        }
        checks.check(
            self.scopes.as_ref().is_none_or(|scopes| !scopes.is_empty()),
            "scopes",
            "Indique al menos un alcance.",
        );
        checks.finish()
    }
}

/// The client and its secret. The secret is shown only here: the server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClientCredentials {
    pub client: ApiClient,
    pub client_secret: String,
}

/// Filters of `GET /api/v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    /// Matches e-mail or name (contains, case-insensitive).
    pub q: Option<String>,
    pub role: Option<Role>,
    pub unit_id: Option<i64>,
    pub active: Option<bool>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}

/// Filters of `GET /api/v1/units` and `GET /api/v1/api-clients`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct NameFilter {
    /// Matches key or name (contains, case-insensitive).
    pub q: Option<String>,
    pub active: Option<bool>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u32>,
}
