//! Checking a CURP layout row by row (DESIGN §7). Two threads share the work: one reads and
//! checks each row on its own (CURP, RFC, repeated CURPs), the other asks the registry about
//! batches of valid CURPs and hands the finished rows, in order, to an [`IssueSink`]. Memory holds
//! one compact key per distinct CURP (to find repeats) and a few batches, whatever the file size.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc;

use confrontas_api::{Curp, LAYOUT_ISSUES_SHOWN, LayoutIssue, LayoutIssueKind, LayoutTotals, Rfc};
use diesel::prelude::*;

use super::LAYOUT_COLUMNS;
use crate::db::DbPool;
use crate::error::{AppError, AppResult};
use crate::schema::farmers;
use crate::uploads::{self, Record, SheetFormat, UploadLimits};

/// Rows per registry query.
const BATCH_ROWS: usize = 1_000;

/// Where a check's issues go, in row order.
pub trait IssueSink: Send {
    fn push(&mut self, issue: LayoutIssue) -> AppResult<()>;
}

/// Keeps the first [`LAYOUT_ISSUES_SHOWN`] issues, for the JSON report.
#[derive(Debug, Default)]
pub struct FirstIssues {
    pub issues: Vec<LayoutIssue>,
    pub truncated: bool,
}

impl IssueSink for FirstIssues {
    fn push(&mut self, issue: LayoutIssue) -> AppResult<()> {
        if self.issues.len() < LAYOUT_ISSUES_SHOWN {
            self.issues.push(issue);
        } else {
            self.truncated = true;
        }
        Ok(())
    }
}

/// What a check found besides the issues.
#[derive(Debug, Clone)]
pub struct LayoutCheck {
    pub header_row: u32,
    pub columns: Vec<String>,
    pub totals: LayoutTotals,
}

/// A row on its way to the registry check.
struct Pending {
    row: u32,
    /// The valid CURP to look up in the registry, when the row has one and it is not a repeat.
    lookup: Option<String>,
    issues: Vec<LayoutIssue>,
}

pub fn check_layout(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    pool: &DbPool,
    sink: &mut dyn IssueSink,
) -> AppResult<LayoutCheck> {
    let mut rows = RowChecks::default();
    let ((header_row, columns), totals) = uploads::read_table_in_batches(
        path,
        format,
        limits,
        &LAYOUT_COLUMNS,
        BATCH_ROWS,
        |record| Ok(rows.check(record)),
        |batches| check_in_registry(pool, batches, sink),
    )?;
    Ok(LayoutCheck {
        header_row,
        columns: columns.into_iter().map(str::to_owned).collect(),
        totals,
    })
}

/// The checks a row needs without the registry.
#[derive(Default)]
struct RowChecks {
    /// First row of each CURP seen, keyed by the CURP packed in 96 bits.
    seen: HashMap<[u32; 3], u32>,
}

impl RowChecks {
    fn check(&mut self, record: &Record) -> Pending {
        let written = record.value(0);
        // Built only for rows with an issue: most rows have none.
        let issue = |kind, reason: Option<&str>, duplicate_of, message: String| LayoutIssue {
            row: record.number,
            curp: written.chars().take(40).collect(),
            kind,
            reason: reason.map(str::to_owned),
            duplicate_of,
            message,
        };
        let mut issues = Vec::new();
        let mut lookup = None;
        if written.is_empty() {
            issues.push(issue(
                LayoutIssueKind::MissingCurp,
                None,
                None,
                "La fila tiene datos pero no tiene CURP.".to_owned(),
            ));
        } else {
            match Curp::parse(written) {
                Err(problem) => issues.push(issue(
                    LayoutIssueKind::InvalidCurp,
                    Some(problem.code()),
                    None,
                    problem.message().to_owned(),
                )),
                Ok(curp) => match self.seen.entry(curp.packed()) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        let first = *first.get();
                        issues.push(issue(
                            LayoutIssueKind::Duplicate,
                            None,
                            Some(first),
                            format!("La CURP ya aparece en la fila {first}."),
                        ));
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(record.number);
                        lookup = Some(String::from(curp));
                    }
                },
            }
        }
        let rfc = record.value(1);
        if !rfc.is_empty() {
            let warning = match Rfc::parse(rfc) {
                Err(problem) => Some((problem.code(), problem.message())),
                Ok(rfc) => rfc.warnings().first().map(|w| (w.code(), w.message())),
            };
            if let Some((reason, message)) = warning {
                issues.push(issue(
                    LayoutIssueKind::RfcWarning,
                    Some(reason),
                    None,
                    format!(
                        "RFC «{}»: {message}",
                        rfc.chars().take(20).collect::<String>()
                    ),
                ));
            }
        }
        Pending {
            row: record.number,
            lookup,
            issues,
        }
    }
}

/// The registry side: one query per batch, then the rows' issues in order to the sink.
fn check_in_registry(
    pool: &DbPool,
    batches: mpsc::Receiver<Vec<Pending>>,
    sink: &mut dyn IssueSink,
) -> AppResult<LayoutTotals> {
    let mut conn = pool.get().map_err(AppError::internal)?;
    let mut totals = LayoutTotals::default();
    for batch in batches {
        let wanted: Vec<&str> = batch.iter().filter_map(|p| p.lookup.as_deref()).collect();
        let present: HashSet<String> = farmers::table
            .filter(farmers::curp.eq_any(&wanted))
            .select(farmers::curp)
            .load::<String>(&mut *conn)?
            .into_iter()
            .collect();
        for mut pending in batch {
            if let Some(curp) = pending.lookup.as_deref().filter(|c| !present.contains(*c)) {
                pending.issues.insert(
                    0,
                    LayoutIssue {
                        row: pending.row,
                        curp: curp.to_owned(),
                        kind: LayoutIssueKind::NotInRegistry,
                        reason: None,
                        duplicate_of: None,
                        message: "La CURP es válida pero no está en el padrón de productores."
                            .to_owned(),
                    },
                );
            }
            totals.rows += 1;
            if pending.issues.iter().any(|i| i.kind.is_error()) {
                totals.rows_with_errors += 1;
            }
            for issue in pending.issues {
                *match issue.kind {
                    LayoutIssueKind::MissingCurp => &mut totals.missing_curp,
                    LayoutIssueKind::InvalidCurp => &mut totals.invalid_curp,
                    LayoutIssueKind::Duplicate => &mut totals.duplicates,
                    LayoutIssueKind::NotInRegistry => &mut totals.not_in_registry,
                    LayoutIssueKind::RfcWarning => &mut totals.rfc_warnings,
                } += 1;
                sink.push(issue)?;
            }
        }
    }
    totals.valid_rows = totals.rows - totals.rows_with_errors;
    Ok(totals)
}
