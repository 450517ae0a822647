//! Reading an import's rows: each record checked on the reading thread for what needs only the
//! row itself (the CURP, repeats, texts, RFC, state, status); the registry is consulted later,
//! by the batch writer.

use confrontas_api::identity::{STATES, plain_upper};
use confrontas_api::{Curp, FarmerStatus, ItemReason, Rfc};

use crate::registry::bulk::{NewFarmer, search_name};
use crate::registry::columns;
use crate::uploads::{Column, Columns, FirstRows, Record};

/// The columns of a registry import, in template order; rows refer to them by index.
pub const IMPORT_COLUMNS: Columns = Columns(&[
    columns::CURP,
    columns::GIVEN_NAMES,
    columns::FIRST_SURNAME,
    columns::SECOND_SURNAME,
    columns::RFC,
    Column {
        header: "ENTIDAD",
        aliases: &["ESTADO", "ENTIDAD FEDERATIVA", "ENTIDAD DE RESIDENCIA"],
        required: false,
    },
    Column {
        header: "MUNICIPIO",
        aliases: &[],
        required: false,
    },
    columns::PRODUCER_FOLIO,
    Column {
        header: "ESTATUS",
        aliases: &["SITUACION", "ESTATUS DEL PRODUCTOR"],
        required: false,
    },
]);

const NAME_MAX: usize = confrontas_api::directory::NAME_MAX;

/// What the file asks for one farmer. `None` means the file leaves the field alone (no such
/// column, or a blank cell: blanks never erase registry data).
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    pub curp: String,
    pub given_names: Option<String>,
    pub first_surname: Option<String>,
    pub second_surname: Option<String>,
    pub rfc: Option<String>,
    pub state: Option<String>,
    pub municipality: Option<String>,
    pub producer_folio: Option<String>,
    pub status: Option<FarmerStatus>,
}

impl NewFarmer {
    /// A farmer new to the registry from an import row; `None` without a name and first surname.
    /// Birth date, sex and birth state come from the CURP.
    pub fn from_import(incoming: &Incoming) -> Option<NewFarmer> {
        let given_names = incoming.given_names.clone()?;
        let first_surname = incoming.first_surname.clone()?;
        let curp = Curp::parse(&incoming.curp).ok()?;
        Some(NewFarmer {
            search_name: search_name(
                &given_names,
                &first_surname,
                incoming.second_surname.as_deref(),
            ),
            curp: incoming.curp.clone(),
            rfc: incoming.rfc.clone(),
            given_names,
            first_surname,
            second_surname: incoming.second_surname.clone(),
            birth_date: curp.birth_date(),
            sex: curp.sex().letter().to_string(),
            birth_state: curp.state().to_owned(),
            state: incoming.state.clone(),
            municipality: incoming.municipality.clone(),
            producer_folio: incoming.producer_folio.clone(),
            status: incoming
                .status
                .unwrap_or(FarmerStatus::Active)
                .as_str()
                .to_owned(),
        })
    }
}

/// A refused row.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub curp: Option<String>,
    pub reason: &'static str,
    pub message: String,
}

pub struct Row {
    pub number: u32,
    pub progress: f64,
    pub parsed: Result<Incoming, Refusal>,
}

pub fn refuse(curp: Option<&str>, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        curp: curp.map(|c| c.chars().take(40).collect()),
        reason,
        message: message.into(),
    }
}

/// Reads one record; checks that need only the row itself happen here, on the reading thread.
#[derive(Default)]
pub struct RowReader {
    first_rows: FirstRows,
}

impl RowReader {
    pub fn read(&mut self, record: &Record) -> Row {
        Row {
            number: record.number,
            progress: record.progress,
            parsed: self.parse(record),
        }
    }

    fn parse(&mut self, record: &Record) -> Result<Incoming, Refusal> {
        let written = record.value(0);
        if written.is_empty() {
            return Err(refuse(
                None,
                "missing_curp",
                "La fila tiene datos pero no tiene CURP.",
            ));
        }
        let curp =
            Curp::parse(written).map_err(|p| refuse(Some(written), "invalid_curp", p.message()))?;
        if let Some(first) = self.first_rows.repeat_of(&curp, record.number) {
            return Err(refuse(
                Some(written),
                "duplicate",
                format!("La CURP ya aparece en la fila {first}; se aplicó esa fila."),
            ));
        }
        let curp_text = Some(curp.as_str());
        let text = |index: usize, what: &str| -> Result<Option<String>, Refusal> {
            let value = record.value(index);
            if value.is_empty() {
                return Ok(None);
            }
            if value.chars().count() > NAME_MAX || value.chars().any(char::is_control) {
                return Err(refuse(
                    curp_text,
                    "invalid_text",
                    format!("{what}: hasta {NAME_MAX} caracteres, sin caracteres de control."),
                ));
            }
            Ok(Some(value.to_owned()))
        };
        let rfc = match record.value(4) {
            "" => None,
            value => {
                let rfc =
                    Rfc::parse(value).map_err(|p| refuse(curp_text, "invalid_rfc", p.message()))?;
                rfc.belongs_to(&curp).map_err(|problem| {
                    refuse(
                        curp_text,
                        ItemReason::from(problem).as_str(),
                        problem.message(),
                    )
                })?;
                Some(rfc.to_string())
            }
        };
        let state = match record.value(5) {
            "" => None,
            value => Some(state_code(value).ok_or_else(|| {
                refuse(
                    curp_text,
                    "invalid_state",
                    format!("La entidad «{value}» no es una clave de la CURP (JC, DF…) ni el nombre de un estado."),
                )
            })?),
        };
        let status = match plain_upper(record.value(8)).as_str() {
            "" => None,
            "ACTIVO" | "ACTIVE" | "ALTA" => Some(FarmerStatus::Active),
            "BAJA" | "BAJA ADMINISTRATIVA" | "DEREGISTERED" => Some(FarmerStatus::Deregistered),
            "BAJA POR DEFUNCION" | "DEFUNCION" | "DECEASED" => {
                return Err(refuse(
                    curp_text,
                    "status_deceased",
                    "La baja por defunción solo se registra con una confronta de RENAPO.",
                ));
            }
            _ => {
                return Err(refuse(
                    curp_text,
                    "invalid_status",
                    "El estatus debe ser ACTIVO o BAJA.",
                ));
            }
        };
        Ok(Incoming {
            given_names: text(1, "Nombre(s)")?,
            first_surname: text(2, "Primer apellido")?,
            second_surname: text(3, "Segundo apellido")?,
            rfc,
            state,
            municipality: text(6, "Municipio")?,
            producer_folio: text(7, "Folio productor")?,
            status,
            curp: curp.into(),
        })
    }
}

/// A state of residence as its CURP code, from the code or the state's name.
fn state_code(value: &str) -> Option<String> {
    /// The states' names in upper case without accents, computed once.
    static PLAIN_NAMES: std::sync::LazyLock<Vec<(&'static str, String)>> =
        std::sync::LazyLock::new(|| {
            STATES
                .iter()
                .filter(|(code, _)| *code != "NE")
                .map(|(code, name)| (*code, plain_upper(name)))
                .collect()
        });
    let wanted = plain_upper(value);
    PLAIN_NAMES
        .iter()
        .find(|(code, name)| *code == wanted || *name == wanted)
        .map(|(code, _)| (*code).to_owned())
}
