//! Checking a CURP layout row by row. Two threads share the work: one reads the
//! file (the costly part: unzipping and parsing XML), the other checks each row (CURP, RFC,
//! repeated CURPs), asks the registry about the valid CURPs (see [`Membership`]) and hands the
//! finished rows, in order, to an [`IssueSink`]. Memory holds one compact key per distinct CURP
//! (to find repeats) and a few batches, whatever the file size, plus the registry's keys when
//! the file is large.

use std::path::Path;
use std::sync::mpsc;

use confrontas_api::{Curp, LAYOUT_ISSUES_SHOWN, LayoutIssue, LayoutIssueKind, LayoutTotals, Rfc};

use super::LAYOUT_COLUMNS;
use crate::db::{self, DbPool};
use crate::error::AppResult;
use crate::registry::membership::Membership;
use crate::uploads::{self, FirstRows, Record, SheetFormat, UploadLimits};

/// Rows per batch handed from the reading thread to the checking thread.
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

/// The cells of a row the checks need, copied off the reading thread.
struct Written {
    row: u32,
    progress: f64,
    curp: String,
    rfc: String,
}

impl Written {
    fn of(record: &Record) -> Written {
        Written {
            row: record.number,
            progress: record.progress,
            curp: record.value(0).to_owned(),
            rfc: record.value(1).to_owned(),
        }
    }
}

/// A checked row waiting for the registry's answer.
struct Pending {
    row: u32,
    /// The valid CURP to look up in the registry, when the row has one and it is not a repeat.
    lookup: Option<Curp>,
    issues: Vec<LayoutIssue>,
}

pub fn check_layout(
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    pool: &DbPool,
    sink: &mut dyn IssueSink,
) -> AppResult<LayoutCheck> {
    let ((header_row, columns), totals) = uploads::read_table_in_batches(
        path,
        format,
        limits,
        &LAYOUT_COLUMNS,
        BATCH_ROWS,
        |record| Ok(Written::of(record)),
        |batches| check_rows(pool, batches, sink),
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
    seen: FirstRows,
}

impl RowChecks {
    fn check(&mut self, written: &Written) -> Pending {
        // Built only for rows with an issue: most rows have none.
        let issue = |kind, reason: Option<&str>, duplicate_of, message: String| LayoutIssue {
            row: written.row,
            curp: written.curp.chars().take(40).collect(),
            kind,
            reason: reason.map(str::to_owned),
            duplicate_of,
            message,
        };
        let mut issues = Vec::new();
        let mut lookup = None;
        if written.curp.is_empty() {
            issues.push(issue(
                LayoutIssueKind::MissingCurp,
                None,
                None,
                "La fila tiene datos pero no tiene CURP.".to_owned(),
            ));
        } else {
            match Curp::parse(&written.curp) {
                Err(problem) => issues.push(issue(
                    LayoutIssueKind::InvalidCurp,
                    Some(problem.code()),
                    None,
                    problem.message().to_owned(),
                )),
                Ok(curp) => match self.seen.repeat_of(&curp, written.row) {
                    Some(first) => issues.push(issue(
                        LayoutIssueKind::Duplicate,
                        None,
                        Some(first),
                        format!("La CURP ya aparece en la fila {first}."),
                    )),
                    None => lookup = Some(curp),
                },
            }
        }
        let rfc = written.rfc.as_str();
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
            row: written.row,
            lookup,
            issues,
        }
    }
}

/// The checking thread: each batch's rows checked on their own, then against the registry,
/// then their issues in order to the sink.
fn check_rows(
    pool: &DbPool,
    batches: mpsc::Receiver<Vec<Written>>,
    sink: &mut dyn IssueSink,
) -> AppResult<LayoutTotals> {
    let mut conn = db::checkout(pool)?;
    let mut checks = RowChecks::default();
    let mut membership = None;
    let mut totals = LayoutTotals::default();
    for batch in batches {
        let membership = match &mut membership {
            Some(membership) => membership,
            None => {
                // The first batch tells how far into the file it reached, hence its size.
                let progress = batch.last().map_or(1.0, |w| w.progress).max(1e-6);
                let expected_rows = (batch.len() as f64 / progress) as u64;
                membership.insert(Membership::for_rows(&mut conn, expected_rows)?)
            }
        };
        let checked: Vec<Pending> = batch.iter().map(|w| checks.check(w)).collect();
        let lookups: Vec<&Curp> = checked.iter().filter_map(|p| p.lookup.as_ref()).collect();
        let mut present = membership.present(&mut conn, &lookups)?.into_iter();
        for mut pending in checked {
            if let Some(curp) = pending.lookup.take()
                && present.next() == Some(false)
            {
                pending.issues.insert(
                    0,
                    LayoutIssue {
                        row: pending.row,
                        curp: curp.into(),
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
