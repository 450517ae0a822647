//! The CURP layout: the spreadsheet of CURPs an area sends with a request, and the
//! report of checking it.

use serde::{Deserialize, Serialize};

/// Issues listed in a JSON report; the `.xlsx` report lists them all.
pub const LAYOUT_ISSUES_SHOWN: usize = 1_000;

/// What is wrong with a layout row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LayoutIssueKind {
    /// The row has data but no CURP.
    MissingCurp,
    /// The CURP fails a check; `reason` says which (`format`, `date`, `state`, …).
    InvalidCurp,
    /// The same CURP appears on an earlier row (`duplicate_of`).
    Duplicate,
    /// The CURP is valid but is not in the farmer registry.
    NotInRegistry,
    /// The RFC looks wrong; only a warning, since real RFCs can fail the check digit.
    RfcWarning,
}

impl LayoutIssueKind {
    pub const ALL: [LayoutIssueKind; 5] = [
        LayoutIssueKind::MissingCurp,
        LayoutIssueKind::InvalidCurp,
        LayoutIssueKind::Duplicate,
        LayoutIssueKind::NotInRegistry,
        LayoutIssueKind::RfcWarning,
    ];

    /// Errors make a row unusable; warnings do not.
    pub fn is_error(self) -> bool {
        self != LayoutIssueKind::RfcWarning
    }

    pub fn label(self) -> &'static str {
        match self {
            LayoutIssueKind::MissingCurp => "Sin CURP",
            LayoutIssueKind::InvalidCurp => "CURP no válida",
            LayoutIssueKind::Duplicate => "CURP repetida",
            LayoutIssueKind::NotInRegistry => "No está en el padrón",
            LayoutIssueKind::RfcWarning => "Advertencia de RFC",
        }
    }
}

/// One problem found on one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayoutIssue {
    /// Row number as Excel shows it (record number in a CSV).
    pub row: u32,
    /// The CURP as written (trimmed, at most 40 characters).
    pub curp: String,
    pub kind: LayoutIssueKind,
    /// Machine-readable reason, e.g. `check_digit` for an invalid CURP.
    pub reason: Option<String>,
    /// For duplicates: the row where the CURP first appears.
    pub duplicate_of: Option<u32>,
    /// What is wrong, in Spanish.
    pub message: String,
}

/// Counts of a layout report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayoutTotals {
    /// Data rows read (blank rows are not counted).
    pub rows: u64,
    /// Rows without errors (they may have warnings).
    pub valid_rows: u64,
    /// Rows with at least one error.
    pub rows_with_errors: u64,
    pub missing_curp: u64,
    pub invalid_curp: u64,
    pub duplicates: u64,
    pub not_in_registry: u64,
    pub rfc_warnings: u64,
}

/// The result of checking a CURP layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayoutReport {
    pub file_name: String,
    /// Row number of the header row.
    pub header_row: u32,
    /// The layout columns found in the file, by their template names.
    pub columns: Vec<String>,
    pub totals: LayoutTotals,
    /// Issues in row order; at most 1,000 (see `issues_truncated`).
    pub issues: Vec<LayoutIssue>,
    /// True when there are more issues than listed; the `.xlsx` report has them all.
    pub issues_truncated: bool,
}

impl LayoutReport {
    /// A layout can go with a request only when every row is usable.
    pub fn is_clean(&self) -> bool {
        self.totals.rows_with_errors == 0
    }
}

/// The form of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Json,
    /// An `.xlsx` download with every issue.
    Xlsx,
}

/// Parameters of `POST /api/v1/layouts/validate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct LayoutCheckParams {
    /// `json` (default) or `xlsx`.
    pub format: Option<ReportFormat>,
}
