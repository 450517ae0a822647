//! OpenAPI schemas of the constrained text fields, defined once and used with `schema_with`.
//! They state in the contract what the `validate()` methods check in code.

use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

use crate::common::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use crate::directory::NAME_MAX;
use crate::requests::{COMMENT_MAX, OBSERVATION_ITEMS_MAX};

/// No control characters (C0, DEL, C1), as `char::is_control` in the validators.
const NO_CONTROL: &str = r"\x00-\x1f\x7f-\x9f";
/// The control characters a text of several lines may not hold: all but tab, LF and CR.
const NO_CONTROL_BUT_LINES: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";

fn text(min: usize, max: usize, pattern: Option<String>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
        .description(Some(description))
        .build()
}

/// A name, position or similar: 1 to 200 characters, not blank, single line.
pub fn name() -> Object {
    let pattern = format!("^[^{NO_CONTROL}]*[^\\s{NO_CONTROL}][^{NO_CONTROL}]*$");
    text(1, NAME_MAX, Some(pattern), "Texto de una línea, no vacío")
}

/// An e-mail address: one `@`, a dotted domain, no spaces or control characters.
pub fn email() -> Object {
    let part = format!("[^@\\s.{NO_CONTROL}]");
    let pattern = format!("^\\s*[^@\\s{NO_CONTROL}]+@{part}+(\\.{part}+)+\\s*$");
    text(3, 254, Some(pattern), "Correo electrónico")
}

/// A new password (length policy of the server).
pub fn new_password() -> Object {
    text(
        PASSWORD_MIN_CHARS,
        PASSWORD_MAX_CHARS,
        None,
        "Al menos 12 caracteres",
    )
}

/// A password being checked (any length the login accepts).
pub fn password() -> Object {
    text(1, 256, None, "Contraseña")
}

/// A comment, reason or observation: 1 to 2,000 characters over several lines, not blank.
pub fn long_text() -> Object {
    let pattern =
        format!("^[^{NO_CONTROL_BUT_LINES}]*[^\\s{NO_CONTROL}][^{NO_CONTROL_BUT_LINES}]*$");
    text(
        1,
        COMMENT_MAX,
        Some(pattern),
        "Texto de una o varias líneas, no vacío",
    )
}

/// An optional comment: up to 2,000 characters over several lines (blank means none).
pub fn optional_long_text() -> Object {
    let pattern = format!("^[^{NO_CONTROL_BUT_LINES}]*$");
    or_null(text(0, COMMENT_MAX, Some(pattern), "Comentario opcional"))
}

/// The corrections of an observation: 1 to 30 texts.
pub fn observation_items() -> Array {
    ArrayBuilder::new()
        .items(long_text())
        .min_items(Some(1))
        .max_items(Some(OBSERVATION_ITEMS_MAX))
        .description(Some("Una corrección por elemento"))
        .build()
}

/// One of `values`, or `null`.
fn choice(values: &[&str], nullable: bool, description: &str) -> Object {
    let types = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    let mut values: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    if nullable {
        values.push(serde_json::Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(types)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

/// The statuses staff may set by hand (deaths come from RENAPO confrontations).
pub fn editable_farmer_status() -> Object {
    choice(
        &["active", "deregistered"],
        true,
        "`active` o `deregistered`; las defunciones las registra una confronta de RENAPO",
    )
}

/// The documents uploaded on their own (the others come with their actions).
pub fn uploaded_attachment_kind() -> Object {
    choice(
        &["report", "certificate"],
        false,
        "`report` (reporte) o `certificate` (certificado de RENAPO)",
    )
}

/// The same schema, also allowing `null` (optional fields of PATCH bodies).
fn or_null(mut schema: Object) -> Object {
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

pub fn optional_name() -> Object {
    or_null(name())
}

pub fn optional_new_password() -> Object {
    or_null(new_password())
}
