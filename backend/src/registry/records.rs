//! Reading the registry: a farmer by CURP, searches, and a farmer's history.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use confrontas_api::{
    ChangeSource, EligibilityPolicy, Farmer, FarmerChange, FarmerSort, FarmerStatus, Page, Sex,
};
use diesel::prelude::*;

use super::bulk::search_key;
use crate::db::{self, AnyConnection, PageRequest};
use crate::error::{AppError, AppResult};
use crate::schema::{confrontations, farmer_history, farmers, requests};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = farmers)]
pub struct FarmerRow {
    pub id: i64,
    pub curp: String,
    pub rfc: Option<String>,
    pub given_names: String,
    pub first_surname: String,
    pub second_surname: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub birth_state: String,
    pub state: Option<String>,
    pub municipality: Option<String>,
    pub producer_folio: Option<String>,
    pub status: String,
    pub last_proof_of_life_at: Option<NaiveDateTime>,
    pub sat_opinion: Option<String>,
    pub sat_folio: Option<String>,
    pub sat_issued_on: Option<NaiveDate>,
    pub sat_valid_until: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FarmerRow {
    /// The farmer as the API shows it, the opinion's eligibility judged by `policy`.
    pub fn into_dto(self, policy: &EligibilityPolicy) -> AppResult<Farmer> {
        let standing = self.sat_valid_until.map(opinion_standing);
        let eligibility =
            crate::sat::eligibility::verdict(policy, self.sat_opinion.as_deref(), standing);
        Ok(Farmer {
            status: FarmerStatus::parse(&self.status)
                .ok_or_else(|| AppError::internal("unknown farmer status"))?,
            sex: if self.sex == "H" {
                Sex::Male
            } else {
                Sex::Female
            },
            id: self.id,
            curp: self.curp,
            rfc: self.rfc,
            given_names: self.given_names,
            first_surname: self.first_surname,
            second_surname: self.second_surname,
            birth_date: self.birth_date,
            birth_state: self.birth_state,
            state: self.state,
            municipality: self.municipality,
            producer_folio: self.producer_folio,
            last_proof_of_life_at: self.last_proof_of_life_at.map(|t| t.and_utc()),
            sat_opinion: self.sat_opinion,
            sat_folio: self.sat_folio,
            sat_issued_on: self.sat_issued_on,
            sat_eligibility: eligibility,
            sat_standing: standing,
            sat_valid_until: self.sat_valid_until,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

pub fn find(conn: &mut AnyConnection, curp: &str) -> AppResult<FarmerRow> {
    farmers::table
        .filter(farmers::curp.eq(curp.trim().to_uppercase()))
        .select(FarmerRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No hay un productor con esa CURP en el padrón."))
}

/// The page of the farmers `search` finds, in `sort` order.
pub fn list(
    conn: &mut AnyConnection,
    search: &Search,
    sort: FarmerSort,
    page: PageRequest,
) -> AppResult<Page<Farmer>> {
    let sorted = match sort {
        FarmerSort::Name => search
            .query()
            .order((farmers::search_name.asc(), farmers::id.asc())),
        FarmerSort::Curp => search.query().order(farmers::curp.asc()),
        FarmerSort::Recent => search
            .query()
            .order((farmers::updated_at.desc(), farmers::id.desc())),
    };
    let policy = crate::sat::eligibility::policy(conn)?;
    page.load(
        conn,
        search.query().count(),
        sorted.select(FarmerRow::as_select()),
    )?
    .try_map(|rows| rows.into_iter().map(|row| row.into_dto(&policy)).collect())
}

/// A registry search (list and export share it).
pub struct Search {
    curp_prefix: Option<String>,
    /// `LIKE` patterns, one per word of the name.
    words: Vec<String>,
    residence: Option<String>,
    status: Option<FarmerStatus>,
}

impl Search {
    pub fn new(
        curp: &Option<String>,
        q: &Option<String>,
        residence: &Option<String>,
        status: Option<FarmerStatus>,
    ) -> AppResult<Search> {
        let curp_prefix = curp
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty());
        if curp_prefix
            .as_deref()
            .is_some_and(|c| c.len() > 18 || !c.chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            return Err(AppError::validation(vec![confrontas_api::FieldError::new(
                "curp",
                "Escriba el inicio de una CURP: solo letras y dígitos, hasta 18.",
            )]));
        }
        let words = q
            .as_deref()
            .map(search_key)
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(db::like_anywhere)
            .collect();
        let residence = residence
            .as_deref()
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty());
        Ok(Search {
            curp_prefix,
            words,
            residence,
            status,
        })
    }

    pub fn query(&self) -> farmers::BoxedQuery<'static, db::DbBackend> {
        let mut query = farmers::table.into_boxed();
        if let Some(prefix) = &self.curp_prefix {
            query = query.filter(farmers::curp.like(format!("{prefix}%")));
        }
        for pattern in &self.words {
            // Both the stored search name and the words are upper case without accents.
            query = query.filter(farmers::search_name.like(pattern.clone()).escape('\\'));
        }
        if let Some(code) = &self.residence {
            query = query.filter(farmers::state.eq(code.clone()));
        }
        if let Some(status) = self.status {
            query = query.filter(farmers::status.eq(status.as_str()));
        }
        query
    }
}

/// A page of the history of the farmer with `curp`, newest first.
pub fn history(
    conn: &mut AnyConnection,
    curp: &str,
    page: PageRequest,
) -> AppResult<Page<FarmerChange>> {
    let farmer = find(conn, curp)?;
    let of_farmer = || farmer_history::table.filter(farmer_history::farmer_id.eq(farmer.id));
    let rows: Page<HistoryTuple> = page.load(
        conn,
        of_farmer().count(),
        of_farmer().order(farmer_history::id.desc()).select((
            farmer_history::id,
            farmer_history::field,
            farmer_history::before_value,
            farmer_history::after_value,
            farmer_history::source,
            farmer_history::source_ref,
            farmer_history::comment,
            farmer_history::actor,
            farmer_history::at,
        )),
    )?;
    let users: Vec<i64> = rows
        .items
        .iter()
        .filter_map(|row| row.7.strip_prefix("user:")?.parse().ok())
        .collect();
    let people = crate::attachments::people(conn, &users)?;
    let jobs: Vec<i64> = rows
        .items
        .iter()
        .filter_map(|row| {
            row.5
                .as_deref()?
                .strip_prefix("confrontation:")?
                .parse()
                .ok()
        })
        .collect();
    let tickets: HashMap<i64, String> = confrontations::table
        .inner_join(requests::table)
        .filter(confrontations::id.eq_any(&jobs))
        .select((confrontations::id, requests::ticket_number))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let actor_name = |actor: &str| match actor.split_once(':') {
        Some(("user", id)) => id
            .parse()
            .ok()
            .and_then(|id: i64| people.get(&id))
            .map_or_else(|| actor.to_owned(), |person| person.name.clone()),
        Some(("client", id)) => format!("Sistema asociado (cliente API {id})"),
        _ => "Sistema".to_owned(),
    };
    let source_title = |source_ref: &str| match source_ref.split_once(':') {
        Some(("confrontation", id)) => {
            Some(match id.parse().ok().and_then(|id: i64| tickets.get(&id)) {
                Some(ticket) => format!("Confronta {id} · {ticket}"),
                None => format!("Confronta {id}"),
            })
        }
        Some(("import", id)) => Some(format!("Importación {id}")),
        _ => None,
    };
    rows.try_map(|rows| {
        rows.into_iter()
            .map(
                |(id, field, before, after, source, source_ref, comment, actor, at)| {
                    Ok(FarmerChange {
                        source: ChangeSource::parse(&source)
                            .ok_or_else(|| AppError::internal("unknown change source"))?,
                        id,
                        field,
                        before,
                        after,
                        source_title: source_ref.as_deref().and_then(source_title),
                        source_ref,
                        comment,
                        actor_name: actor_name(&actor),
                        actor,
                        at: at.and_utc(),
                    })
                },
            )
            .collect()
    })
}

type HistoryTuple = (
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    NaiveDateTime,
);

/// The standing today (Mexico City) of an opinion valid through `valid_until`.
pub fn opinion_standing(valid_until: NaiveDate) -> confrontas_api::OpinionStanding {
    confrontas_api::OpinionStanding::on(
        valid_until,
        crate::calendar::rules::local_date(chrono::Utc::now()),
    )
}
