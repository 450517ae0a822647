//! Alerts about RENAPO's certificate: the sub-directorate and the administration are notified
//! 30, 15 and 7 days before the deployed one expires and when it has expired, and when RENAPO
//! presents a certificate the instances do not trust — once each, even with several instances
//! (what was sent is recorded with a compare-and-set, in the notifications' transaction).

use chrono::NaiveDateTime;
use confrontas_api::Role;
use diesel::prelude::*;

use super::records::{days_to, deployed};
use crate::db::{self, AnyConnection};
use crate::error::AppResult;
use crate::schema::renapo_certificates as certs;

/// Days before expiry that alert; 0 stands for "expired".
const THRESHOLDS: [i64; 4] = [30, 15, 7, 0];

/// The alerts due for a certificate ending at `not_after`, seen at `now`.
fn due(not_after: NaiveDateTime, now: NaiveDateTime) -> Vec<i64> {
    let days = days_to(not_after);
    THRESHOLDS
        .into_iter()
        .filter(|threshold| match threshold {
            0 => not_after < now,
            t => days <= *t,
        })
        .collect()
}

fn message(not_after: NaiveDateTime, now: NaiveDateTime) -> String {
    let day = not_after.format("%d/%m/%Y");
    if not_after < now {
        format!(
            "El certificado de RENAPO desplegado venció el {day}: las consultas y confrontas con RENAPO fallarán hasta que se despliegue el vigente."
        )
    } else {
        let days = days_to(not_after);
        format!(
            "El certificado de RENAPO desplegado vence en {days} días ({day}): solicite a RENAPO el nuevo certificado y despliéguelo."
        )
    }
}

/// Sends the deployed certificate's alerts that are due and not sent yet (one notification
/// per person for the most urgent of them). Returns how many people were told.
pub fn check(conn: &mut AnyConnection) -> AppResult<usize> {
    let Some(row) = deployed(conn)? else {
        return Ok(0);
    };
    let now = db::now();
    let sent: Vec<i64> = row
        .alerts_sent
        .split(',')
        .filter_map(|t| t.parse().ok())
        .collect();
    let due = due(row.not_after, now);
    if due.iter().all(|t| sent.contains(t)) {
        return Ok(0);
    }
    let recorded = due.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    conn.write_transaction(|conn| {
        let won = diesel::update(
            certs::table
                .find(row.id)
                .filter(certs::alerts_sent.eq(&row.alerts_sent)),
        )
        .set(certs::alerts_sent.eq(&recorded))
        .execute(conn)?;
        if won == 0 {
            // Another instance sent them.
            return Ok(0);
        }
        Ok(crate::notifications::announce_certificate(
            conn,
            &[Role::Subdireccion, Role::Admin],
            Some(row.id),
            &message(row.not_after, now),
        )?)
    })
}

/// The `settings` key recording whether the refusal of RENAPO's certificate was announced.
const REFUSAL_KEY: &str = "renapo_certificate_refused";

/// Announces a refused handshake (`reason`) once per incident; a trusted handshake ends the
/// incident. Returns how many people were told.
pub fn refusal(conn: &mut AnyConnection, reason: Option<&str>) -> AppResult<usize> {
    let (from, to) = match reason {
        Some(_) => ("trusted", "refused"),
        None => ("refused", "trusted"),
    };
    // Read first: nearly every check finds nothing new and takes no write lock.
    if db::settings::get(conn, REFUSAL_KEY)?
        .as_deref()
        .unwrap_or("trusted")
        == to
    {
        return Ok(0);
    }
    conn.write_transaction(|conn| {
        if !db::settings::swap(conn, REFUSAL_KEY, from, to)? {
            return Ok(0);
        }
        let Some(reason) = reason else {
            return Ok(0);
        };
        let deployed_id = deployed(conn)?.map(|row| row.id);
        tracing::warn!(%reason, "announcing that RENAPO's certificate is refused");
        Ok(crate::notifications::announce_certificate(
            conn,
            &[Role::Subdireccion, Role::Admin],
            deployed_id,
            "RENAPO presentó un certificado que Confrontas no reconoce: las consultas y confrontas con RENAPO están detenidas. Despliegue el certificado nuevo que RENAPO envió en «Certificado RENAPO».",
        )?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_fall_due_at_thirty_fifteen_seven_days_and_on_expiry() {
        let now = db::now();
        let in_days = |d: i64| now + chrono::TimeDelta::days(d);
        assert_eq!(due(in_days(45), now), Vec::<i64>::new());
        assert_eq!(due(in_days(30), now), [30]);
        assert_eq!(due(in_days(10), now), [30, 15]);
        assert_eq!(due(in_days(3), now), [30, 15, 7]);
        assert_eq!(due(now - chrono::TimeDelta::hours(1), now), [30, 15, 7, 0]);
        assert!(message(in_days(3), now).contains("vence en 3 días"));
        assert!(message(now - chrono::TimeDelta::days(2), now).contains("venció"));
    }
}
