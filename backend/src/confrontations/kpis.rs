//! KPIs by period (`docs/architecture.md`, "Confrontations"): the metrics of the confrontations
//! finished in a month, quarter,
//! semester or year (Mexico City days), overall and per requesting unit, and the registry's
//! proof-of-life coverage (active farmers with a proof of life in the last 12 months). For the
//! SAT, also how many items got each opinion sense.

use std::collections::{BTreeMap, HashMap};

use confrontas_api::{
    Authority, ConfrontationMetrics, ConfrontationState, KpiLine, KpiReport, OutcomeCount,
    ReportPeriod, SatIndicators, SatOutcome,
};
use diesel::prelude::*;

use super::jobs::JobRow;
use crate::calendar::start_of_local_day;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{confrontations, farmers, requests};

/// Days a proof of life counts for the registry-wide coverage.
const PROOF_OF_LIFE_DAYS: i64 = 365;

/// The SAT's per-job counts a line adds up.
struct SatCounts {
    outcomes: HashMap<i64, Vec<OutcomeCount>>,
    indicators: HashMap<i64, SatIndicators>,
}

fn line(unit: Option<(i64, String)>, jobs: &[&JobRow], sat: Option<&SatCounts>) -> KpiLine {
    let mut metrics = ConfrontationMetrics::default();
    let mut outcomes: Vec<OutcomeCount> = Vec::new();
    let mut indicators = sat.map(|_| SatIndicators::default());
    let no_outcomes = HashMap::new();
    let outcomes_by_job = sat.map_or(&no_outcomes, |s| &s.outcomes);
    for job in jobs {
        metrics.add(&job.metrics());
        if let (Some(total), Some(of_job)) = (
            indicators.as_mut(),
            sat.and_then(|s| s.indicators.get(&job.id)),
        ) {
            total.add(of_job);
        }
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
        kpis: match &indicators {
            Some(sat) => metrics.sat_kpis(sat),
            None => metrics.kpis(),
        },
        metrics,
        outcomes,
        sat: indicators,
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
    let sat = if authority == Authority::Sat {
        let ids: Vec<i64> = all.iter().map(|job| job.id).collect();
        Some(SatCounts {
            outcomes: super::jobs::outcome_counts(conn, &ids)?,
            indicators: super::jobs::sat_indicators(conn, &all)?,
        })
    } else {
        None
    };
    let units = by_unit
        .into_iter()
        .map(|(unit, jobs)| {
            let name = names.get(&unit).map(|u| u.name.clone()).unwrap_or_default();
            line(Some((unit, name)), &jobs, sat.as_ref())
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
        overall: line(None, &all, sat.as_ref()),
        units,
        active_farmers: active,
        with_recent_proof_of_life: recent,
        proof_of_life_coverage: (active > 0).then(|| recent as f64 / active as f64),
    })
}
