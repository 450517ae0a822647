//! CURP layouts: the template, and the row-by-row report for `.xlsx` and `.csv` files as people
//! really fill them (titles above the headers, headers in any order and spelling, blank rows,
//! Latin-1 text). The demo registry holds the first 300 people of the demo population.

use crate::support::Expect;
use confrontas_api::paths;
use confrontas_api::{LayoutCheckParams, ReportFormat};
use std::io::Cursor;

use crate::support::sheets::{self, rows};
use crate::support::{TestApp, problem, workbook};
use confrontas_api::{Curp, LayoutIssueKind, LayoutReport, Role};
use confrontas_server::population::{DEMO_SEED, Population};
use confrontas_server::registry::membership::Membership;

on_both_backends!(
    the_template_has_headers_an_example_row_notes_and_validation,
    a_report_names_each_problem_on_the_row_excel_shows,
    csv_layouts_in_utf8_with_bom_and_latin1_give_the_same_report,
    the_report_downloads_as_xlsx_with_every_issue,
    every_role_may_check_a_layout_but_anonymous_callers_may_not,
    both_ways_of_asking_the_registry_give_the_same_answers,
);

/// The report of a successful check; a refusal fails the test with its problem.
async fn report_of(response: reqwest::Response) -> LayoutReport {
    response.expect_json(200).await
}

async fn the_template_has_headers_an_example_row_notes_and_validation(app: TestApp) {
    let token = app.login(Role::Area).await.access_token;
    let response = app.get(&paths::layouts::template(), &token).await;
    let bytes = workbook(response, "layout_curp.xlsx").await;
    let rows = sheets::read_sheet(bytes.clone(), "Layout");
    assert_eq!(
        rows[0],
        [
            "CURP",
            "RFC",
            "NOMBRE(S)",
            "PRIMER APELLIDO",
            "SEGUNDO APELLIDO",
            "FOLIO PRODUCTOR"
        ]
    );
    assert!(
        Curp::parse(&rows[1][0]).is_ok(),
        "example row has a valid CURP"
    );
    let instructions = sheets::read_sheet(bytes.clone(), "Instrucciones");
    assert!(instructions.len() > 6);
    // Notes and data validation are parts of the package the user sees in Excel.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(
        names.iter().any(|n| n.starts_with("xl/comments")),
        "{names:?}"
    );
    let mut sheet_xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet_xml,
    )
    .unwrap();
    assert!(sheet_xml.contains("<dataValidation type=\"textLength\""));

    // The template itself checks clean except that its example person may not be registered.
    let template = app
        .get(&paths::layouts::template(), &token)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let report = report_of(
        app.upload(
            &paths::layouts::validate(&Default::default()),
            &token,
            "layout_curp.xlsx",
            template,
        )
        .await,
    )
    .await;
    assert_eq!(report.totals.rows, 1);
    assert_eq!(report.totals.invalid_curp, 0);
}

/// A layout with one of each problem, laid out the way people do it.
fn messy_layout() -> (Vec<Vec<String>>, Vec<String>) {
    let population = Population::new(DEMO_SEED);
    let registered = population.person(7);
    let also_registered = population.person(8);
    let unknown = population.person(100_000);
    let mut bad_check = registered.curp.to_string();
    bad_check.replace_range(17.., if bad_check.ends_with('0') { "1" } else { "0" });
    let mut bad_date = also_registered.curp.to_string();
    bad_date.replace_range(6..8, "13");
    let mut bad_rfc = registered.rfc.to_string();
    let last = bad_rfc.pop().unwrap();
    bad_rfc.push(if last == 'A' { 'B' } else { 'A' });
    let layout = rows(&[
        &["Secretaría de Agricultura — solicitud de confronta"],
        &[],
        &["Nombre(s)", "", "  c u r p ", "RFC", "Apellido Paterno"],
        // row 4: fine
        &[
            &registered.given_names,
            "",
            registered.curp.as_str(),
            registered.rfc.as_str(),
            &registered.first_surname,
        ],
        // row 5: valid, not in the registry
        &["X", "", unknown.curp.as_str(), "", ""],
        &[],
        // row 7: check digit
        &["X", "", &bad_check, "", ""],
        // row 8: date
        &["X", "", &bad_date, "", ""],
        // row 9: repeat of row 4, in lower case with spaces
        &[
            "X",
            "",
            &format!("  {}  ", registered.curp.as_str().to_lowercase()),
            "",
            "",
        ],
        // row 10: data without CURP
        &["Solo nombre", "", "", "", ""],
        // row 11: registered, with an RFC whose check digit fails
        &["X", "", also_registered.curp.as_str(), &bad_rfc, ""],
    ]);
    (layout, vec![bad_check, bad_date])
}

fn assert_messy_report(report: &LayoutReport) {
    assert_eq!(report.header_row, 3);
    assert_eq!(
        report.columns,
        ["CURP", "RFC", "NOMBRE(S)", "PRIMER APELLIDO"]
    );
    let found: Vec<(u32, LayoutIssueKind, Option<&str>, Option<u32>)> = report
        .issues
        .iter()
        .map(|i| (i.row, i.kind, i.reason.as_deref(), i.duplicate_of))
        .collect();
    assert_eq!(
        found,
        [
            (5, LayoutIssueKind::NotInRegistry, None, None),
            (7, LayoutIssueKind::InvalidCurp, Some("check_digit"), None),
            (8, LayoutIssueKind::InvalidCurp, Some("date"), None),
            (9, LayoutIssueKind::Duplicate, None, Some(4)),
            (10, LayoutIssueKind::MissingCurp, None, None),
            (11, LayoutIssueKind::RfcWarning, Some("check_digit"), None),
        ]
    );
    assert!(report.issues.iter().all(|i| !i.message.is_empty()));
    let totals = &report.totals;
    assert_eq!(totals.rows, 7, "blank rows are not counted");
    assert_eq!(totals.rows_with_errors, 5);
    assert_eq!(totals.valid_rows, 2);
    assert_eq!(
        (
            totals.missing_curp,
            totals.invalid_curp,
            totals.duplicates,
            totals.not_in_registry,
            totals.rfc_warnings
        ),
        (1, 2, 1, 1, 1)
    );
    assert!(!report.issues_truncated);
    assert!(!report.is_clean());
}

async fn a_report_names_each_problem_on_the_row_excel_shows(app: TestApp) {
    let token = app.login(Role::Area).await.access_token;
    let (layout, _) = messy_layout();
    let response = app
        .upload(
            &paths::layouts::validate(&Default::default()),
            &token,
            "Layout Abril.XLSX",
            sheets::xlsx(&layout),
        )
        .await;
    let report = report_of(response).await;
    assert_eq!(report.file_name, "Layout Abril.XLSX");
    assert_messy_report(&report);
}

async fn csv_layouts_in_utf8_with_bom_and_latin1_give_the_same_report(app: TestApp) {
    let token = app.login(Role::Mesa).await.access_token;
    let (layout, _) = messy_layout();
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(sheets::csv(&layout));
    let report = report_of(
        app.upload(
            &paths::layouts::validate(&Default::default()),
            &token,
            "layout.csv",
            with_bom,
        )
        .await,
    )
    .await;
    assert_messy_report(&report);

    // Latin-1 with semicolons, as Excel saves "CSV (delimitado por comas)" on Spanish Windows.
    let text = String::from_utf8(sheets::csv(&layout))
        .unwrap()
        .replace("\",\"", "\";\"");
    let text = text.replace("Secretaría", "Secretaría Ñandú");
    let (latin1, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    assert!(std::str::from_utf8(&latin1).is_err(), "really Latin-1");
    let report = report_of(
        app.upload(
            &paths::layouts::validate(&Default::default()),
            &token,
            "layout.csv",
            latin1.into_owned(),
        )
        .await,
    )
    .await;
    assert_messy_report(&report);
}

async fn the_report_downloads_as_xlsx_with_every_issue(app: TestApp) {
    let token = app.login(Role::Area).await.access_token;
    let (layout, bad) = messy_layout();
    let response = app
        .upload(
            &paths::layouts::validate(&LayoutCheckParams {
                format: Some(ReportFormat::Xlsx),
            }),
            &token,
            "abril.xlsx",
            sheets::xlsx(&layout),
        )
        .await;
    let bytes = workbook(response, "reporte_abril.xlsx").await;
    let issues = sheets::read_sheet(bytes.clone(), "Observaciones");
    assert_eq!(issues[0][0], "Fila");
    let listed: Vec<(&str, &str)> = issues[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("5", "No está en el padrón"),
            ("7", "CURP no válida"),
            ("8", "CURP no válida"),
            ("9", "CURP repetida"),
            ("10", "Sin CURP"),
            ("11", "Advertencia de RFC"),
        ]
    );
    assert_eq!(issues[2][1], bad[0]);
    assert_eq!(issues[4][5], "4", "the repeat points at its first row");
    let summary = sheets::read_sheet(bytes, "Resumen");
    let value = |label: &str| {
        summary
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("{label} in summary"))
    };
    assert_eq!(value("Archivo"), "abril.xlsx");
    assert_eq!(value("Filas con datos"), "7");
    assert_eq!(value("Filas con errores"), "5");
}

async fn every_role_may_check_a_layout_but_anonymous_callers_may_not(app: TestApp) {
    let people = Population::new(DEMO_SEED);
    let layout = sheets::xlsx(&rows(&[
        &["CURP"],
        &[people.person(1).curp.as_str()],
        &[people.person(2).curp.as_str()],
    ]));
    for role in [Role::Area, Role::Mesa, Role::Subdireccion, Role::Admin] {
        let token = app.login(role).await.access_token;
        let response = app
            .upload(
                &paths::layouts::validate(&Default::default()),
                &token,
                "l.xlsx",
                layout.clone(),
            )
            .await;
        let report = report_of(response).await;
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(report.totals.rows, 2);
    }
    let anonymous = app
        .http
        .post(app.url(&paths::layouts::validate(&Default::default())))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(layout).file_name("l.xlsx"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    problem(anonymous).await;
}

/// Small files ask the registry per batch, large ones read its CURPs once, page by page: the
/// answers must not depend on the way.
async fn both_ways_of_asking_the_registry_give_the_same_answers(app: TestApp) {
    let population = Population::new(DEMO_SEED);
    // The demo registry holds people 0 to 299; 300 to 599 are not in it.
    let curps: Vec<Curp> = (0..600).rev().map(|i| population.person(i).curp).collect();
    let asked: Vec<&Curp> = curps.iter().collect();
    let expected: Vec<bool> = (0..600).rev().map(|i| i < 300).collect();
    let mut conn = app.state.pool.get().unwrap();

    let small_file = Membership::for_rows(&mut conn, 10).unwrap();
    assert!(matches!(small_file, Membership::Seek));
    let large_file = Membership::for_rows(&mut conn, 100_000).unwrap();
    assert!(matches!(&large_file, Membership::Loaded(keys) if keys.len() == 300));
    // Pages of 7 keys: 43 pages, the last one short.
    let paged = Membership::load(&mut conn, 7).unwrap();
    for membership in [small_file, large_file, paged] {
        assert_eq!(membership.present(&mut conn, &asked).unwrap(), expected);
    }
}
