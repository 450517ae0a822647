//! Receiving `multipart/form-data` bodies: text fields and files, each file streamed into a
//! temporary file with its bytes counted as they arrive, so an oversized upload is cut off
//! instead of stored. A form carries only the fields its endpoint names, each at most once.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use futures_util::TryStreamExt;
use tempfile::NamedTempFile;

use super::{SheetFormat, UploadLimits};
use crate::error::{AppError, AppResult};

/// The multipart field that carries a spreadsheet.
pub const FILE_FIELD: &str = "file";
/// Largest text field of a form (a comment of 2,000 characters fits with room to spare).
const TEXT_FIELD_MAX_BYTES: usize = 16 << 10;

/// A received spreadsheet. The temporary file disappears when this is dropped, unless kept.
pub struct Upload {
    pub file: NamedTempFile,
    /// The user's file name, reduced to its last component (for display only; never a path).
    pub file_name: String,
    pub format: SheetFormat,
    pub size: u64,
}

/// A received file of a form.
pub struct ReceivedFile {
    pub file: NamedTempFile,
    /// The user's file name, reduced to its last component (for display only; never a path).
    pub file_name: String,
    pub size: u64,
}

/// The fields a form may carry: text fields by name, and file fields with their size limits.
pub struct FormSpec<'a> {
    pub texts: &'a [&'a str],
    pub files: &'a [(&'a str, u64)],
}

/// A received form.
#[derive(Default)]
pub struct Form {
    texts: HashMap<String, String>,
    files: HashMap<String, ReceivedFile>,
}

impl Form {
    /// A text field, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts
            .get(name)
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
    }

    /// Takes a file field out of the form.
    pub fn take_file(&mut self, name: &str) -> Option<ReceivedFile> {
        self.files.remove(name)
    }
}

fn too_large(max_bytes: u64) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "El archivo excede el tamaño máximo de {}.",
            super::human_size(max_bytes)
        ),
    )
}

fn missing() -> AppError {
    AppError::bad_request(
        "file_missing",
        format!(
            "Adjunte el archivo en el campo «{FILE_FIELD}» de un formulario multipart/form-data."
        ),
    )
}

fn unexpected(spec: &FormSpec) -> AppError {
    let names: Vec<String> = spec
        .texts
        .iter()
        .chain(spec.files.iter().map(|(name, _)| name))
        .map(|name| format!("«{name}»"))
        .collect();
    AppError::bad_request(
        "unexpected_field",
        format!(
            "El formulario solo admite los campos {}, cada uno una vez.",
            names.join(", ")
        ),
    )
}

/// Receives a form into `dir`. Files keep their names; their checks (type, content) are the
/// caller's. Missing fields are the caller's to refuse.
pub async fn receive_form(
    request: &HttpRequest,
    mut body: Multipart,
    dir: &Path,
    spec: &FormSpec<'_>,
) -> AppResult<Form> {
    // Refuse at once what announces itself as too large (with room for the text fields and the
    // multipart framing).
    let allowed: u64 = spec.files.iter().map(|(_, max)| *max).sum::<u64>() + (64 << 10);
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > allowed) {
        let largest = spec.files.iter().map(|(_, max)| *max).max().unwrap_or(0);
        return Err(too_large(largest));
    }
    let mut form = Form::default();
    while let Some(mut field) = body.try_next().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let seen = form.texts.contains_key(&name) || form.files.contains_key(&name);
        if seen {
            return Err(unexpected(spec));
        }
        if spec.texts.contains(&name.as_str()) {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > TEXT_FIELD_MAX_BYTES {
                    return Err(AppError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "field_too_large",
                        format!("El campo «{name}» es demasiado largo."),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                AppError::bad_request(
                    "invalid_multipart",
                    format!("El campo «{name}» debe ser texto UTF-8."),
                )
            })?;
            form.texts.insert(name, text);
            continue;
        }
        let Some((_, max_bytes)) = spec.files.iter().find(|(file, _)| *file == name) else {
            return Err(unexpected(spec));
        };
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(display_name)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                AppError::bad_request(
                    "file_missing",
                    format!("El campo «{name}» debe llevar un archivo con su nombre."),
                )
            })?;
        let mut file = NamedTempFile::with_prefix_in("upload-", dir).map_err(AppError::internal)?;
        let mut size = 0u64;
        while let Some(chunk) = field.try_next().await.map_err(malformed)? {
            size += chunk.len() as u64;
            if size > *max_bytes {
                return Err(too_large(*max_bytes));
            }
            file.write_all(&chunk).map_err(AppError::internal)?;
        }
        file.flush().map_err(AppError::internal)?;
        if size == 0 {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty_file",
                format!("El archivo «{file_name}» está vacío."),
            ));
        }
        form.files.insert(
            name,
            ReceivedFile {
                file,
                file_name,
                size,
            },
        );
    }
    Ok(form)
}

/// Receives the `file` field of a multipart body (a spreadsheet) into `dir`.
pub async fn receive_spreadsheet(
    request: &HttpRequest,
    body: Multipart,
    dir: &Path,
    limits: UploadLimits,
) -> AppResult<Upload> {
    let spec = FormSpec {
        texts: &[],
        files: &[(FILE_FIELD, limits.max_bytes)],
    };
    let received = receive_form(request, body, dir, &spec)
        .await?
        .take_file(FILE_FIELD)
        .ok_or_else(missing)?;
    Ok(Upload {
        format: SheetFormat::from_file_name(&received.file_name)?,
        file: received.file,
        file_name: received.file_name,
        size: received.size,
    })
}

fn malformed(error: actix_multipart::MultipartError) -> AppError {
    tracing::info!(%error, "multipart refused");
    AppError::bad_request(
        "invalid_multipart",
        "El cuerpo debe ser un formulario multipart/form-data bien formado.",
    )
}

/// The last path component of a user-supplied file name, without control characters, at most
/// 200 characters.
fn display_name(raw: &str) -> String {
    raw.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_paths_and_control_characters() {
        assert_eq!(display_name("C:\\Users\\ana\\layout.xlsx"), "layout.xlsx");
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("a\u{0}b\r\n.csv"), "ab.csv");
    }
}
