//! Reading who is calling, as `/me` shows them.

use confrontas_api::{Me, PrincipalKind, UnitRef};
use diesel::prelude::*;

use super::principal::Principal;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::schema::{api_clients, units, users};

/// The staff user or API client behind `principal`, with its unit.
pub fn me(conn: &mut AnyConnection, principal: Principal) -> AppResult<Me> {
    match principal {
        Principal::Staff(user) => {
            let (id, email, name, position, role, unit) = users::table
                .inner_join(units::table)
                .filter(users::id.eq(user.id))
                .select((
                    users::id,
                    users::email,
                    users::name,
                    users::position,
                    users::role,
                    (units::id, units::key, units::name),
                ))
                .first::<(i64, String, String, String, String, (i64, String, String))>(conn)?;
            Ok(Me {
                kind: PrincipalKind::User,
                id,
                name,
                email: Some(email),
                position: Some(position),
                role: confrontas_api::Role::parse(&role),
                unit: UnitRef {
                    id: unit.0,
                    key: unit.1,
                    name: unit.2,
                },
                scopes: Vec::new(),
                must_change_password: user.must_change_password,
            })
        }
        Principal::Client(client) => {
            let (name, unit) = api_clients::table
                .inner_join(units::table)
                .filter(api_clients::id.eq(client.id))
                .select((api_clients::name, (units::id, units::key, units::name)))
                .first::<(String, (i64, String, String))>(conn)?;
            Ok(Me {
                kind: PrincipalKind::ApiClient,
                id: client.id,
                name,
                email: None,
                position: None,
                role: None,
                unit: UnitRef {
                    id: unit.0,
                    key: unit.1,
                    name: unit.2,
                },
                scopes: client.scopes,
                must_change_password: false,
            })
        }
    }
}
