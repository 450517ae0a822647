//! Requests the demo starts with, taken along the procedure by the demo users through the same
//! workflow the API runs, so every role's dashboard and the request list have something to
//! show on the first start.

use std::net::{IpAddr, Ipv4Addr};

use confrontas_api::{AttachmentKind, NewRequestFields, RequestAction, RequestType, Role};
use diesel::prelude::*;

use super::letter;
use super::workflow::{self, Acting, Move, StoredDocument};
use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::layouts::{FirstIssues, check_layout};
use crate::population::{DEMO_SEED, Population};
use crate::schema::users;
use crate::seed::demo_email;
use crate::state::AppState;
use crate::uploads::SheetFormat;

/// Farmers in each demo layout (the first of the demo registry).
const LAYOUT_ROWS: u64 = 25;

/// (type, subject, the actions taken after submission).
const REQUESTS: [(RequestType, &str, &[RequestAction]); 6] = [
    (
        RequestType::Renapo,
        "Prueba de vivencia de productores de Producción para el Bienestar, lote 1",
        &[],
    ),
    (
        RequestType::Sat,
        "Opinión de cumplimiento de proveedores de Fertilizantes para el Bienestar",
        &[RequestAction::Observe],
    ),
    (
        RequestType::Renapo,
        "Actualización de datos personales de beneficiarios de Precios de Garantía",
        &[RequestAction::Forward],
    ),
    (
        RequestType::Certificate,
        "Actualización del certificado del servicio web de RENAPO",
        &[RequestAction::Forward, RequestAction::Accept],
    ),
    (
        RequestType::Renapo,
        "Prueba de vivencia, lote piloto",
        &[
            RequestAction::Forward,
            RequestAction::Accept,
            RequestAction::Resolve,
            RequestAction::Close,
        ],
    ),
    (
        RequestType::Sat,
        "Opinión de cumplimiento de beneficiarios de Fertilizantes para el Bienestar, lote 2",
        &[RequestAction::Forward, RequestAction::Accept],
    ),
];

fn demo_user(conn: &mut AnyConnection, role: Role) -> AppResult<StaffUser> {
    let (id, unit_id) = users::table
        .filter(users::email.eq(demo_email(role)))
        .select((users::id, users::unit_id))
        .first::<(i64, i64)>(conn)?;
    Ok(StaffUser {
        id,
        role,
        unit_id,
        session_id: String::new(),
        client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        must_change_password: false,
    })
}

/// What each action of the demo says.
fn change(action: RequestAction, version: i32) -> Move {
    let (comment, items) = match action {
        RequestAction::Observe => (
            None,
            vec![
                "El oficio debe estar firmado por el Director de Área o superior.".to_owned(),
                "Indique el programa al que pertenecen los productores.".to_owned(),
            ],
        ),
        RequestAction::Resolve => (
            Some("Confronta realizada; resultados aplicados al padrón.".to_owned()),
            Vec::new(),
        ),
        _ => (None, Vec::new()),
    };
    Move {
        action,
        version,
        comment,
        items,
        documents: Vec::new(),
    }
}

/// A layout of the first `rows` demo people, checked like any other and stored.
struct DemoLayout {
    stored: crate::attachments::StoredFile,
    totals: confrontas_api::LayoutTotals,
}

async fn demo_layout(state: &AppState, rows: u64) -> AppResult<DemoLayout> {
    let people = Population::new(DEMO_SEED);
    let mut csv = String::from("CURP,NOMBRE(S),PRIMER APELLIDO,SEGUNDO APELLIDO\n");
    for person in people.people(rows) {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            person.curp,
            person.given_names,
            person.first_surname,
            person.second_surname.unwrap_or_default()
        ));
    }
    let file = tempfile::NamedTempFile::new_in(state.uploads_dir()).map_err(AppError::internal)?;
    std::fs::write(file.path(), csv).map_err(AppError::internal)?;
    let (pool, limits, path) = (
        state.pool.clone(),
        state.config.layout_uploads,
        file.path().to_owned(),
    );
    let check = state
        .parse_permits
        .run(move || {
            check_layout(
                &path,
                SheetFormat::Csv,
                limits,
                &pool,
                &mut FirstIssues::default(),
            )
        })
        .await?;
    let stored = state
        .attachments
        .put_file(file.path())
        .map_err(AppError::internal)?;
    Ok(DemoLayout {
        stored,
        totals: check.totals,
    })
}

/// Submits a demo request of `request_type` (with `layout` when it takes one) as the demo
/// area, and returns its id.
fn submit_demo(
    conn: &mut AnyConnection,
    oficio: &crate::attachments::StoredFile,
    layout: &DemoLayout,
    request_type: RequestType,
    subject: &str,
) -> AppResult<i64> {
    let mut documents = vec![StoredDocument {
        kind: AttachmentKind::Oficio,
        file_name: "oficio_solicitud.pdf".to_owned(),
        content_type: "application/pdf",
        stored: oficio.clone(),
        layout_totals: None,
    }];
    if request_type.needs_layout() {
        documents.push(StoredDocument {
            kind: AttachmentKind::Layout,
            file_name: "layout_curp.csv".to_owned(),
            content_type: "text/csv",
            stored: layout.stored.clone(),
            layout_totals: Some(layout.totals.clone()),
        });
    }
    let area = demo_user(conn, Role::Area)?;
    let fields = NewRequestFields {
        request_type,
        subject: subject.to_owned(),
        signer_name: "Mtra. Alejandra Ríos Vega".to_owned(),
        signer_position: "Directora General de Fomento a la Agricultura".to_owned(),
    };
    let acting = Acting {
        staff: &area,
        audit: Actor::system(None),
    };
    workflow::submit(conn, &acting, &fields, &documents)
}

/// A RENAPO request of the first `rows` demo people, forwarded and accepted by the demo
/// users: ready for a confrontation (the benchmarks' starting point).
pub async fn renapo_request_in_attention(state: &AppState, rows: u64) -> AppResult<i64> {
    let layout = demo_layout(state, rows).await?;
    let store = state.attachments.clone();
    db::run(&state.pool, move |conn| {
        let oficio = store
            .put_bytes(&letter::oficio_template())
            .map_err(AppError::internal)?;
        let id = submit_demo(
            conn,
            &oficio,
            &layout,
            RequestType::Renapo,
            "Confronta de productores (prueba de rendimiento)",
        )?;
        take_actions(
            conn,
            &store,
            id,
            1,
            &[RequestAction::Forward, RequestAction::Accept],
        )?;
        Ok(id)
    })
    .await
}

/// Submits the demo requests and takes each along its actions.
pub async fn seed(state: &AppState) -> AppResult<()> {
    // A real layout of demo farmers, checked like any other.
    let layout = demo_layout(state, LAYOUT_ROWS).await?;
    let store = state.attachments.clone();
    let awaiting = db::run(&state.pool, move |conn| {
        let mut awaiting_confrontation = Vec::new();
        let oficio = store
            .put_bytes(&letter::oficio_template())
            .map_err(AppError::internal)?;
        for (request_type, subject, actions) in REQUESTS {
            let id = submit_demo(conn, &oficio, &layout, request_type, subject)?;
            // A RENAPO request resolves after its confrontation: the rest waits for it.
            let confronted_from = actions
                .iter()
                .position(|a| *a == RequestAction::Resolve && request_type == RequestType::Renapo);
            let (now, later) = actions.split_at(confronted_from.unwrap_or(actions.len()));
            let version = take_actions(conn, &store, id, 1, now)?;
            if !later.is_empty() {
                awaiting_confrontation.push((id, version, later));
            }
        }
        Ok(awaiting_confrontation)
    })
    .await?;
    for (id, version, actions) in awaiting {
        if !state.renapo.is_simulated() {
            tracing::warn!(
                id,
                "demo request left in attention: RENAPO is not the simulator"
            );
            continue;
        }
        confront_and_apply(state, id).await?;
        let store = state.attachments.clone();
        db::run(&state.pool, move |conn| {
            take_actions(conn, &store, id, version, actions).map(|_| ())
        })
        .await?;
    }
    Ok(())
}

/// Takes `actions` on request `id` from `version`, each by a demo user of its role; returns the
/// version after them.
fn take_actions(
    conn: &mut AnyConnection,
    store: &crate::attachments::AttachmentStore,
    id: i64,
    mut version: i32,
    actions: &[RequestAction],
) -> AppResult<i32> {
    for action in actions {
        let user = demo_user(conn, action.role())?;
        let acting = Acting {
            staff: &user,
            audit: Actor::system(None),
        };
        version = workflow::act(conn, store, &acting, id, &change(*action, version))?.version;
    }
    Ok(version)
}

/// Starts a confrontation of request `id` as the demo sub-directorate.
pub async fn start_confrontation(state: &AppState, id: i64) -> AppResult<i64> {
    let (store, limits) = (state.attachments.clone(), state.config.layout_uploads);
    let renapo_configured = state.renapo.is_configured();
    let sat_online_configured = state.sat.online().is_some();
    db::run(&state.pool, move |conn| {
        let user = demo_user(conn, Role::Subdireccion)?;
        let starting = crate::confrontations::jobs::Starting {
            staff: &user,
            actor: Actor::system(None),
            limits,
            provider: None,
            renapo_configured,
            sat_online_configured,
        };
        crate::confrontations::jobs::create(conn, &store, &starting, id)
    })
    .await
}

/// Runs the request's confrontation against the simulator to the end and applies it, as the
/// sub-directorate would.
async fn confront_and_apply(state: &AppState, id: i64) -> AppResult<()> {
    let job = start_confrontation(state, id).await?;
    crate::confrontations::engine::drain(
        &state.engine_context(),
        job,
        confrontas_api::Authority::Renapo,
    )
    .await?;
    db::run(&state.pool, move |conn| {
        let user = demo_user(conn, Role::Subdireccion)?;
        let version = crate::confrontations::jobs::visible(conn, &user, job)?
            .0
            .version;
        crate::confrontations::apply::apply(conn, &user, &Actor::system(None), job, version, &[])
            .map(|_| ())
    })
    .await
}
