//! Staff users: admin-managed accounts with a role and a unit.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use confrontas_api::{NewUser, Page, Role, User, UserFilter, UserPatch};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::app::AppState;
use crate::auth::principal::{AdminOnly, Staff};
use crate::auth::service::revoke_user_sessions;
use crate::db::{self, AnyConnection, PageRequest, contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::schema::users;
use crate::units::{require_active_unit, unit_refs};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user);
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    position: String,
    unit_id: i64,
    role: String,
    active: bool,
    last_login_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn to_dtos(conn: &mut AnyConnection, rows: Vec<UserRow>) -> AppResult<Vec<User>> {
    let unit_ids: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
    let units = unit_refs(conn, &unit_ids)?;
    rows.into_iter()
        .map(|row| {
            Ok(User {
                unit: units
                    .get(&row.unit_id)
                    .cloned()
                    .ok_or_else(|| AppError::internal("user without unit"))?,
                role: Role::parse(&row.role)
                    .ok_or_else(|| AppError::internal("unknown role in database"))?,
                id: row.id,
                email: row.email,
                name: row.name,
                position: row.position,
                active: row.active,
                last_login_at: row.last_login_at.map(|t| t.and_utc()),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

fn load_user(conn: &mut AnyConnection, id: i64) -> AppResult<User> {
    let row = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("El usuario no existe."))?;
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

/// Inserts a user whose password is already hashed (used by the API, the bootstrap admin and
/// the demo seed, so every account is created the same way).
pub fn insert_user(
    conn: &mut AnyConnection,
    user: &NewUser,
    password_hash: &str,
) -> AppResult<User> {
    let email = user.email.trim().to_lowercase();
    require_active_unit(conn, user.unit_id, "unit_id")?;
    let taken = users::table
        .filter(users::email.eq(&email))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        return Err(AppError::conflict(
            "email_taken",
            format!("Ya existe un usuario con el correo {email}."),
        ));
    }
    let now = db::now();
    let id = diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::name.eq(user.name.trim()),
            users::position.eq(user.position.trim()),
            users::unit_id.eq(user.unit_id),
            users::role.eq(user.role.as_str()),
            users::password_hash.eq(password_hash),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result::<i64>(conn)?;
    load_user(conn, id)
}

/// List staff users.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(UserFilter),
    responses((status = 200, body = Page<User>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    filter: web::Query<UserFilter>,
) -> AppResult<web::Json<Page<User>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let result = db::run(&state.pool, move |conn| {
        let query = || {
            let mut query = users::table.into_boxed();
            if let Some(text) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
                let pattern = contains_pattern(text);
                query = query.filter(
                    lower(users::email)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(users::name).like(pattern).escape('\\')),
                );
            }
            if let Some(role) = filter.role {
                query = query.filter(users::role.eq(role.as_str()));
            }
            if let Some(unit_id) = filter.unit_id {
                query = query.filter(users::unit_id.eq(unit_id));
            }
            if let Some(active) = filter.active {
                query = query.filter(users::active.eq(active));
            }
            query
        };
        let total = query().count().get_result::<i64>(conn)?;
        let rows = query()
            .order((users::name.asc(), users::id.asc()))
            .offset(page.offset())
            .limit(page.limit())
            .select(UserRow::as_select())
            .load(conn)?;
        Ok(page.of(to_dtos(conn, rows)?, total))
    })
    .await?;
    Ok(web::Json(result))
}

/// Create a staff user with an initial password.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = User), BodyErrors, Unauthenticated, Forbidden, Conflict))]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    body: web::Json<NewUser>,
) -> AppResult<HttpResponse> {
    let user = body.into_inner();
    user.validate().map_err(AppError::validation)?;
    let hash = state.hasher.hash(user.password.clone()).await?;
    let actor = admin.actor();
    let created = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let created = insert_user(conn, &user, &hash)?;
            actor.record(
                conn,
                "user_created",
                "user",
                created.id.to_string(),
                json!({ "email": created.email, "role": created.role, "unit_id": created.unit.id }),
            )?;
            Ok(created)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One staff user.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<User>> {
    let id = id.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| load_user(conn, id)).await?,
    ))
}

/// Change a user. Disabling, a new password, or a new role or unit ends the user's sessions.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UserPatch,
    responses((status = 200, body = User), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict))]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
    body: web::Json<UserPatch>,
) -> AppResult<web::Json<User>> {
    let patch = body.into_inner();
    patch.validate().map_err(AppError::validation)?;
    let id = id.into_inner();
    if id == admin.user.id
        && (patch.active == Some(false) || patch.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::conflict(
            "cannot_demote_self",
            "No puede desactivarse ni quitarse el rol de administrador a sí mismo; pídalo a otro administrador.",
        ));
    }
    let new_hash = match patch.password.clone() {
        Some(password) => Some(state.hasher.hash(password).await?),
        None => None,
    };
    let actor = admin.actor();
    let updated = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let before = load_user(conn, id)?;
            if let Some(unit_id) = patch.unit_id {
                require_active_unit(conn, unit_id, "unit_id")?;
            }
            let after_role = patch.role.unwrap_or(before.role);
            let after_unit = patch.unit_id.unwrap_or(before.unit.id);
            let after_active = patch.active.unwrap_or(before.active);
            diesel::update(users::table.find(id))
                .set((
                    users::name.eq(patch.name.as_deref().map(str::trim).unwrap_or(&before.name)),
                    users::position.eq(patch.position.as_deref().map(str::trim).unwrap_or(&before.position)),
                    users::unit_id.eq(after_unit),
                    users::role.eq(after_role.as_str()),
                    users::active.eq(after_active),
                    users::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
            if let Some(hash) = &new_hash {
                diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(conn)?;
            }
            let ends_sessions = new_hash.is_some() || !after_active || after_role != before.role || after_unit != before.unit.id;
            let sessions_ended = if ends_sessions { revoke_user_sessions(conn, id)? } else { 0 };
            let after = load_user(conn, id)?;
            actor.record(conn, "user_updated", "user", id, json!({
                    "before": { "name": before.name, "position": before.position, "unit_id": before.unit.id, "role": before.role, "active": before.active },
                    "after": { "name": after.name, "position": after.position, "unit_id": after.unit.id, "role": after.role, "active": after.active },
                    "password_reset": new_hash.is_some(),
                    "sessions_ended": sessions_ended,
                }))?;
            Ok(after)
        })
    })
    .await?;
    Ok(web::Json(updated))
}
