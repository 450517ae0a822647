//! Building blocks shared by every endpoint: problems (errors), pagination, field validation.

use serde::{Deserialize, Serialize};

/// An RFC 9457 problem document (`application/problem+json`). `code` is stable and meant for
/// programs; `detail` is in Spanish and meant for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// URI identifying the problem type (`urn:confrontas:problem:{code}`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type (Spanish).
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What happened and what to do about it (Spanish).
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_credentials`.
    pub code: String,
    /// Field-level errors, when the request body failed validation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Field name as it appears in the JSON body.
    pub field: String,
    /// Why the value was refused (Spanish).
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Largest page a list endpoint returns.
pub const MAX_PER_PAGE: u32 = 200;
/// Highest page number accepted (far beyond any real list; keeps offsets small).
pub const MAX_PAGE: u32 = 1_000_000;
/// Page size when the caller does not ask for one.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// Pagination parameters accepted by every list endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PageParams {
    /// Page number, starting at 1.
    #[cfg_attr(
        feature = "openapi",
        param(minimum = 1, maximum = 1000000, default = 1)
    )]
    pub page: Option<u32>,
    /// Items per page (1 to 200).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200, default = 50))]
    pub per_page: Option<u32>,
}

impl PageParams {
    /// The page and page size to use, or the reason the parameters are unacceptable.
    pub fn resolve(&self) -> Result<(u32, u32), FieldError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || page > MAX_PAGE {
            let message = format!("La página debe estar entre 1 y {MAX_PAGE}.");
            return Err(FieldError::new("page", message));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(FieldError::new(
                "per_page",
                format!("El tamaño de página debe estar entre 1 y {MAX_PER_PAGE}."),
            ));
        }
        Ok((page, per_page))
    }
}

/// One page of a list, with the total count of matching items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    /// Number of items matching the filters, across all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// Number of pages needed for `total` items (at least 1, so an empty list has one empty page).
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page.max(1))).max(1)
    }

    /// The same page with its items converted.
    pub fn map<U>(self, convert: impl FnOnce(Vec<T>) -> Vec<U>) -> Page<U> {
        Page {
            items: convert(self.items),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }

    /// The same page with its items converted by a conversion that may fail (all at once: it
    /// may look up what the items refer to in one go).
    pub fn try_map<U, E>(
        self,
        convert: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>,
    ) -> Result<Page<U>, E> {
        Ok(Page {
            items: convert(self.items)?,
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        })
    }
}

/// Collects field errors while checking a request body.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
        self
    }

    pub fn push(&mut self, error: FieldError) -> &mut Self {
        self.0.push(error);
        self
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// Minimum and maximum password lengths (characters), per ASVS: long passphrases allowed.
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Checks a new password against the policy; `None` when acceptable.
pub fn password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        Some(format!(
            "La contraseña debe tener al menos {PASSWORD_MIN_CHARS} caracteres."
        ))
    } else if chars > PASSWORD_MAX_CHARS {
        Some(format!(
            "La contraseña no puede exceder {PASSWORD_MAX_CHARS} caracteres."
        ))
    } else {
        None
    }
}

/// Checks a required single-line text field of at most `max` characters.
pub fn text_problem(value: &str, max: usize) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Some("Este campo es obligatorio.".to_owned())
    } else if trimmed.chars().count() > max {
        Some(format!("No puede exceder {max} caracteres."))
    } else if trimmed.chars().any(char::is_control) {
        Some("No puede contener caracteres de control.".to_owned())
    } else {
        None
    }
}

/// A whole number as people in Mexico write it: `12,500`.
pub fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut written = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            written.push(',');
        }
        written.push(digit);
    }
    written
}

/// The page numbers a pager offers around `page` of `count`: the first, the last and two on
/// each side of the current one, `None` where numbers are left out.
pub fn page_numbers(page: u64, count: u64) -> Vec<Option<u64>> {
    let mut shown: Vec<Option<u64>> = Vec::new();
    for number in 1..=count {
        if number == 1 || number == count || number.abs_diff(page) <= 2 {
            shown.push(Some(number));
        } else if shown.last() != Some(&None) {
            shown.push(None);
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_params_default_and_bounds() {
        let params = PageParams {
            page: None,
            per_page: None,
        };
        assert_eq!(params.resolve(), Ok((1, DEFAULT_PER_PAGE)));
        assert!(
            PageParams {
                page: Some(0),
                per_page: None
            }
            .resolve()
            .is_err()
        );
        assert!(
            PageParams {
                page: None,
                per_page: Some(201)
            }
            .resolve()
            .is_err()
        );
        assert!(
            PageParams {
                page: Some(MAX_PAGE + 1),
                per_page: None
            }
            .resolve()
            .is_err()
        );
        assert_eq!(
            PageParams {
                page: Some(3),
                per_page: Some(200)
            }
            .resolve(),
            Ok((3, 200))
        );
    }

    #[test]
    fn page_count_rounds_up_and_is_never_zero() {
        let page = |total| Page::<()> {
            items: vec![],
            page: 1,
            per_page: 50,
            total,
        };
        assert_eq!(page(0).page_count(), 1);
        assert_eq!(page(50).page_count(), 1);
        assert_eq!(page(51).page_count(), 2);
    }

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("area@demo.confrontas.mx"));
        for bad in [
            "",
            "sin-arroba",
            "@dominio.mx",
            "a@b",
            "a b@c.mx",
            "a@.mx",
            "a@c.mx.",
            "a@b@c.mx",
        ] {
            assert!(!is_plausible_email(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn password_policy_counts_characters_not_bytes() {
        assert!(password_problem("ñññññññññññ").is_some(), "11 characters");
        assert!(password_problem("ññññññññññññ").is_none(), "12 characters");
        assert!(password_problem(&"x".repeat(129)).is_some());
    }

    #[test]
    fn text_fields_are_required_bounded_and_single_line() {
        assert!(text_problem("  ", 10).is_some());
        assert!(text_problem("Dirección", 10).is_none());
        assert!(text_problem("Dirección General", 10).is_some());
        assert!(text_problem("uno\ndos", 10).is_some());
    }

    #[test]
    fn a_pager_offers_the_ends_and_the_neighbourhood_of_the_current_page() {
        assert_eq!(page_numbers(1, 1), [Some(1)]);
        assert_eq!(page_numbers(1, 4), [Some(1), Some(2), Some(3), Some(4)]);
        assert_eq!(
            page_numbers(10, 30),
            [
                Some(1),
                None,
                Some(8),
                Some(9),
                Some(10),
                Some(11),
                Some(12),
                None,
                Some(30)
            ]
        );
        assert_eq!(
            page_numbers(2, 9),
            [Some(1), Some(2), Some(3), Some(4), None, Some(9)]
        );
    }
}
