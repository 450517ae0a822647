//! Attachments slice: the documents of requests. Files live on disk under the configured
//! directory, named by their SHA-256 (a name never comes from a user, and the same content is
//! stored once); the database says which request and event they belong to, who attached them,
//! and which version of their kind they are.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use confrontas_api::{Attachment, AttachmentKind, LayoutTotals, PersonRef, Role};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{attachments, users};

/// Where attachment files are kept.
#[derive(Debug, Clone)]
pub struct AttachmentStore {
    dir: PathBuf,
}

/// A file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: i64,
}

impl AttachmentStore {
    pub fn open(dir: PathBuf) -> io::Result<AttachmentStore> {
        std::fs::create_dir_all(&dir)?;
        Ok(AttachmentStore { dir })
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    /// Stores the content of `source` (hashed as it is copied) and says where it went. The copy
    /// is written beside its final place, flushed to disk and renamed, so a crash never leaves a
    /// half-written file under a hash.
    pub fn put_file(&self, source: &Path) -> io::Result<StoredFile> {
        let mut input = std::fs::File::open(source)?;
        let mut staged = tempfile::NamedTempFile::new_in(&self.dir)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 << 10];
        let mut size = 0i64;
        loop {
            let read = input.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            staged.write_all(&buffer[..read])?;
            size += read as i64;
        }
        self.keep(staged, hasher, size)
    }

    /// Stores `bytes` (a document the server generated).
    pub fn put_bytes(&self, bytes: &[u8]) -> io::Result<StoredFile> {
        let mut staged = tempfile::NamedTempFile::new_in(&self.dir)?;
        staged.write_all(bytes)?;
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        self.keep(staged, hasher, bytes.len() as i64)
    }

    fn keep(
        &self,
        staged: tempfile::NamedTempFile,
        hasher: Sha256,
        size: i64,
    ) -> io::Result<StoredFile> {
        let sha256 = hex(&hasher.finalize());
        let path = self.path_of(&sha256);
        if !path.exists() {
            staged.as_file().sync_all()?;
            std::fs::create_dir_all(path.parent().expect("hash paths have a parent"))?;
            staged.persist(&path).map_err(|e| e.error)?;
        }
        Ok(StoredFile { sha256, size })
    }

    /// Where a stored file is.
    pub fn stored_path(&self, sha256: &str) -> AppResult<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::internal("attachment with a malformed hash"));
        }
        Ok(self.path_of(sha256))
    }

    /// Opens a stored file for reading.
    pub fn open_file(&self, sha256: &str) -> AppResult<std::fs::File> {
        std::fs::File::open(self.stored_path(sha256)?).map_err(|e| {
            AppError::internal(format!("attachment file {sha256} cannot be opened: {e}"))
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A document about to be recorded.
pub struct NewAttachment<'a> {
    pub request_id: i64,
    pub event_id: i64,
    pub kind: AttachmentKind,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub stored: &'a StoredFile,
    pub uploaded_by: i64,
    pub layout_totals: Option<&'a LayoutTotals>,
}

/// Records a stored file as the next version of its kind on the request, in the caller's
/// transaction (which holds the request row, so versions cannot collide).
pub fn record(conn: &mut AnyConnection, new: &NewAttachment, now: NaiveDateTime) -> AppResult<i64> {
    let latest = attachments::table
        .filter(attachments::request_id.eq(new.request_id))
        .filter(attachments::kind.eq(new.kind.as_str()))
        .select(diesel::dsl::max(attachments::version))
        .get_result::<Option<i32>>(conn)?;
    let totals = new
        .layout_totals
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)?;
    let id = diesel::insert_into(attachments::table)
        .values((
            attachments::request_id.eq(new.request_id),
            attachments::event_id.eq(new.event_id),
            attachments::kind.eq(new.kind.as_str()),
            attachments::version.eq(latest.unwrap_or(0) + 1),
            attachments::file_name.eq(new.file_name),
            attachments::content_type.eq(new.content_type),
            attachments::size.eq(new.stored.size),
            attachments::sha256.eq(&new.stored.sha256),
            attachments::uploaded_by.eq(new.uploaded_by),
            attachments::uploaded_at.eq(now),
            attachments::layout_totals.eq(totals),
        ))
        .returning(attachments::id)
        .get_result(conn)?;
    Ok(id)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: i64,
    pub request_id: i64,
    pub event_id: i64,
    pub kind: String,
    pub version: i32,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
    pub layout_totals: Option<String>,
}

/// Every document of a request, oldest first, as the API shows them.
pub fn of_request(conn: &mut AnyConnection, request_id: i64) -> AppResult<Vec<Attachment>> {
    let rows = attachments::table
        .filter(attachments::request_id.eq(request_id))
        .order(attachments::id.asc())
        .select(AttachmentRow::as_select())
        .load(conn)?;
    to_dtos(conn, rows)
}

/// One document by id.
pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

/// The API's view of `rows`: uploader names, and whether a newer version of the kind exists.
pub fn to_dtos(conn: &mut AnyConnection, rows: Vec<AttachmentRow>) -> AppResult<Vec<Attachment>> {
    let uploaders: Vec<i64> = rows.iter().map(|r| r.uploaded_by).collect();
    let people = people(conn, &uploaders)?;
    let mut latest: HashMap<(i64, String), i32> = HashMap::new();
    let requests: Vec<i64> = rows.iter().map(|r| r.request_id).collect();
    for chunk in requests.chunks(db::IN_CHUNK) {
        let versions = attachments::table
            .filter(attachments::request_id.eq_any(chunk))
            .group_by((attachments::request_id, attachments::kind))
            .select((
                attachments::request_id,
                attachments::kind,
                diesel::dsl::max(attachments::version),
            ))
            .load::<(i64, String, Option<i32>)>(conn)?;
        for (request, kind, version) in versions {
            latest.insert((request, kind), version.unwrap_or(0));
        }
    }
    rows.into_iter()
        .map(|row| {
            let current = latest.get(&(row.request_id, row.kind.clone())) == Some(&row.version);
            Ok(Attachment {
                id: row.id,
                request_id: row.request_id,
                kind: AttachmentKind::parse(&row.kind)
                    .ok_or_else(|| AppError::internal("unknown attachment kind"))?,
                version: row.version,
                current,
                file_name: row.file_name,
                content_type: row.content_type,
                size: row.size,
                sha256: row.sha256,
                uploaded_by: people
                    .get(&row.uploaded_by)
                    .cloned()
                    .ok_or_else(|| AppError::internal("attachment uploader missing"))?,
                uploaded_at: row.uploaded_at.and_utc(),
                layout_totals: row
                    .layout_totals
                    .as_deref()
                    .and_then(|json| serde_json::from_str(json).ok()),
            })
        })
        .collect()
}

/// Users by id, as documents and timelines name them.
pub fn people(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<HashMap<i64, PersonRef>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(db::IN_CHUNK) {
        let rows = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::name, users::role))
            .load::<(i64, String, String)>(conn)?;
        for (id, name, role) in rows {
            let role =
                Role::parse(&role).ok_or_else(|| AppError::internal("unknown role in database"))?;
            found.insert(id, PersonRef { id, name, role });
        }
    }
    Ok(found)
}

/// What a file is, from its extension, for the kinds people upload; `None` when the kind does
/// not take files of that type.
pub fn content_type_for(kind: AttachmentKind, file_name: &str) -> Option<&'static str> {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())?;
    match (kind, extension.as_str()) {
        (
            AttachmentKind::Oficio | AttachmentKind::ResponseLetter | AttachmentKind::Report,
            "pdf",
        ) => Some("application/pdf"),
        (AttachmentKind::Layout | AttachmentKind::Report, "xlsx") => {
            Some(crate::spreadsheet::XLSX_CONTENT_TYPE)
        }
        (AttachmentKind::Layout | AttachmentKind::Report, "csv") => Some("text/csv"),
        (AttachmentKind::Certificate, "pem" | "crt" | "cer") => Some("application/x-pem-file"),
        (AttachmentKind::Certificate, "der") => Some("application/pkix-cert"),
        _ => None,
    }
}

/// Whether the file starts as a PDF does (`%PDF-`).
pub fn looks_like_pdf(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 5];
    let mut file = std::fs::File::open(path)?;
    let mut read = 0;
    while read < head.len() {
        let n = file.read(&mut head[read..])?;
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(&head[..read] == b"%PDF-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_is_stored_once_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = AttachmentStore::open(dir.path().join("store")).unwrap();
        let first = store.put_bytes(b"%PDF-1.4 hola").unwrap();
        let source = dir.path().join("again.pdf");
        std::fs::write(&source, b"%PDF-1.4 hola").unwrap();
        let second = store.put_file(&source).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.size, 13);
        // SHA-256 of "%PDF-1.4 hola", computed with Python's hashlib.
        assert_eq!(
            first.sha256,
            "bc39ce0612bcde4063a33a16c57c873efbc5c908b15a747c801cb4bc0813688f"
        );
        let mut content = String::new();
        store
            .open_file(&first.sha256)
            .unwrap()
            .read_to_string(&mut content)
            .unwrap();
        assert_eq!(content, "%PDF-1.4 hola");
        assert!(store.open_file("../../etc/passwd").is_err());
    }

    #[test]
    fn content_types_follow_the_kind_and_extension() {
        assert_eq!(
            content_type_for(AttachmentKind::Oficio, "Oficio.PDF"),
            Some("application/pdf")
        );
        assert_eq!(
            content_type_for(AttachmentKind::Oficio, "oficio.docx"),
            None
        );
        assert_eq!(
            content_type_for(AttachmentKind::Layout, "layout.csv"),
            Some("text/csv")
        );
        assert_eq!(content_type_for(AttachmentKind::Layout, "layout"), None);
        assert_eq!(
            content_type_for(AttachmentKind::Certificate, "renapo.cer"),
            Some("application/x-pem-file")
        );
    }
}
