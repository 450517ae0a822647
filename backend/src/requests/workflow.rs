//! The procedure (`docs/architecture.md`, "The request procedure") enforced: a request is
//! created by submission and moved only by
//! the actions of the transition table, each by its role, from its states, on the version the
//! caller saw. Every change writes, in one transaction, the request, its timeline entry, its
//! documents, the audit row and the notifications.

use chrono::{DateTime, Utc};
use confrontas_api::{
    AttachmentKind, LayoutTotals, NewRequestFields, RequestAction, RequestState, RequestType, Role,
    TimelineEvent,
};
use diesel::prelude::*;
use serde_json::json;

use super::documents::Added;
use super::letter::{self, Letter};
use super::numbering;
use super::records::{self, RequestRow};
use crate::attachments::{self, AttachmentStore, NewAttachment, StoredFile};
use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::notifications::{self, Announcement};
use crate::schema::{request_events, requests};
use crate::sla;

/// A document already in the store, to be recorded with an event.
pub struct StoredDocument {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub content_type: &'static str,
    pub stored: StoredFile,
    pub layout_totals: Option<LayoutTotals>,
}

/// Copies checked documents into the store (before the transaction that records them: a
/// stored file nobody records is harmless, a record without its file is not).
pub fn store_documents(
    store: &AttachmentStore,
    documents: Vec<super::documents::Document>,
) -> AppResult<Vec<StoredDocument>> {
    documents
        .into_iter()
        .map(|document| {
            let stored = store
                .put_file(document.file.file.path())
                .map_err(AppError::internal)?;
            Ok(StoredDocument {
                kind: document.kind,
                file_name: document.file.file_name,
                content_type: document.content_type,
                stored,
                layout_totals: document.layout_totals,
            })
        })
        .collect()
}

/// Copies an added document into the store (as [`store_documents`]), keeping what it is.
pub fn store_addition(
    store: &AttachmentStore,
    added: Added<super::documents::Document>,
) -> AppResult<Added<StoredDocument>> {
    let stored = |document| {
        store_documents(store, vec![document])?
            .pop()
            .ok_or_else(|| AppError::internal("stored document missing"))
    };
    Ok(match added {
        Added::Report(document) => Added::Report(stored(document)?),
        Added::Certificate(document, certificate) => {
            Added::Certificate(stored(document)?, certificate)
        }
    })
}

/// Who acts: the staff user and how the audit log names them.
pub struct Acting<'a> {
    pub staff: &'a StaffUser,
    pub audit: Actor,
}

/// A timeline entry about to be written.
struct Entry<'a> {
    event: TimelineEvent,
    from: Option<RequestState>,
    to: RequestState,
    comment: Option<&'a str>,
    items: &'a [String],
    folio: Option<&'a str>,
}

fn write_entry(
    conn: &mut AnyConnection,
    request_id: i64,
    actor_id: i64,
    entry: &Entry,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let items = (!entry.items.is_empty())
        .then(|| serde_json::to_string(entry.items))
        .transpose()
        .map_err(AppError::internal)?;
    Ok(diesel::insert_into(request_events::table)
        .values((
            request_events::request_id.eq(request_id),
            request_events::event.eq(entry.event.as_str()),
            request_events::from_state.eq(entry.from.map(RequestState::as_str)),
            request_events::to_state.eq(entry.to.as_str()),
            request_events::actor_id.eq(actor_id),
            request_events::at.eq(now.naive_utc()),
            request_events::comment.eq(entry.comment),
            request_events::items.eq(items),
            request_events::folio.eq(entry.folio),
        ))
        .returning(request_events::id)
        .get_result(conn)?)
}

fn record_documents(
    conn: &mut AnyConnection,
    request_id: i64,
    event_id: i64,
    uploaded_by: i64,
    documents: &[StoredDocument],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for document in documents {
        attachments::record(
            conn,
            &NewAttachment {
                request_id,
                event_id,
                kind: document.kind,
                file_name: &document.file_name,
                content_type: document.content_type,
                stored: &document.stored,
                uploaded_by,
                layout_totals: document.layout_totals.as_ref(),
            },
            now.naive_utc(),
        )?;
    }
    Ok(())
}

/// Subjects longer than this are cut in notifications (the request has it whole).
const SUBJECT_IN_NEWS: usize = 80;

/// What the people told of an event read: the ticket and the subject first, then what happened
/// as the reader needs it — the items to correct, the reason of a rejection, the resolution,
/// the folio (`docs/architecture.md`, "The request procedure").
fn message(ticket: &str, subject: &str, entry: &Entry) -> String {
    let subject = if subject.chars().count() > SUBJECT_IN_NEWS {
        let cut: String = subject.chars().take(SUBJECT_IN_NEWS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        subject.to_owned()
    };
    let comment = entry.comment.filter(|c| !c.is_empty());
    let what = match entry.event {
        TimelineEvent::Observe => {
            let mut asked: Vec<&str> = entry.items.iter().map(String::as_str).collect();
            asked.extend(comment);
            format!(
                "la Mesa de Servicios le pide corregir: {}",
                asked.join("; ")
            )
        }
        TimelineEvent::Forward => match entry.folio {
            Some(folio) => format!("turnada a la Subdirección con el folio {folio}"),
            None => "turnada a la Subdirección".to_owned(),
        },
        TimelineEvent::Accept => "la Subdirección la aceptó y la está atendiendo".to_owned(),
        TimelineEvent::Reject => match comment {
            Some(reason) => format!("declarada no procedente: {reason}"),
            None => "declarada no procedente".to_owned(),
        },
        TimelineEvent::Resolve => match comment {
            Some(summary) => format!("atendida: {summary}"),
            None => "atendida".to_owned(),
        },
        event => event.label().to_lowercase(),
    };
    let what = what.trim_end_matches('.');
    format!("{ticket} «{subject}»: {what}.")
}

/// Submits a new request of the caller's unit; returns its id.
pub fn submit(
    conn: &mut AnyConnection,
    acting: &Acting,
    fields: &NewRequestFields,
    documents: &[StoredDocument],
) -> AppResult<i64> {
    let staff = acting.staff;
    if staff.role != Role::Area {
        return Err(AppError::forbidden(
            "Solo el personal de las áreas solicitantes envía solicitudes.",
        ));
    }
    conn.write_transaction(|conn| {
        let now = db::now().and_utc();
        let ticket = numbering::next_ticket(conn, now)?;
        let id: i64 = diesel::insert_into(requests::table)
            .values((
                requests::request_type.eq(fields.request_type.as_str()),
                requests::state.eq(RequestState::Submitted.as_str()),
                requests::ticket_number.eq(&ticket),
                requests::unit_id.eq(staff.unit_id),
                requests::requested_by.eq(staff.id),
                requests::subject.eq(fields.subject.trim()),
                requests::signer_name.eq(fields.signer_name.trim()),
                requests::signer_position.eq(fields.signer_position.trim()),
                requests::version.eq(1),
                requests::submitted_at.eq(now.naive_utc()),
                requests::updated_at.eq(now.naive_utc()),
            ))
            .returning(requests::id)
            .get_result(conn)?;
        let entry = Entry {
            event: TimelineEvent::Submit,
            from: None,
            to: RequestState::Submitted,
            comment: None,
            items: &[],
            folio: None,
        };
        let event_id = write_entry(conn, id, staff.id, &entry, now)?;
        record_documents(conn, id, event_id, staff.id, documents, now)?;
        sla::snapshot_targets(conn, id, fields.request_type)?;
        acting.audit.record(
            conn,
            "request_submitted",
            "request",
            id,
            json!({ "ticket_number": ticket, "request_type": fields.request_type.as_str() }),
        )?;
        notifications::announce(
            conn,
            &Announcement {
                request_id: id,
                unit_id: staff.unit_id,
                event_id,
                event: TimelineEvent::Submit,
                state: RequestState::Submitted,
                actor_id: staff.id,
                message: &message(&ticket, fields.subject.trim(), &entry),
            },
        )?;
        Ok(id)
    })
}

/// An action on an existing request.
pub struct Move {
    pub action: RequestAction,
    /// The version the caller saw.
    pub version: i32,
    pub comment: Option<String>,
    /// Observation items (observe only).
    pub items: Vec<String>,
    /// Corrected documents (resubmit only).
    pub documents: Vec<StoredDocument>,
}

fn role_refusal(action: RequestAction) -> AppError {
    let who = match action.role() {
        Role::Area => "el área solicitante",
        Role::Mesa => "la Mesa de Servicios",
        Role::Subdireccion => "la Subdirección de Operación",
        Role::Admin => "la administración",
    };
    AppError::forbidden(format!(
        "Solo {who} puede realizar la acción «{}».",
        action.label()
    ))
}

/// Takes `change` on request `id` for the caller. Refusals, in order: the request is not
/// visible to the caller (404), the action is not the caller's role's (403), the request is
/// not in a state the action leaves from (409 `invalid_transition`), or it changed since the
/// caller saw it (409 `stale_version`).
pub fn act(
    conn: &mut AnyConnection,
    store: &AttachmentStore,
    acting: &Acting,
    id: i64,
    change: &Move,
) -> AppResult<RequestRow> {
    let staff = acting.staff;
    let action = change.action;
    conn.write_transaction(|conn| {
        let row = records::visible(conn, staff, id)?;
        if staff.role != action.role() {
            return Err(role_refusal(action));
        }
        let state = row.current_state()?;
        if !action.from_states().contains(&state) {
            return Err(AppError::conflict(
                "invalid_transition",
                format!(
                    "La solicitud {} está «{}»: la acción «{}» no procede en ese estado.",
                    row.ticket_number,
                    state.label(),
                    action.label()
                ),
            ));
        }
        let stale = || {
            AppError::conflict(
                "stale_version",
                format!(
                    "La solicitud {} cambió mientras la revisaba. Vuelva a cargarla y repita la acción si aún procede.",
                    row.ticket_number
                ),
            )
        };
        if row.version != change.version {
            return Err(stale());
        }
        if action == RequestAction::Resolve {
            ready_to_resolve(conn, &row)?;
        }
        let now = db::now().and_utc();
        let folio = match action {
            RequestAction::Forward => Some(numbering::next_folio(conn, now)?),
            _ => None,
        };
        let to = action.to_state();
        let updated = diesel::update(
            requests::table
                .filter(requests::id.eq(id))
                .filter(requests::version.eq(change.version)),
        )
        .set((
            requests::state.eq(to.as_str()),
            requests::version.eq(change.version + 1),
            requests::updated_at.eq(now.naive_utc()),
            requests::folio.eq(folio.as_ref().or(row.folio.as_ref())),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(stale());
        }
        let event = TimelineEvent::of_action(action);
        let entry = Entry {
            event,
            from: Some(state),
            to,
            comment: change.comment.as_deref().map(str::trim),
            items: &change.items,
            folio: folio.as_deref(),
        };
        let event_id = write_entry(conn, id, staff.id, &entry, now)?;
        let mut documents = Vec::new();
        if action == RequestAction::Reject {
            documents.push(response_letter(conn, store, &row, staff, &change.comment, now)?);
        }
        record_documents(conn, id, event_id, staff.id, &change.documents, now)?;
        record_documents(conn, id, event_id, staff.id, &documents, now)?;
        acting.audit.record(
            conn,
            &format!("request_{}", action.as_str()),
            "request",
            id,
            json!({
                "ticket_number": row.ticket_number,
                "from": state.as_str(),
                "to": to.as_str(),
                "folio": folio,
            }),
        )?;
        notifications::announce(
            conn,
            &Announcement {
                request_id: id,
                unit_id: row.unit_id,
                event_id,
                event,
                state: to,
                actor_id: staff.id,
                message: &message(&row.ticket_number, &row.subject, &entry),
            },
        )?;
        records::visible(conn, staff, id)
    })
}

/// A RENAPO or SAT request resolves only once a confrontation of it with its authority has
/// finished; a certificate request once its certificate is deployed and verified.
fn ready_to_resolve(conn: &mut AnyConnection, row: &RequestRow) -> AppResult<()> {
    let kind = row.kind()?;
    if kind == RequestType::Certificate {
        return crate::certificates::records::ready_to_resolve(conn, row.id, &row.ticket_number);
    }
    if !crate::confrontations::jobs::has_finished(conn, row.id, kind)? {
        return Err(AppError::conflict(
            "confrontation_required",
            format!(
                "La solicitud {} no tiene una confronta terminada: ejecútela antes de resolver.",
                row.ticket_number
            ),
        ));
    }
    Ok(())
}

/// Writes and stores the response letter of a rejection, signed by the person rejecting.
fn response_letter(
    conn: &mut AnyConnection,
    store: &AttachmentStore,
    row: &RequestRow,
    staff: &StaffUser,
    reason: &Option<String>,
    now: DateTime<Utc>,
) -> AppResult<StoredDocument> {
    let (signer_name, signer_position) = records::name_and_position(conn, staff.id)?;
    let (requester_name, _) = records::name_and_position(conn, row.requested_by)?;
    let unit = crate::units::records::unit_refs(conn, &[row.unit_id])?
        .remove(&row.unit_id)
        .ok_or_else(|| AppError::internal("request unit missing"))?;
    let pdf = letter::response_letter(&Letter {
        ticket_number: &row.ticket_number,
        folio: row.folio.as_deref(),
        unit_name: &unit.name,
        subject: &row.subject,
        signer_name: &signer_name,
        signer_position: &signer_position,
        requester_name: &requester_name,
        reason: reason.as_deref().unwrap_or_default(),
        date: now,
    });
    let stored = store.put_bytes(&pdf).map_err(AppError::internal)?;
    Ok(StoredDocument {
        kind: AttachmentKind::ResponseLetter,
        file_name: format!("oficio_respuesta_{}.pdf", row.ticket_number),
        content_type: "application/pdf",
        stored,
        layout_totals: None,
    })
}

/// Notes on request `id`'s timeline that its certificate was deployed (it stops the
/// deployment clock), without changing its state; inside the caller's transaction.
pub fn note_certificate_deployed(
    conn: &mut AnyConnection,
    id: i64,
    actor_id: i64,
    comment: &str,
) -> AppResult<()> {
    let state = requests::table
        .find(id)
        .select(requests::state)
        .first::<String>(conn)?;
    let state = RequestState::parse(&state)
        .ok_or_else(|| AppError::internal("unknown request state in database"))?;
    let now = db::now().and_utc();
    let entry = Entry {
        event: TimelineEvent::CertificateDeployed,
        from: Some(state),
        to: state,
        comment: Some(comment),
        items: &[],
        folio: None,
    };
    write_entry(conn, id, actor_id, &entry, now)?;
    diesel::update(requests::table.find(id))
        .set(requests::updated_at.eq(now.naive_utc()))
        .execute(conn)?;
    Ok(())
}

/// Adds a document to an open request without changing its state: a report (desk or
/// sub-directorate), or the certificate RENAPO sent (sub-directorate, on a certificate request
/// in attention; it starts the deployment clock).
pub fn add_document(
    conn: &mut AnyConnection,
    acting: &Acting,
    id: i64,
    comment: Option<&str>,
    added: &Added<StoredDocument>,
) -> AppResult<()> {
    let staff = acting.staff;
    let document = added.document();
    conn.write_transaction(|conn| {
        let row = records::visible(conn, staff, id)?;
        let state = row.current_state()?;
        let event = match added {
            Added::Certificate(..) => {
                if staff.role != Role::Subdireccion {
                    return Err(AppError::forbidden(
                        "Solo la Subdirección de Operación recibe el certificado de RENAPO.",
                    ));
                }
                if row.kind()? != RequestType::Certificate || state != RequestState::InProgress {
                    return Err(AppError::conflict(
                        "invalid_transition",
                        "El certificado de RENAPO se adjunta a una solicitud de certificado que esté en atención.",
                    ));
                }
                TimelineEvent::CertificateReceived
            }
            Added::Report(_) => {
                if !matches!(staff.role, Role::Mesa | Role::Subdireccion) {
                    return Err(AppError::forbidden(
                        "Solo la Mesa de Servicios y la Subdirección agregan reportes a una solicitud.",
                    ));
                }
                if !state.is_open() {
                    return Err(AppError::conflict(
                        "invalid_transition",
                        format!(
                            "La solicitud {} está «{}»: ya no admite documentos.",
                            row.ticket_number,
                            state.label()
                        ),
                    ));
                }
                TimelineEvent::AttachmentAdded
            }
        };
        let now = db::now().and_utc();
        diesel::update(requests::table.find(id))
            .set(requests::updated_at.eq(now.naive_utc()))
            .execute(conn)?;
        let entry = Entry {
            event,
            from: Some(state),
            to: state,
            comment: comment.map(str::trim),
            items: &[],
            folio: None,
        };
        let event_id = write_entry(conn, id, staff.id, &entry, now)?;
        record_documents(conn, id, event_id, staff.id, std::slice::from_ref(document), now)?;
        if let Added::Certificate(_, certificate) = added {
            let chain = certificate.rules.check(&certificate.bytes)?;
            let upload = crate::certificates::service::Upload {
                chain: &chain,
                file_name: &document.file_name,
                sha256: &document.stored.sha256,
                request_id: Some(id),
            };
            crate::certificates::service::insert(conn, &upload, staff.id, &acting.audit)?;
        }
        acting.audit.record(
            conn,
            &format!("request_{}", event.as_str()),
            "request",
            id,
            json!({ "ticket_number": row.ticket_number, "file_name": document.file_name,
                    "sha256": document.stored.sha256 }),
        )?;
        Ok(())
    })
}
