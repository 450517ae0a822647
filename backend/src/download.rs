//! File downloads: streamed from disk with `Content-Disposition: attachment` and the file's name.

use std::fs::File;

use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};

/// The download response for `file`, offered as `file_name`.
pub fn attachment(
    request: &HttpRequest,
    file: File,
    file_name: &str,
    content_type: &str,
) -> AppResult<HttpResponse> {
    let named = NamedFile::from_file(file, file_name)
        .map_err(AppError::internal)?
        .set_content_type(content_type.parse().map_err(AppError::internal)?)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file_name.to_owned())],
        })
        .use_etag(false)
        .use_last_modified(false);
    Ok(named.into_response(request))
}
