//! Spreadsheet columns of the registry's fields, shared by layouts and imports: the headers of
//! the layout template, with the spellings people use for them.

use crate::uploads::Column;

pub const CURP: Column = Column {
    header: "CURP",
    aliases: &[],
    required: true,
};
pub const RFC: Column = Column {
    header: "RFC",
    aliases: &[],
    required: false,
};
pub const GIVEN_NAMES: Column = Column {
    header: "NOMBRE(S)",
    aliases: &["NOMBRE", "NOMBRES DEL PRODUCTOR"],
    required: false,
};
pub const FIRST_SURNAME: Column = Column {
    header: "PRIMER APELLIDO",
    aliases: &["APELLIDO PATERNO"],
    required: false,
};
pub const SECOND_SURNAME: Column = Column {
    header: "SEGUNDO APELLIDO",
    aliases: &["APELLIDO MATERNO"],
    required: false,
};
pub const PRODUCER_FOLIO: Column = Column {
    header: "FOLIO PRODUCTOR",
    aliases: &["FOLIO", "FOLIO DEL PRODUCTOR", "FOLIO DE PRODUCTOR"],
    required: false,
};
