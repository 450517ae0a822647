//! OpenAPI schemas of the constrained text fields, defined once and used with `schema_with`.
//! They state in the contract what the `validate()` methods check in code.

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::common::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use crate::directory::NAME_MAX;

/// No control characters (C0, DEL, C1), as `char::is_control` in the validators.
const NO_CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

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
