//! Receiving one spreadsheet from a `multipart/form-data` body into a temporary file, counting
//! bytes as they arrive so an oversized upload is cut off instead of stored.

use std::io::Write;
use std::path::Path;

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use futures_util::TryStreamExt;
use tempfile::NamedTempFile;

use super::{SheetFormat, UploadLimits};
use crate::error::{AppError, AppResult};

/// The multipart field that carries the file.
pub const FILE_FIELD: &str = "file";

/// A received spreadsheet. The temporary file disappears when this is dropped, unless kept.
pub struct Upload {
    pub file: NamedTempFile,
    /// The user's file name, reduced to its last component (for display only; never a path).
    pub file_name: String,
    pub format: SheetFormat,
    pub size: u64,
}

fn too_large(limits: UploadLimits) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "El archivo excede el tamaño máximo de {} MB.",
            limits.max_bytes.div_ceil(1 << 20)
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

/// Receives the `file` field of a multipart body into `dir`.
pub async fn receive_spreadsheet(
    request: &HttpRequest,
    mut body: Multipart,
    dir: &Path,
    limits: UploadLimits,
) -> AppResult<Upload> {
    // Refuse at once what announces itself as too large (with room for the multipart framing).
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limits.max_bytes + (64 << 10)) {
        return Err(too_large(limits));
    }
    let mut upload = None;
    while let Some(mut field) = body.try_next().await.map_err(malformed)? {
        if field.name() != Some(FILE_FIELD) || upload.is_some() {
            return Err(AppError::bad_request(
                "unexpected_field",
                format!("El formulario debe llevar un solo campo, «{FILE_FIELD}», con el archivo."),
            ));
        }
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(display_name)
            .filter(|n| !n.is_empty())
            .ok_or_else(missing)?;
        let format = SheetFormat::from_file_name(&file_name)?;
        let mut file = NamedTempFile::with_prefix_in("upload-", dir).map_err(AppError::internal)?;
        let mut size = 0u64;
        while let Some(chunk) = field.try_next().await.map_err(malformed)? {
            size += chunk.len() as u64;
            if size > limits.max_bytes {
                return Err(too_large(limits));
            }
            file.write_all(&chunk).map_err(AppError::internal)?;
        }
        file.flush().map_err(AppError::internal)?;
        if size == 0 {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty_file",
                "El archivo está vacío.",
            ));
        }
        upload = Some(Upload {
            file,
            file_name,
            format,
            size,
        });
    }
    upload.ok_or_else(missing)
}

fn malformed(error: actix_multipart::MultipartError) -> AppError {
    tracing::info!(%error, "multipart refused");
    AppError::bad_request(
        "invalid_multipart",
        "El cuerpo debe ser un formulario multipart/form-data con el archivo en el campo «file».",
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
