//! KPIs by period (`docs/architecture.md`, "Confrontations"): the metrics of the confrontations
//! finished in a month, quarter,
//! semester or year (Mexico City days), overall and per requesting unit, and the registry's
//! proof-of-life coverage (active farmers with a proof of life in the last 12 months). For the
//! SAT, also how many items got each opinion sense.

use std::collections::{BTreeMap, HashMap};

use confrontas_api::{
    Authority, ConfrontationMetrics, ConfrontationState, KpiLine, KpiReport, OutcomeCount,
    ReportPeriod, SatOutcome,
};
use diesel::prelude::*;

use super::jobs::JobRow;
use crate::calendar::start_of_local_day;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{confrontations, farmers, requests};

/// Days a proof of life counts for the registry-wide coverage.
const PROOF_OF_LIFE_DAYS: i64 = 365;

fn line(
    unit: Option<(i64, String)>,
    jobs: &[&JobRow],
    outcomes_by_job: &HashMap<i64, Vec<OutcomeCount>>,
) -> KpiLine {
    let mut metrics = ConfrontationMetrics::default();
    let mut outcomes: Vec<OutcomeCount> = Vec::new();
    for job in jobs {
        metrics.add(&job.metrics());
        for count in outcomes_by_job.get(&job.id).into_iter().flatten() {
            match outcomes.iter_mut().find(|c| c.outcome == count.outcome) {
                Some(total) => total.count += count.count,
                None => outcomes.push(*count),
            }
        }
    }
    outcomes.sort_by_key(|c| SatOutcome::ALL.iter().position(|o| *o == c.outcome));
    let (unit_id, unit_name) = unit.unzip();
    KpiLine {
        unit_id,
        unit_name,
        confrontations: jobs.len() as u64,
        kpis: metrics.kpis(),
        metrics,
        outcomes,
    }
}

/// The report for `period` (an area sees only its own unit).
pub fn report(
    conn: &mut AnyConnection,
    period_text: &str,
    period: &ReportPeriod,
    authority: Authority,
    only_unit: Option<i64>,
) -> AppResult<KpiReport> {
    let from = start_of_local_day(period.first_day).naive_utc();
    let until = start_of_local_day(
        period
            .last_day
            .succ_opt()
            .ok_or_else(|| AppError::internal("period at the end of time"))?,
    )
    .naive_utc();
    let mut query = confrontations::table
        .inner_join(requests::table)
        .filter(confrontations::authority.eq(authority.as_str()))
        .filter(confrontations::state.eq(ConfrontationState::Finished.as_str()))
        .filter(confrontations::finished_at.ge(from))
        .filter(confrontations::finished_at.lt(until))
        .into_boxed::<db::DbBackend>();
    if let Some(unit) = only_unit {
        query = query.filter(requests::unit_id.eq(unit));
    }
    let rows: Vec<(JobRow, i64)> = query
        .select((JobRow::as_select(), requests::unit_id))
        .load(conn)?;
    let unit_ids: Vec<i64> = rows.iter().map(|(_, unit)| *unit).collect();
    let names = crate::units::records::unit_refs(conn, &unit_ids)?;
    let mut by_unit: BTreeMap<i64, Vec<&JobRow>> = BTreeMap::new();
    for (job, unit) in &rows {
        by_unit.entry(*unit).or_default().push(job);
    }
    let all: Vec<&JobRow> = rows.iter().map(|(job, _)| job).collect();
    let outcomes = if authority == Authority::Sat {
        let ids: Vec<i64> = all.iter().map(|job| job.id).collect();
        super::jobs::outcome_counts(conn, &ids)?
    } else {
        HashMap::new()
    };
    let units = by_unit
        .into_iter()
        .map(|(unit, jobs)| {
            let name = names.get(&unit).map(|u| u.name.clone()).unwrap_or_default();
            line(Some((unit, name)), &jobs, &outcomes)
        })
        .collect();

    let since = db::now() - chrono::TimeDelta::days(PROOF_OF_LIFE_DAYS);
    let active = farmers::table
        .filter(farmers::status.eq("active"))
        .count()
        .get_result::<i64>(conn)?
        .max(0) as u64;
    let recent = farmers::table
        .filter(farmers::status.eq("active"))
        .filter(farmers::last_proof_of_life_at.ge(since))
        .count()
        .get_result::<i64>(conn)?
        .max(0) as u64;
    Ok(KpiReport {
        period: period_text.to_owned(),
        authority,
        overall: line(None, &all, &outcomes),
        units,
        active_farmers: active,
        with_recent_proof_of_life: recent,
        proof_of_life_coverage: (active > 0).then(|| recent as f64 / active as f64),
    })
}
