//! What people look at: the dashboards, the service-level report, and the request list's filters and orders.

use crate::support::Expect;
use crate::support::procedure::{Tokens, request_form, send_form};
use crate::support::{TestApp, problem};
use confrontas_api::paths;
use confrontas_api::{
    Dashboard, Page, RequestDetail, RequestState, RequestSummary, Role, SlaClockKind, SlaReport,
};
use confrontas_api::{ReportFormat, RequestFilter, RequestSort, SlaReportParams};

use super::*;

on_both_backends!(
    dashboards_and_the_sla_report_count_what_is_pending_late_and_met,
    the_list_filters_by_state_type_dates_and_text_and_sorts,
    mine_keeps_what_waits_for_the_callers_role,
    a_curp_finds_the_requests_that_confronted_it,
    column_orders_and_exports_follow_the_list,
);

async fn list(app: &TestApp, token: &str, filter: RequestFilter) -> Vec<String> {
    let page: Page<RequestSummary> = app.get_ok(&paths::requests::list(&filter), token).await;
    page.items.into_iter().map(|s| s.ticket_number).collect()
}

async fn dashboards_and_the_sla_report_count_what_is_pending_late_and_met(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let waiting = submit(&app, &tokens.area).await;
    let late = submit(&app, &tokens.area).await;
    age(&app, late.summary.id, 30);
    let forwarded = in_state(&app, &tokens, RequestState::Forwarded).await;

    let desk: Dashboard = app
        .get_ok(&paths::requests::dashboard(), &tokens.mesa)
        .await;
    assert_eq!(desk.role, Role::Mesa);
    let pending: Vec<i64> = desk.pending.iter().map(|s| s.id).collect();
    assert_eq!(
        pending,
        [late.summary.id, waiting.summary.id],
        "nearest due date first"
    );
    assert_eq!(desk.breached_total, 1);
    assert_eq!(desk.breached[0].id, late.summary.id);
    let count = |dashboard: &Dashboard, state: RequestState| {
        dashboard
            .counts_by_state
            .iter()
            .find(|c| c.state == state)
            .unwrap()
            .count
    };
    assert_eq!(count(&desk, RequestState::Submitted), 2);
    assert_eq!(count(&desk, RequestState::Forwarded), 1);

    let sub: Dashboard = app.get_ok(&paths::requests::dashboard(), &tokens.sub).await;
    assert_eq!(
        sub.pending.iter().map(|s| s.id).collect::<Vec<_>>(),
        [forwarded.summary.id]
    );
    let area: Dashboard = app
        .get_ok(&paths::requests::dashboard(), &tokens.area)
        .await;
    assert_eq!(area.pending_total, 0, "nothing waits for the area");

    // The forwarded request met its first contact this month; the late one breached it 30
    // days ago (in the period of its due date).
    let month = confrontas_server::calendar::local_date(chrono::Utc::now())
        .format("%Y-%m")
        .to_string();
    let report: SlaReport = app
        .get_ok(
            &paths::sla::report(&SlaReportParams {
                period: month.clone(),
                format: None,
            }),
            &tokens.mesa,
        )
        .await;
    let first_contact = report
        .lines
        .iter()
        .find(|l| {
            l.clock == SlaClockKind::FirstContact && l.grouping == confrontas_api::SlaGrouping::All
        })
        .unwrap();
    assert_eq!(first_contact.met, 1);
    assert_eq!(first_contact.missed, 0);
    let by_unit = report
        .lines
        .iter()
        .find(|l| {
            l.clock == SlaClockKind::FirstContact && l.grouping == confrontas_api::SlaGrouping::Unit
        })
        .unwrap();
    assert_eq!((by_unit.key.as_str(), by_unit.met), ("DGFA", 1));
    let year_report: SlaReport = app
        .get_ok(
            &paths::sla::report(&SlaReportParams {
                period: year().to_string(),
                format: None,
            }),
            &tokens.mesa,
        )
        .await;
    assert_eq!(
        year_report.first_day.to_string(),
        format!("{}-01-01", year())
    );

    let workbook = app
        .get(
            &paths::sla::report(&SlaReportParams {
                period: month.clone(),
                format: Some(ReportFormat::Xlsx),
            }),
            &tokens.mesa,
        )
        .await;
    let bytes = crate::support::workbook(workbook, "cumplimiento_sla").await;
    let rows = crate::support::sheets::read_sheet(bytes, "Cumplimiento");
    assert_eq!(rows[0][0], "Periodo");
    assert!(
        rows.iter()
            .any(|r| r[1] == "Primer contacto" && r[3] == "Todas las solicitudes" && r[4] == "1"),
        "{rows:?}"
    );

    let invalid = app
        .get(
            &paths::sla::report(&SlaReportParams {
                period: "2026-13".into(),
                format: None,
            }),
            &tokens.mesa,
        )
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(problem(invalid).await.errors[0].field, "period");
}

async fn the_list_filters_by_state_type_dates_and_text_and_sorts(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let first = in_state(&app, &tokens, RequestState::Submitted).await;
    let second = in_state(&app, &tokens, RequestState::Forwarded).await;
    let certificate: RequestDetail = send_form(
        &app,
        &paths::requests::submit(),
        &tokens.area,
        request_form("certificate", None),
    )
    .await
    .expect_ok()
    .await;
    let (a, b, c) = (
        first.summary.ticket_number.clone(),
        second.summary.ticket_number.clone(),
        certificate.summary.ticket_number.clone(),
    );
    assert_eq!(
        list(&app, &tokens.mesa, RequestFilter::default()).await,
        [c.clone(), b.clone(), a.clone()],
        "newest first"
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                sort: Some(RequestSort::Oldest),
                ..Default::default()
            }
        )
        .await,
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                state: Some(RequestState::Forwarded),
                ..Default::default()
            }
        )
        .await,
        vec![b.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                request_type: Some(RequestType::Certificate),
                ..Default::default()
            }
        )
        .await,
        vec![c.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                unit_id: Some(2),
                request_type: Some(RequestType::Renapo),
                sort: Some(RequestSort::Oldest),
                ..Default::default()
            }
        )
        .await,
        [a.clone(), b.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                unit_id: Some(3),
                ..Default::default()
            }
        )
        .await,
        Vec::<String>::new()
    );
    // Text: part of the ticket, of the folio, or of the subject without regard to case.
    let folio = second.summary.folio.clone().unwrap();
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                q: Some(a.to_lowercase()),
                ..Default::default()
            }
        )
        .await,
        vec![a.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                q: Some(folio.clone()),
                ..Default::default()
            }
        )
        .await,
        vec![b.clone()]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                q: Some("PRODUCTORES DE NOV".into()),
                sort: Some(RequestSort::Oldest),
                ..Default::default()
            }
        )
        .await,
        [a.clone(), b.clone(), c.clone()]
    );
    // Dates in Mexico City: today holds all three, yesterday none.
    let today = confrontas_server::calendar::local_date(chrono::Utc::now());
    let yesterday = today.pred_opt().unwrap();
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                submitted_from: Some(today),
                submitted_to: Some(today),
                ..Default::default()
            }
        )
        .await
        .len(),
        3
    );
    assert!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                submitted_to: Some(yesterday),
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );
    let reversed = app
        .get(
            &paths::requests::list(&RequestFilter {
                submitted_from: Some(today),
                submitted_to: Some(yesterday),
                ..Default::default()
            }),
            &tokens.mesa,
        )
        .await;
    assert_eq!(reversed.status(), 422);
    assert_eq!(problem(reversed).await.errors[0].field, "submitted_to");
    // Nearest due date first: the certificate's first contact is due like the others, but
    // the forwarded one has no first-contact clock left running.
    let due = list(
        &app,
        &tokens.mesa,
        RequestFilter {
            sort: Some(RequestSort::Due),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(due.len(), 3);
    assert_eq!(due[2], b, "{due:?}");
    let unknown = app
        // A state the contract does not have, written by hand.
        .get("/api/v1/requests?state=perdida", &tokens.mesa)
        .await;
    assert_eq!(unknown.status(), 400);
    let paged: Page<RequestSummary> = app
        .get_ok(
            &paths::requests::list(&RequestFilter {
                per_page: Some(2),
                page: Some(2),
                ..Default::default()
            }),
            &tokens.mesa,
        )
        .await;
    assert_eq!((paged.total, paged.items.len()), (3, 1));
}

async fn mine_keeps_what_waits_for_the_callers_role(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let submitted = in_state(&app, &tokens, RequestState::Submitted).await;
    let observed = in_state(&app, &tokens, RequestState::Observed).await;
    let forwarded = in_state(&app, &tokens, RequestState::Forwarded).await;
    let closed = in_state(&app, &tokens, RequestState::Closed).await;
    let mine = RequestFilter {
        mine: Some(true),
        sort: Some(RequestSort::Oldest),
        ..Default::default()
    };
    let ticket = |d: &RequestDetail| d.summary.ticket_number.clone();
    assert_eq!(
        list(&app, &tokens.mesa, mine.clone()).await,
        [ticket(&submitted)]
    );
    assert_eq!(
        list(&app, &tokens.sub, mine.clone()).await,
        [ticket(&forwarded)]
    );
    assert_eq!(
        list(&app, &tokens.area, mine.clone()).await,
        [ticket(&observed)]
    );
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            RequestFilter {
                mine: Some(false),
                ..mine
            }
        )
        .await
        .len(),
        4,
        "mine=false is everything: {}",
        ticket(&closed)
    );
}

async fn a_curp_finds_the_requests_that_confronted_it(app: TestApp) {
    use crate::support::procedure::{in_attention, layout};
    use confrontas_server::population::{DEMO_SEED, Population};
    let tokens = Tokens::of(&app).await;
    let confronted = in_attention(&app, &tokens, layout(&[3, 4])).await;
    let other = in_attention(&app, &tokens, layout(&[5])).await;
    app.confront(&tokens.sub, confronted.summary.id).await;
    app.confront(&tokens.sub, other.summary.id).await;
    let people = Population::new(DEMO_SEED);
    let by_curp = |curp: String| RequestFilter {
        q: Some(curp),
        ..Default::default()
    };
    assert_eq!(
        list(
            &app,
            &tokens.mesa,
            by_curp(people.person(4).curp.to_string())
        )
        .await,
        vec![confronted.summary.ticket_number]
    );
    assert_eq!(
        list(
            &app,
            &tokens.area,
            by_curp(people.person(5).curp.to_string().to_lowercase())
        )
        .await,
        vec![other.summary.ticket_number],
        "written in lower case too"
    );
    assert!(
        list(
            &app,
            &tokens.mesa,
            by_curp(people.person(6).curp.to_string())
        )
        .await
        .is_empty(),
        "a CURP no confrontation asked for"
    );
}

async fn column_orders_and_exports_follow_the_list(app: TestApp) {
    use crate::support::sheets::read_sheet;
    let tokens = Tokens::of(&app).await;
    let first = in_state(&app, &tokens, RequestState::Submitted).await;
    let second = in_state(&app, &tokens, RequestState::Forwarded).await;
    let late = submit(&app, &tokens.area).await;
    age(&app, late.summary.id, 30);
    let (a, b, c) = (
        first.summary.ticket_number.clone(),
        second.summary.ticket_number.clone(),
        late.summary.ticket_number.clone(),
    );
    let sorted = |sort: RequestSort| RequestFilter {
        sort: Some(sort),
        ..Default::default()
    };
    assert_eq!(
        list(&app, &tokens.mesa, sorted(RequestSort::Ticket)).await,
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        list(&app, &tokens.mesa, sorted(RequestSort::TicketDesc)).await,
        [c.clone(), b.clone(), a.clone()]
    );
    let nearest = list(&app, &tokens.mesa, sorted(RequestSort::Due)).await;
    assert_eq!(nearest[0], c, "the late one is due first");
    let farthest = list(&app, &tokens.mesa, sorted(RequestSort::DueLast)).await;
    assert_eq!(farthest.len(), 3);
    assert_eq!(farthest.last(), Some(&c), "the nearest due date last");
    assert_eq!(
        RequestSort::Recent.toggled("submitted"),
        Some(RequestSort::Oldest)
    );
    assert_eq!(
        RequestSort::Oldest.toggled("submitted"),
        Some(RequestSort::Recent)
    );
    assert_eq!(RequestSort::Recent.toggled("due"), Some(RequestSort::Due));
    assert_eq!(RequestSort::Due.toggled("due"), Some(RequestSort::DueLast));

    // The export holds every request the filters select, in the list's order, not a page.
    let filter = RequestFilter {
        request_type: Some(RequestType::Renapo),
        sort: Some(RequestSort::Ticket),
        per_page: Some(1),
        ..Default::default()
    };
    let response = app
        .get(&paths::requests::export_xlsx(&filter), &tokens.mesa)
        .await;
    let rows = read_sheet(
        crate::support::workbook(response, "solicitudes_").await,
        "Solicitudes",
    );
    assert_eq!(
        rows[0][..6],
        ["Ticket", "Folio", "Tipo", "Asunto", "Unidad", "Estado"].map(String::from)
    );
    assert_eq!(
        rows[1..].iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(rows[2][5], "Turnada", "states in words");
    assert_eq!(rows[2][1], second.summary.folio.clone().unwrap());

    let response = app
        .get(&paths::requests::export_csv(&filter), &tokens.area)
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with("\u{feff}Ticket,Folio,Tipo"), "{text}");
    assert_eq!(
        text.lines().count(),
        4,
        "a header and the area's three requests"
    );

    let refused = app
        .get(
            &paths::requests::export_csv(&RequestFilter {
                q: Some("x".repeat(101)),
                ..Default::default()
            }),
            &tokens.mesa,
        )
        .await;
    refused.expect_problem(422, "validation_failed").await;
    let no_page = RequestFilter {
        per_page: Some(0),
        ..Default::default()
    };
    app.get(&paths::requests::export_xlsx(&no_page), &tokens.mesa)
        .await
        .expect_problem(422, "validation_failed")
        .await;
}
