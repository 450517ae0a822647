//! Authentication: login, tokens, the current principal.

use serde::{Deserialize, Serialize};

use crate::common::{Checks, is_plausible_email, password_problem};
use crate::directory::UnitRef;

/// What a staff user may do (`docs/architecture.md`, "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Published wording, kept as it is (`docs/architecture.md`, "The contract").
#[cfg_attr(
    feature = "openapi",
    schema(description = "What a staff user may do; see DESIGN §4.")
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Requesting administrative unit.
    Area,
    /// Service desk (Mesa de Servicios).
    Mesa,
    /// Sub-directorate that runs confrontations.
    Subdireccion,
    /// Administrator.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Area, Role::Mesa, Role::Subdireccion, Role::Admin];

    /// Wire name, as in JSON and in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Area => "area",
            Role::Mesa => "mesa",
            Role::Subdireccion => "subdireccion",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// Name shown to people (es-MX).
    pub fn label(self) -> &'static str {
        match self {
            Role::Area => "Área solicitante",
            Role::Mesa => "Mesa de Servicios",
            Role::Subdireccion => "Subdirección de Operación",
            Role::Admin => "Administración",
        }
    }
}

/// What a partner system's API client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Online single-CURP consultation at RENAPO.
    ConsultaCurp,
}

impl ApiScope {
    pub const ALL: [ApiScope; 1] = [ApiScope::ConsultaCurp];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::ConsultaCurp => "consulta_curp",
        }
    }

    pub fn parse(value: &str) -> Option<ApiScope> {
        ApiScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == value)
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::password))]
    pub password: String,
}

impl LoginRequest {
    /// Shape checks only; whether the credentials are right is the server's business.
    pub fn validate(&self) -> Result<(), Vec<crate::FieldError>> {
        let mut checks = Checks::default();
        checks
            .check(
                is_plausible_email(self.email.trim()),
                "email",
                "Escriba un correo electrónico válido.",
            )
            .check(
                !self.password.is_empty(),
                "password",
                "Escriba su contraseña.",
            )
            .check(
                self.password.len() <= 1024,
                "password",
                "La contraseña es demasiado larga.",
            );
        checks.finish()
    }
}

/// Tokens of a staff session: a short-lived access token and a single-use refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionTokens {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque token for `POST /api/v1/auth/refresh`; valid once.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

/// `POST /api/v1/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /api/v1/auth/token`: OAuth 2.0 client-credentials grant for partner systems
/// (form-encoded as RFC 6749 §4.4, or JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsRequest {
    /// Must be `client_credentials`.
    #[cfg_attr(feature = "openapi", schema(example = "client_credentials"))]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^client_credentials$"))]
    pub grant_type: String,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_-]{1,64}$"))]
    pub client_id: String,
    pub client_secret: String,
    /// Space-separated subset of the client's scopes; all of them when absent.
    #[serde(default)]
    pub scope: Option<String>,
}

/// Access token issued to an API client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientToken {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: u64,
    /// Space-separated scopes granted.
    pub scope: String,
}

/// Whether the caller is a person or a partner system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ApiClient,
}

/// `GET /api/v1/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub kind: PrincipalKind,
    /// User id, or API client record id.
    pub id: i64,
    /// Person's full name, or the API client's name.
    pub name: String,
    /// Users only.
    pub email: Option<String>,
    /// Users only: position (cargo).
    pub position: Option<String>,
    /// Users only.
    pub role: Option<Role>,
    pub unit: UnitRef,
    /// API clients only.
    pub scopes: Vec<ApiScope>,
    /// Users only: the password is a temporary one an administrator set; every other endpoint
    /// answers 403 `password_change_required` until the user chooses their own.
    #[serde(default)]
    pub must_change_password: bool,
}

/// `POST /api/v1/me/password`. Changing the password ends every session of the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::password))]
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::new_password))]
    pub new_password: String,
}

impl ChangePasswordRequest {
    pub fn validate(&self) -> Result<(), Vec<crate::FieldError>> {
        let mut checks = Checks::default();
        checks.check(
            !self.current_password.is_empty(),
            "current_password",
            "Escriba su contraseña actual.",
        );
        if let Some(problem) = password_problem(&self.new_password) {
            checks.check(false, "new_password", &problem);
        }
        checks.check(
            self.new_password != self.current_password,
            "new_password",
            "La nueva contraseña debe ser distinta de la actual.",
        );
        checks.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_wire_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn login_request_names_each_bad_field() {
        let request = LoginRequest {
            email: "no-es-correo".into(),
            password: String::new(),
        };
        let errors = request.validate().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let body = r#"{"email":"a@b.mx","password":"x","admin":true}"#;
        assert!(serde_json::from_str::<LoginRequest>(body).is_err());
    }
}
