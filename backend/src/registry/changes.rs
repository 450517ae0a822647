//! The registry fields an authority can correct, read as text for comparing, and written back
//! with one history row per changed field. Confrontations apply their results through
//! [`apply_field_changes`], and revert them through it in the other direction.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use confrontas_api::{ChangeSource, FieldChange};
use diesel::prelude::*;

use super::bulk::{NewChange, search_name};
use crate::db::{self, AnyConnection};
use crate::schema::{farmer_history, farmers};

/// The fields of a farmer a confrontation compares: identity (RENAPO) and RFC and opinion (SAT).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = farmers)]
pub struct RegistryRecord {
    pub id: i64,
    pub curp: String,
    pub given_names: String,
    pub first_surname: String,
    pub second_surname: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub birth_state: String,
    pub status: String,
    pub rfc: Option<String>,
    pub sat_opinion: Option<String>,
    pub sat_folio: Option<String>,
    pub sat_issued_on: Option<NaiveDate>,
    pub sat_valid_until: Option<NaiveDate>,
    pub version: i32,
}

/// Field names, as history rows and [`FieldChange`]s name them.
pub const CURP: &str = "curp";
pub const GIVEN_NAMES: &str = "given_names";
pub const FIRST_SURNAME: &str = "first_surname";
pub const SECOND_SURNAME: &str = "second_surname";
pub const BIRTH_DATE: &str = "birth_date";
pub const SEX: &str = "sex";
pub const BIRTH_STATE: &str = "birth_state";
pub const STATUS: &str = "status";
pub const RFC: &str = "rfc";
pub const SAT_OPINION: &str = "sat_opinion";
pub const SAT_FOLIO: &str = "sat_folio";
pub const SAT_ISSUED_ON: &str = "sat_issued_on";
pub const SAT_VALID_UNTIL: &str = "sat_valid_until";

impl RegistryRecord {
    /// The field's value as text (dates as `YYYY-MM-DD`); `None` for an empty or unknown field.
    pub fn field(&self, name: &str) -> Option<String> {
        match name {
            CURP => Some(self.curp.clone()),
            GIVEN_NAMES => Some(self.given_names.clone()),
            FIRST_SURNAME => Some(self.first_surname.clone()),
            SECOND_SURNAME => self.second_surname.clone(),
            BIRTH_DATE => Some(self.birth_date.to_string()),
            SEX => Some(self.sex.clone()),
            BIRTH_STATE => Some(self.birth_state.clone()),
            STATUS => Some(self.status.clone()),
            RFC => self.rfc.clone(),
            SAT_OPINION => self.sat_opinion.clone(),
            SAT_FOLIO => self.sat_folio.clone(),
            SAT_ISSUED_ON => self.sat_issued_on.map(|d| d.to_string()),
            SAT_VALID_UNTIL => self.sat_valid_until.map(|d| d.to_string()),
            _ => None,
        }
    }

    /// Sets the field from text; false when the value does not fit the field.
    fn set(&mut self, name: &str, value: Option<&str>) -> bool {
        let required = |value: Option<&str>| value.map(str::to_owned);
        let date = |value: Option<&str>| value.map(str::parse::<NaiveDate>).transpose();
        match (name, required(value)) {
            (CURP, Some(v)) => self.curp = v,
            (GIVEN_NAMES, Some(v)) => self.given_names = v,
            (FIRST_SURNAME, Some(v)) => self.first_surname = v,
            (SECOND_SURNAME, v) => self.second_surname = v,
            (BIRTH_DATE, Some(v)) => match v.parse::<NaiveDate>() {
                Ok(date) => self.birth_date = date,
                Err(_) => return false,
            },
            (SEX, Some(v)) if v == "H" || v == "M" => self.sex = v,
            (BIRTH_STATE, Some(v)) => self.birth_state = v,
            (STATUS, Some(v)) if confrontas_api::FarmerStatus::parse(&v).is_some() => {
                self.status = v
            }
            (RFC, v)
                if v.as_deref()
                    .is_none_or(|r| confrontas_api::Rfc::parse(r).is_ok()) =>
            {
                self.rfc = v
            }
            (SAT_OPINION, v)
                if v.as_deref()
                    .is_none_or(|o| confrontas_api::SatOutcome::parse(o).is_some()) =>
            {
                self.sat_opinion = v
            }
            (SAT_FOLIO, v) => self.sat_folio = v,
            (SAT_ISSUED_ON, _) => match date(value) {
                Ok(day) => self.sat_issued_on = day,
                Err(_) => return false,
            },
            (SAT_VALID_UNTIL, _) => match date(value) {
                Ok(day) => self.sat_valid_until = day,
                Err(_) => return false,
            },
            _ => return false,
        }
        true
    }
}

/// The records of `ids`, by id (missing ids are absent).
pub fn records(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, RegistryRecord>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(db::IN_CHUNK) {
        for record in farmers::table
            .filter(farmers::id.eq_any(chunk))
            .select(RegistryRecord::as_select())
            .load(conn)?
        {
            found.insert(record.id, record);
        }
    }
    Ok(found)
}

/// Which way changes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `before` → `after`.
    Apply,
    /// `after` → `before`.
    Revert,
}

/// How writing a farmer's changes went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The fields were written, one history row each.
    Fields(usize),
    /// Nothing was written: the registry no longer holds what the changes start from.
    Conflict(String),
}

/// Who writes, and under which reference the history rows are filed.
pub struct Provenance<'a> {
    pub source: ChangeSource,
    pub source_ref: &'a str,
    pub comment: Option<&'a str>,
    pub actor: &'a str,
    pub at: NaiveDateTime,
}

/// Writes `changes` to farmer `farmer_id` in `direction`, with a history row per field, inside
/// the caller's transaction. Every field must still hold the value the change starts from,
/// else nothing is written and the conflict says which field moved.
pub fn apply_field_changes(
    conn: &mut AnyConnection,
    farmer_id: i64,
    changes: &[FieldChange],
    direction: Direction,
    provenance: &Provenance,
) -> QueryResult<Written> {
    let Some(mut record) = farmers::table
        .find(farmer_id)
        .select(RegistryRecord::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(Written::Conflict(
            "el productor ya no está en el padrón".into(),
        ));
    };
    let version = record.version;
    let mut history = Vec::with_capacity(changes.len());
    for change in changes {
        let (from, to) = match direction {
            Direction::Apply => (&change.before, &change.after),
            Direction::Revert => (&change.after, &change.before),
        };
        if record.field(&change.field) != *from {
            return Ok(Written::Conflict(format!(
                "el campo «{}» cambió en el padrón después de la confronta",
                change.field
            )));
        }
        if !record.set(&change.field, to.as_deref()) {
            return Ok(Written::Conflict(format!(
                "el valor de «{}» no es válido para el padrón",
                change.field
            )));
        }
        history.push(NewChange {
            farmer_id,
            field: change.field.clone(),
            before_value: from.clone(),
            after_value: to.clone(),
            source: provenance.source.as_str().to_owned(),
            source_ref: Some(provenance.source_ref.to_owned()),
            comment: provenance.comment.map(str::to_owned),
            actor: provenance.actor.to_owned(),
            at: provenance.at,
        });
    }
    if history.is_empty() {
        return Ok(Written::Fields(0));
    }
    // The CURP is unique: a new one another farmer holds would fail the whole transaction.
    let curp_taken = changes.iter().any(|c| c.field == CURP)
        && farmers::table
            .filter(farmers::curp.eq(&record.curp))
            .filter(farmers::id.ne(farmer_id))
            .count()
            .get_result::<i64>(conn)?
            > 0;
    if curp_taken {
        return Ok(Written::Conflict(format!(
            "la CURP {} ya pertenece a otro productor",
            record.curp
        )));
    }
    if changes.iter().any(|c| c.field == RFC)
        && let Some(rfc) = &record.rfc
        && let Some(holder) = rfc_holder(conn, rfc, farmer_id)?
    {
        return Ok(Written::Conflict(format!(
            "el RFC {rfc} ya pertenece al productor con CURP {holder}"
        )));
    }
    let updated = diesel::update(
        farmers::table
            .find(farmer_id)
            .filter(farmers::version.eq(version)),
    )
    .set((
        farmers::curp.eq(&record.curp),
        farmers::given_names.eq(&record.given_names),
        farmers::first_surname.eq(&record.first_surname),
        farmers::second_surname.eq(&record.second_surname),
        farmers::search_name.eq(search_name(
            &record.given_names,
            &record.first_surname,
            record.second_surname.as_deref(),
        )),
        farmers::birth_date.eq(record.birth_date),
        farmers::sex.eq(&record.sex),
        farmers::birth_state.eq(&record.birth_state),
        farmers::status.eq(&record.status),
        farmers::rfc.eq(&record.rfc),
        farmers::sat_opinion.eq(&record.sat_opinion),
        farmers::sat_folio.eq(&record.sat_folio),
        farmers::sat_issued_on.eq(record.sat_issued_on),
        farmers::sat_valid_until.eq(record.sat_valid_until),
        farmers::version.eq(version + 1),
        farmers::updated_at.eq(provenance.at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(Written::Conflict(
            "el productor cambió mientras se escribía".into(),
        ));
    }
    let fields = history.len();
    crate::per_backend!(conn, |c| diesel::insert_into(farmer_history::table)
        .values(&history)
        .execute(c))?;
    Ok(Written::Fields(fields))
}

/// The CURP of the farmer other than `farmer_id` that holds `rfc`, if any: one RFC is one
/// person's (the generic ones aside), and the registry's unique index refuses a second holder
/// (`docs/sat-protocol.md`, "Whose RFC it is").
pub fn rfc_holder(
    conn: &mut AnyConnection,
    rfc: &str,
    farmer_id: i64,
) -> QueryResult<Option<String>> {
    if confrontas_api::Rfc::is_generic_text(rfc) {
        return Ok(None);
    }
    farmers::table
        .filter(farmers::rfc.eq(rfc))
        .filter(farmers::id.ne(farmer_id))
        .select(farmers::curp)
        .first(conn)
        .optional()
}
