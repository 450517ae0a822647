//! Registry imports (upsert by CURP with history and refused rows), the refused-rows report,
//! and the export. The demo registry holds the first 300 people of the demo population.

use crate::support::Expect;
use confrontas_api::paths;
use confrontas_api::{FarmerExportFilter, FarmerFilter, PageParams};
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use crate::support::sheets::{self, rows};
use crate::support::{TestApp, problem, workbook};
use confrontas_api::{
    ChangeSource, Farmer, FarmerChange, ImportRejection, ImportStatus, Page, RegistryImport, Role,
};
use confrontas_server::population::{DEMO_SEED, Population};
use diesel::prelude::*;
use serde_json::json;

on_both_backends!(
    an_import_upserts_by_curp_with_history_and_reports_each_refused_row,
    a_csv_import_of_thousands_of_rows_reports_progress_and_counts,
    a_file_broken_midway_keeps_the_batches_applied_and_says_where_it_stopped,
    the_export_has_the_searched_farmers_as_text_cells,
    only_registry_staff_may_import_or_export,
    imports_cut_short_by_a_stop_are_marked_failed_at_the_next_start,
);

pub(crate) async fn start(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> RegistryImport {
    let response = app
        .upload(&paths::registry::start_import(), token, name, bytes)
        .await;
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let queued: RegistryImport = response.expect_json(202).await;
    let location = location.expect("the queued import's address");
    assert_eq!(location, paths::registry::import(queued.id));
    queued
}

pub(crate) async fn wait_done(
    app: &TestApp,
    token: &str,
    id: i64,
) -> (RegistryImport, Vec<RegistryImport>) {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let import: RegistryImport = app.get_ok(&paths::registry::import(id), token).await;
        seen.push(import.clone());
        if import.status.is_done() {
            return (import, seen);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "import {id} never ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn farmer(app: &TestApp, token: &str, curp: &str) -> Farmer {
    let response = app.get(&paths::registry::farmer(curp), token).await;
    response.expect_json(200).await
}

async fn an_import_upserts_by_curp_with_history_and_reports_each_refused_row(app: TestApp) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let people = Population::new(DEMO_SEED);
    let newcomer = people.person(5_000);
    let moved = people.person(3);
    let same = people.person(4);
    let nameless = people.person(5_001);
    let before_moved = farmer(&app, &token, moved.curp.as_str()).await;
    let file = sheets::xlsx(&rows(&[
        &["Padrón de productores — carga de noviembre"],
        &[
            "curp",
            "Nombre(s)",
            "Apellido Paterno",
            "Apellido Materno",
            "RFC",
            "Entidad",
            "Municipio",
            "Folio productor",
            "Estatus",
        ],
        // 3: new farmer, with a formula-looking name that must stay text
        &[
            newcomer.curp.as_str(),
            "=HYPERLINK(\"http://x\",\"y\")",
            &newcomer.first_surname,
            "",
            newcomer.rfc.as_str(),
            "Jalisco",
            "Zapopan",
            "PB-NUEVO-1",
            "activo",
        ],
        // 4: existing farmer moves: state by name (no accent), new municipality
        &[
            moved.curp.as_str(),
            "",
            "",
            "",
            "",
            "yucatan",
            "Mérida",
            "",
            "",
        ],
        // 5: existing farmer, nothing new
        &[same.curp.as_str(), "", "", "", "", "", "", "", ""],
        &[],
        // 7..13: refused rows
        &["HEGG560427MVZRRL05", "Ana", "Pérez", "", "", "", "", "", ""],
        &[
            newcomer.curp.as_str(),
            "Otra",
            "Vez",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[nameless.curp.as_str(), "", "", "", "", "", "", "", ""],
        &[
            same.curp.as_str().to_lowercase().as_str(),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            people.person(10).curp.as_str(),
            "",
            "",
            "",
            "",
            "Atlántida",
            "",
            "",
            "",
        ],
        &[
            people.person(11).curp.as_str(),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "Baja por defunción",
        ],
        &[
            people.person(12).curp.as_str(),
            "",
            "",
            "",
            "RFC-MALO",
            "",
            "",
            "",
            "",
        ],
    ]));
    let queued = start(&app, &token, "noviembre.xlsx", file.clone()).await;
    assert!(matches!(
        queued.status,
        ImportStatus::Queued | ImportStatus::Running | ImportStatus::Finished
    ));
    let (done, _) = wait_done(&app, &token, queued.id).await;
    assert_eq!(done.status, ImportStatus::Finished, "{done:?}");
    assert_eq!(
        (
            done.rows_read,
            done.inserted,
            done.updated,
            done.unchanged,
            done.rejected,
            done.percent
        ),
        (10, 1, 1, 1, 7, 100)
    );
    assert!(done.started_at.is_some() && done.finished_at.is_some());

    let refused: Page<ImportRejection> = app
        .get_ok(
            &paths::registry::rejections(done.id, &PageParams::default()),
            &token,
        )
        .await;
    let reasons: Vec<(i64, &str)> = refused
        .items
        .iter()
        .map(|r| (r.row, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (7, "invalid_curp"),
            (8, "duplicate"),
            (9, "missing_name"),
            (10, "duplicate"),
            (11, "invalid_state"),
            (12, "status_deceased"),
            (13, "invalid_rfc"),
        ]
    );
    assert!(
        refused.items[1].message.contains("fila 3"),
        "{:?}",
        refused.items[1]
    );

    let added = farmer(&app, &token, newcomer.curp.as_str()).await;
    assert_eq!(added.given_names, "=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(
        added.birth_date, newcomer.birth_date,
        "birth data come from the CURP"
    );
    assert_eq!(added.state.as_deref(), Some("JC"));
    assert_eq!(added.municipality.as_deref(), Some("Zapopan"));
    assert_eq!(added.second_surname, None);
    // Its creation is one history entry holding the initial record, without the empty fields.
    let creation: Page<FarmerChange> = app
        .get_ok(
            &paths::registry::history(&newcomer.curp, &PageParams::default()),
            &token,
        )
        .await;
    let [created] = creation.items.as_slice() else {
        panic!("one creation entry expected: {creation:?}");
    };
    assert_eq!(
        (
            created.field.as_str(),
            created.source,
            created.before.as_deref()
        ),
        ("created", ChangeSource::Import, None)
    );
    assert_eq!(
        created.source_ref.as_deref(),
        Some(format!("import:{}", done.id).as_str())
    );
    let record: serde_json::Value =
        serde_json::from_str(created.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        record,
        json!({
            "curp": newcomer.curp.as_str(),
            "rfc": newcomer.rfc.as_str(),
            "given_names": "=HYPERLINK(\"http://x\",\"y\")",
            "first_surname": newcomer.first_surname,
            "birth_date": newcomer.birth_date.to_string(),
            "sex": newcomer.sex.letter().to_string(),
            "birth_state": newcomer.birth_state,
            "state": "JC",
            "municipality": "Zapopan",
            "producer_folio": "PB-NUEVO-1",
            "status": "active",
        })
    );

    let after_moved = farmer(&app, &token, moved.curp.as_str()).await;
    assert_eq!(after_moved.state.as_deref(), Some("YN"));
    assert_eq!(after_moved.municipality.as_deref(), Some("Mérida"));
    assert_eq!(after_moved.version, before_moved.version + 1);
    assert_eq!(
        after_moved.producer_folio, before_moved.producer_folio,
        "blank cells erase nothing"
    );
    let history: Page<FarmerChange> = app
        .get_ok(
            &paths::registry::history(&moved.curp, &PageParams::default()),
            &token,
        )
        .await;
    let imported: Vec<(&str, Option<&str>, Option<&str>)> = history
        .items
        .iter()
        .filter(|c| c.source == ChangeSource::Import)
        .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(imported.len(), 2);
    assert!(imported.contains(&("municipality", None, Some("Mérida"))));
    assert!(imported.contains(&("state", before_moved.state.as_deref(), Some("YN"))));
    let source = format!("import:{}", done.id);
    assert!(
        history
            .items
            .iter()
            .filter(|c| c.source == ChangeSource::Import)
            .all(|c| c.source_ref.as_deref() == Some(source.as_str()))
    );

    // The refused rows as a workbook.
    let response = app
        .get(&paths::registry::rejections_xlsx(done.id), &token)
        .await;
    assert_eq!(response.status(), 200);
    let refused_rows =
        sheets::read_sheet(response.bytes().await.unwrap().to_vec(), "Filas rechazadas");
    assert_eq!(refused_rows.len(), 8);
    assert_eq!(
        refused_rows[1][..3],
        ["7", "HEGG560427MVZRRL05", "invalid_curp"]
    );

    // The same file again changes nothing: upserts are idempotent.
    let again = start(&app, &token, "noviembre.xlsx", file).await;
    let (again, _) = wait_done(&app, &token, again.id).await;
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(
        farmer(&app, &token, moved.curp.as_str()).await.version,
        after_moved.version
    );

    let list: Page<RegistryImport> = app
        .get_ok(&paths::registry::imports(&Default::default()), &token)
        .await;
    assert_eq!(
        list.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        [again.id, done.id]
    );
}

async fn a_csv_import_of_thousands_of_rows_reports_progress_and_counts(app: TestApp) {
    let token = app.login(Role::Admin).await.access_token;
    let people = Population::new(DEMO_SEED);
    let mut table = vec![vec![
        "CURP".to_owned(),
        "NOMBRE(S)".into(),
        "PRIMER APELLIDO".into(),
        "SEGUNDO APELLIDO".into(),
        "RFC".into(),
    ]];
    // 200 already registered (unchanged) and 4,800 new.
    for person in people.people(5_000) {
        table.push(vec![
            person.curp.to_string(),
            person.given_names.clone(),
            person.first_surname.clone(),
            person.second_surname.clone().unwrap_or_default(),
            if person.index < 300 {
                String::new()
            } else {
                person.rfc.to_string()
            },
        ]);
    }
    table.drain(201..301);
    let queued = start(&app, &token, "padron.csv", sheets::csv(&table)).await;
    let (done, seen) = wait_done(&app, &token, queued.id).await;
    assert_eq!(done.status, ImportStatus::Finished, "{done:?}");
    assert_eq!(
        (done.rows_read, done.inserted, done.unchanged, done.rejected),
        (4_900, 4_700, 200, 0)
    );
    // Every observation is consistent: counts only grow and add up to the rows read.
    for pair in seen.windows(2) {
        assert!(pair[1].rows_read >= pair[0].rows_read && pair[1].percent >= pair[0].percent);
    }
    for observed in &seen {
        assert_eq!(
            observed.rows_read,
            observed.inserted + observed.updated + observed.unchanged + observed.rejected
        );
    }
    let all: Page<Farmer> = app
        .get_ok(
            &paths::registry::farmers(&FarmerFilter {
                per_page: Some(1),
                ..Default::default()
            }),
            &token,
        )
        .await;
    assert_eq!(all.total, 300 + 4_700);
}

async fn a_file_broken_midway_keeps_the_batches_applied_and_says_where_it_stopped(app: TestApp) {
    use confrontas_server::registry::imports::writer::BATCH_ROWS;
    let token = app.login(Role::Subdireccion).await.access_token;
    let people = Population::new(DEMO_SEED);
    // One full batch of new farmers, then a row whose cell is longer than Excel allows.
    let mut table = vec![vec![
        "CURP".to_owned(),
        "NOMBRE(S)".into(),
        "PRIMER APELLIDO".into(),
    ]];
    for index in 300..300 + BATCH_ROWS as u64 {
        let person = people.person(index);
        table.push(vec![
            person.curp.to_string(),
            person.given_names,
            person.first_surname,
        ]);
    }
    table.push(vec!["X".repeat(40_000), String::new(), String::new()]);
    let queued = start(&app, &token, "cortado.csv", sheets::csv(&table)).await;
    let (done, _) = wait_done(&app, &token, queued.id).await;
    assert_eq!(done.status, ImportStatus::Failed, "{done:?}");
    assert_eq!(
        (done.rows_read, done.inserted),
        (BATCH_ROWS as i64, BATCH_ROWS as i64)
    );
    assert!(done.percent > 0 && done.percent < 100, "{}", done.percent);
    let failure = done.failure.unwrap();
    assert!(
        failure.contains(&format!("fila {}", BATCH_ROWS + 2)),
        "{failure}"
    );
    // The applied batch is really there.
    let all: Page<Farmer> = app
        .get_ok(
            &paths::registry::farmers(&FarmerFilter {
                per_page: Some(1),
                ..Default::default()
            }),
            &token,
        )
        .await;
    assert_eq!(all.total, 300 + BATCH_ROWS as u64);
}

async fn the_export_has_the_searched_farmers_as_text_cells(app: TestApp) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let people = Population::new(DEMO_SEED);
    let newcomer = people.person(7_000);
    let file = sheets::csv(&rows(&[
        &["CURP", "NOMBRE(S)", "PRIMER APELLIDO", "ENTIDAD"],
        &[newcomer.curp.as_str(), "@SUM(1+1)", "=1+2", "ZS"],
    ]));
    let queued = start(&app, &token, "uno.csv", file).await;
    wait_done(&app, &token, queued.id).await;

    let expected: Page<Farmer> = app
        .get_ok(
            &paths::registry::farmers(&FarmerFilter {
                state: Some("ZS".into()),
                per_page: Some(200),
                ..Default::default()
            }),
            &token,
        )
        .await;
    assert!(expected.total > 1);
    let response = app
        .get(
            &paths::registry::export(&FarmerExportFilter {
                state: Some("ZS".into()),
                ..Default::default()
            }),
            &token,
        )
        .await;
    let bytes = workbook(response, "padron_").await;
    let sheet = sheets::read_sheet(bytes.clone(), "Padrón");
    let mut curps: Vec<String> = sheet.iter().skip(1).map(|r| r[0].clone()).collect();
    let mut wanted: Vec<String> = expected.items.iter().map(|f| f.curp.clone()).collect();
    curps.sort();
    wanted.sort();
    assert_eq!(curps, wanted);
    let row = sheet
        .iter()
        .find(|r| r[0] == newcomer.curp.as_str())
        .unwrap();
    assert_eq!(row[2], "@SUM(1+1)");
    assert_eq!(row[3], "=1+2");
    // No formulas anywhere in the sheet: values are text cells.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        !xml.contains("<f>") && !xml.contains("<f "),
        "formula cell in export"
    );

    let bad = app
        .get(
            &paths::registry::export(&FarmerExportFilter {
                curp: Some("A*B".into()),
                ..Default::default()
            }),
            &token,
        )
        .await;
    assert_eq!(bad.status(), 422);
    problem(bad).await;
}

async fn only_registry_staff_may_import_or_export(app: TestApp) {
    let file = sheets::csv(&rows(&[&["CURP"], &["HEGG560427MVZRRL04"]]));
    for role in [Role::Area, Role::Mesa] {
        let token = app.login(role).await.access_token;
        let response = app
            .upload(
                &paths::registry::start_import(),
                &token,
                "a.csv",
                file.clone(),
            )
            .await;
        response.expect_problem(403, "forbidden").await;
        for path in [
            &paths::registry::export(&Default::default()),
            &paths::registry::start_import(),
        ] {
            assert_eq!(app.get(path, &token).await.status(), 403, "{role:?} {path}");
        }
    }
    let anonymous = app
        .http
        .get(app.url(&paths::registry::imports(&Default::default())))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let token = app.login(Role::Admin).await.access_token;
    assert_eq!(
        app.get(&paths::registry::import(999_999), &token)
            .await
            .status(),
        404
    );
}

async fn imports_cut_short_by_a_stop_are_marked_failed_at_the_next_start(app: TestApp) {
    use confrontas_server::schema::registry_imports;
    let dir = app.state.uploads_dir();
    let mut conn = app.state.pool.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    let insert = |conn: &mut confrontas_server::db::AnyConnection, file_name: &str| {
        diesel::insert_into(registry_imports::table)
            .values((
                registry_imports::file_name.eq(file_name),
                registry_imports::file_size.eq(10i64),
                registry_imports::format.eq("csv"),
                registry_imports::status.eq("running"),
                registry_imports::percent.eq(40),
                registry_imports::rows_read.eq(0i64),
                registry_imports::inserted.eq(0i64),
                registry_imports::updated.eq(0i64),
                registry_imports::unchanged.eq(0i64),
                registry_imports::rejected.eq(0i64),
                registry_imports::created_by.eq("user:1"),
                registry_imports::created_at.eq(now),
            ))
            .execute(conn)
            .unwrap();
        registry_imports::table
            .select(diesel::dsl::max(registry_imports::id))
            .first::<Option<i64>>(conn)
            .unwrap()
            .unwrap()
    };
    let ours = insert(&mut conn, "ours.csv");
    std::fs::write(dir.join(format!("import-{ours}.csv")), "CURP\n").unwrap();
    let elsewhere = insert(&mut conn, "other-instance.csv");
    let failed =
        confrontas_server::registry::imports::queue::fail_interrupted(&mut conn, &dir).unwrap();
    assert_eq!(failed, 1);
    let token = app.login(Role::Admin).await.access_token;
    let ours: RegistryImport = app.get_ok(&paths::registry::import(ours), &token).await;
    assert_eq!(ours.status, ImportStatus::Failed);
    assert!(ours.failure.unwrap().contains("se detuvo"));
    let other: RegistryImport = app
        .get_ok(&paths::registry::import(elsewhere), &token)
        .await;
    assert_eq!(
        other.status,
        ImportStatus::Running,
        "another instance's import is left alone"
    );
    assert!(!dir.join(format!("import-{}.csv", ours.id)).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_import_keeps_its_first_refused_rows_and_counts_the_rest() {
    an_import_keeps_its_first_refused_rows_and_counts_the_rest(crate::support::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_import_keeps_its_first_refused_rows_and_counts_the_rest() {
    an_import_keeps_its_first_refused_rows_and_counts_the_rest(crate::support::Db::Postgres).await;
}

/// A file of bad rows cannot grow the database without bound: the first rows refused are kept
/// with their reasons, the rest counted.
async fn an_import_keeps_its_first_refused_rows_and_counts_the_rest(db: crate::support::Db) {
    let Some(app) = TestApp::start_with(db, |vars| {
        vars.insert("CONFRONTAS_IMPORT_REJECTIONS_KEPT".into(), "10".into());
    })
    .await
    else {
        return;
    };
    let token = app.login(Role::Subdireccion).await.access_token;
    let mut table = vec![vec!["CURP".to_owned(), "NOMBRE(S)".to_owned()]];
    // 30 CURPs that are not CURPs, then one good existing farmer.
    table.extend((0..30).map(|n| vec![format!("NOESCURP{n:02}"), "Ana".to_owned()]));
    let known = Population::new(DEMO_SEED).person(0);
    table.push(vec![known.curp.to_string(), String::new()]);
    let queued = start(&app, &token, "malas.csv", sheets::csv(&table)).await;
    let (done, _) = wait_done(&app, &token, queued.id).await;
    assert_eq!(done.status, ImportStatus::Finished);
    assert_eq!((done.rejected, done.rejected_listed), (30, 10));
    assert_eq!(done.unchanged, 1, "the rows after the cap are still read");

    let listed: Page<ImportRejection> = app
        .get_ok(
            &paths::registry::rejections(done.id, &PageParams::default()),
            &token,
        )
        .await;
    assert_eq!(listed.total, 10);
    let rows: Vec<i64> = listed.items.iter().map(|r| r.row).collect();
    assert_eq!(
        rows,
        (2..=11).collect::<Vec<_>>(),
        "the first ones, in order"
    );

    let response = app
        .get(&paths::registry::rejections_xlsx(done.id), &token)
        .await;
    let sheet = sheets::read_sheet(response.bytes().await.unwrap().to_vec(), "Filas rechazadas");
    assert_eq!(sheet.len(), 12, "header, 10 rows and a note");
    assert!(
        sheet[11][0].starts_with("Se guardaron las primeras 10 de 30 filas rechazadas"),
        "{:?}",
        sheet[11]
    );
    app.stop().await;
}
