//! The business-day calendar API: every role reads a year's non-working days; only the admin
//! declares or removes days, each with an audit row, and days that already are non-working are
//! refused with a reason.

use crate::support::Expect;
use crate::support::{TestApp, problem};
use confrontas_api::paths;
use confrontas_api::{CalendarYear, NonWorkingDay, NonWorkingKind, Role};
use confrontas_server::schema::audit_log;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    every_role_reads_the_year_with_the_mandatory_rest_days,
    the_admin_declares_and_removes_days_with_an_audit_row,
    days_that_already_are_non_working_and_bad_input_are_refused,
    only_the_admin_declares_or_removes_days,
);

async fn year(app: &TestApp, token: &str, year: i32) -> CalendarYear {
    let response = app.get(&paths::calendar::year(year), token).await;
    response.expect_json(200).await
}

async fn remove(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.http
        .delete(app.url(&paths::calendar::declared_day(id)))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn dates(calendar: &CalendarYear) -> Vec<String> {
    calendar
        .non_working_days
        .iter()
        .map(|d| d.date.to_string())
        .collect()
}

async fn every_role_reads_the_year_with_the_mandatory_rest_days(app: TestApp) {
    for role in [Role::Area, Role::Mesa, Role::Subdireccion, Role::Admin] {
        let token = app.login(role).await.access_token;
        let calendar = year(&app, &token, 2026).await;
        assert_eq!(calendar.time_zone, "America/Mexico_City");
        // 2026: Feb 2, Mar 16, Nov 16 (Mondays), Jan 1 (Thu), May 1 (Fri), Sep 16 (Wed),
        // Dec 25 (Fri): seven weekdays off, none of them on a weekend.
        assert_eq!(
            dates(&calendar),
            [
                "2026-01-01",
                "2026-02-02",
                "2026-03-16",
                "2026-05-01",
                "2026-09-16",
                "2026-11-16",
                "2026-12-25"
            ]
        );
        assert!(
            calendar
                .non_working_days
                .iter()
                .all(|d| d.kind == NonWorkingKind::Mandatory && d.id.is_none())
        );
        // 365 days, 104 weekend days, 7 weekdays off.
        assert_eq!(calendar.business_days, 254, "{role:?}");
    }
    let admin = app.login(Role::Admin).await.access_token;
    // 2030 has the transmission of the Federal Executive on Tuesday, Oct 1.
    let transmission = year(&app, &admin, 2030).await;
    assert!(dates(&transmission).contains(&"2030-10-01".to_owned()));
    // Jan 1 2028 is a Saturday: weekends are never listed.
    assert!(!dates(&year(&app, &admin, 2028).await).contains(&"2028-01-01".to_owned()));
    let out_of_range = app.get(&paths::calendar::year(1999), &admin).await;
    out_of_range.expect_problem(422, "validation_failed").await;
    let anonymous = app
        .http
        .get(app.url(&paths::calendar::year(2026)))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

fn audit_actions(app: &TestApp, entity_id: i64) -> Vec<String> {
    let mut conn = app.state.pool.get().unwrap();
    audit_log::table
        .filter(audit_log::entity.eq("non_working_day"))
        .filter(audit_log::entity_id.eq(entity_id.to_string()))
        .order(audit_log::id.asc())
        .select(audit_log::action)
        .load(&mut conn)
        .unwrap()
}

async fn the_admin_declares_and_removes_days_with_an_audit_row(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    let mut declared = Vec::new();
    for (date, name) in [
        ("2026-04-02", "Jueves Santo"),
        ("2026-04-03", "Viernes Santo"),
    ] {
        let response = app
            .send_json(
                Method::POST,
                &paths::calendar::declare_day(),
                &admin,
                json!({ "date": date, "name": format!("  {name} ") }),
            )
            .await;
        let day: NonWorkingDay = response.expect_json(201).await;
        assert_eq!(day.name, name, "trimmed");
        assert_eq!(day.kind, NonWorkingKind::Declared);
        assert!(day.declared_by.is_some() && day.declared_at.is_some());
        declared.push(day);
    }
    let area = app.login(Role::Area).await.access_token;
    let calendar = year(&app, &area, 2026).await;
    assert_eq!(calendar.business_days, 252);
    let holy_thursday = &calendar.non_working_days[3];
    assert_eq!(holy_thursday.date.to_string(), "2026-04-02");
    assert_eq!(holy_thursday.name, "Jueves Santo");

    let id = declared[0].id.unwrap();
    let removed = remove(&app, &admin, id).await;
    assert_eq!(removed.status(), 204);
    assert_eq!(year(&app, &area, 2026).await.business_days, 253);
    assert_eq!(
        audit_actions(&app, id),
        ["non_working_day_declared", "non_working_day_removed"]
    );
    let again = remove(&app, &admin, id).await;
    again.expect_problem(404, "not_found").await;
}

async fn days_that_already_are_non_working_and_bad_input_are_refused(app: TestApp) {
    let admin = app.login(Role::Admin).await.access_token;
    let declare = paths::calendar::declare_day();
    let post = |body: serde_json::Value| app.send_json(Method::POST, &declare, &admin, body);
    let christmas = post(json!({ "date": "2026-12-25", "name": "Navidad otra vez" })).await;
    let christmas = christmas.expect_problem(409, "already_non_working").await;
    assert!(christmas.detail.contains("Navidad"), "{}", christmas.detail);

    let saturday = post(json!({ "date": "2026-11-21", "name": "Sábado" })).await;
    assert_eq!(saturday.status(), 422);
    let saturday = problem(saturday).await;
    assert_eq!(saturday.errors[0].field, "date");
    assert!(saturday.errors[0].message.contains("sábado"));

    assert_eq!(
        post(json!({ "date": "2026-04-02", "name": "Jueves Santo" }))
            .await
            .status(),
        201
    );
    let twice = post(json!({ "date": "2026-04-02", "name": "Otra vez" })).await;
    assert_eq!(twice.status(), 409);
    assert!(problem(twice).await.detail.contains("Jueves Santo"));

    for (body, field) in [
        (json!({ "date": "2026-04-06", "name": "   " }), "name"),
        (json!({ "date": "2150-04-06", "name": "Lejano" }), "date"),
    ] {
        let refused = post(body).await;
        assert_eq!(refused.status(), 422);
        assert_eq!(problem(refused).await.errors[0].field, field);
    }
    let not_a_date = post(json!({ "date": "2026-02-30", "name": "Treinta de febrero" })).await;
    assert_eq!(not_a_date.status(), 400);
    assert!(!problem(not_a_date).await.detail.is_empty());
}

async fn only_the_admin_declares_or_removes_days(app: TestApp) {
    for role in [Role::Area, Role::Mesa, Role::Subdireccion] {
        let token = app.login(role).await.access_token;
        let declared = app
            .send_json(
                Method::POST,
                &paths::calendar::declare_day(),
                &token,
                json!({ "date": "2026-04-02", "name": "Jueves Santo" }),
            )
            .await;
        assert_eq!(declared.status(), 403, "{role:?}");
        let removed = remove(&app, &token, 1).await;
        assert_eq!(removed.status(), 403, "{role:?}");
    }
}
