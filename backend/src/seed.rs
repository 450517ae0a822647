//! Data the server creates by itself: the bootstrap administrator and the demo data set.
//! Both go through the same inserts as the API (`units::service::insert_unit`, `users::service::insert_user`).

use confrontas_api::{ChangeSource, NewUnit, NewUser, Role};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::Actor;
use crate::auth::tokens::random_token;
use crate::db::{self, AnyConnection};
use crate::error::AppResult;
use crate::population::{DEMO_SEED, Population};
use crate::registry::bulk::{NewFarmer, insert_new_farmers};
use crate::schema::{units, users};
use crate::state::AppState;
use crate::units::service::insert_unit;
use crate::users::service::insert_user;

/// The directorate that runs the service; staff of mesa, subdirección and administration belong here.
fn dgtic() -> NewUnit {
    NewUnit {
        key: "DGTIC".into(),
        name: "Dirección General de Tecnologías de la Información y Comunicaciones".into(),
        is_ministry: true,
    }
}

/// The unit's id, inserting it first if its key is new.
fn ensure_unit(conn: &mut AnyConnection, unit: &NewUnit) -> AppResult<i64> {
    match units::table
        .filter(units::key.eq(&unit.key))
        .select(units::id)
        .first::<i64>(conn)
        .optional()?
    {
        Some(id) => Ok(id),
        None => Ok(insert_unit(conn, unit)?.id),
    }
}

/// Creates the administrator named by `CONFRONTAS_ADMIN_EMAIL` if no user has that e-mail yet.
/// An existing account is left as it is (its password is not reset).
pub async fn bootstrap_admin(state: &AppState) -> AppResult<bool> {
    let Some((email, password)) = state.config.bootstrap_admin.clone() else {
        return Ok(false);
    };
    let lookup = email.clone();
    let exists = db::run(&state.pool, move |conn| {
        Ok(users::table
            .filter(users::email.eq(lookup))
            .count()
            .get_result::<i64>(conn)?
            > 0)
    })
    .await?;
    if exists {
        return Ok(false);
    }
    let hash = state.hasher.hash(password.clone()).await?;
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let unit_id = ensure_unit(conn, &dgtic())?;
            let user = NewUser {
                email,
                name: "Administración del sistema".into(),
                position: "Administrador".into(),
                unit_id,
                role: Role::Admin,
                password,
            };
            let created = insert_user(conn, &user, &hash)?;
            Actor::system(None).record(
                conn,
                "bootstrap_admin_created",
                "user",
                created.id,
                json!({ "email": created.email }),
            )?;
            Ok(true)
        })
    })
    .await
}

/// A demo account, printed at start.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub name: String,
}

#[derive(Debug, Clone)]
pub enum DemoSeed {
    /// The database was empty and now holds the demo data; `password` opens every demo account.
    Seeded {
        password: String,
        generated: bool,
        logins: Vec<DemoLogin>,
    },
    /// The database already had users; nothing was changed.
    AlreadyPresent { logins: Vec<DemoLogin> },
}

fn demo_people() -> Vec<(Role, &'static str, &'static str, &'static str)> {
    vec![
        (
            Role::Area,
            "Laura Hernández Ruiz",
            "Directora de Área",
            "DGFA",
        ),
        (
            Role::Mesa,
            "Mario Sánchez López",
            "Analista de la Mesa de Servicios",
            "DGTIC",
        ),
        (
            Role::Subdireccion,
            "Daniela Flores Ortega",
            "Subdirectora de Operación y Administración de Sistemas",
            "DGTIC",
        ),
        (
            Role::Admin,
            "Roberto Peña Díaz",
            "Administrador del Sistema",
            "DGTIC",
        ),
    ]
}

pub fn demo_email(role: Role) -> String {
    format!("{}@demo.confrontas.mx", role.as_str())
}

/// Seeds the demo data set on an empty database: units, one user per role, the registry and (unless
/// `CONFRONTAS_DEMO_REQUESTS=false`) a few requests along the procedure.
pub async fn demo(state: &AppState) -> AppResult<DemoSeed> {
    let logins: Vec<DemoLogin> = demo_people()
        .into_iter()
        .map(|(role, name, ..)| DemoLogin {
            email: demo_email(role),
            role,
            name: name.into(),
        })
        .collect();
    let empty = db::run(&state.pool, |conn| {
        Ok(users::table.count().get_result::<i64>(conn)? == 0)
    })
    .await?;
    if !empty {
        return Ok(DemoSeed::AlreadyPresent { logins });
    }
    let (password, generated) = match state.config.demo_password.clone() {
        Some(password) => (password, false),
        None => (format!("Demo-{}", random_token(12)), true),
    };
    let hash = state.hasher.hash(password.clone()).await?;
    let demo_password = password.clone();
    let farmer_count = state.config.demo_farmers;
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let dgtic_id = ensure_unit(conn, &dgtic())?;
            let dgfa_id = ensure_unit(
                conn,
                &NewUnit {
                    key: "DGFA".into(),
                    name: "Dirección General de Fomento a la Agricultura".into(),
                    is_ministry: true,
                },
            )?;
            ensure_unit(
                conn,
                &NewUnit {
                    key: "EXT-OPA".into(),
                    name: "Organismo de Productores Asociados (externo)".into(),
                    is_ministry: false,
                },
            )?;
            for (role, name, position, unit_key) in demo_people() {
                let unit_id = if unit_key == "DGFA" {
                    dgfa_id
                } else {
                    dgtic_id
                };
                let user = NewUser {
                    email: demo_email(role),
                    name: name.into(),
                    position: position.into(),
                    unit_id,
                    role,
                    password: demo_password.clone(),
                };
                insert_user(conn, &user, &hash)?;
            }
            let now = db::now();
            let farmers: Vec<NewFarmer> = Population::new(DEMO_SEED)
                .people(farmer_count)
                .map(|person| NewFarmer::from_person(&person))
                .collect();
            let system = Actor::system(None);
            insert_new_farmers(
                conn,
                &farmers,
                ChangeSource::Demo,
                Some("demo"),
                &system,
                now,
            )?;
            let detail = json!({ "users": 4, "farmers": farmer_count });
            system.record(conn, "demo_seeded", "system", "demo", detail)?;
            Ok(())
        })
    })
    .await?;
    // The requests need the farmers their layouts name, committed above.
    if state.config.demo_requests {
        crate::requests::demo::seed(state).await?;
    }
    Ok(DemoSeed::Seeded {
        password,
        generated,
        logins,
    })
}
