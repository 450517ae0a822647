//! Hostile spreadsheets, made in code: each must be refused with a 4xx problem and a stable
//! code, quickly, and leave the server serving. (How long each takes in a release build is
//! printed by the benchmark; here a generous bound only catches a hang or a full decompression.)

use crate::support::Expect;
use confrontas_api::paths;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::sheets::{self, cell, rows};
use crate::support::{Db, TestApp, problem};
use confrontas_api::Role;

/// Far more than any refusal needs, far less than reading a bomb.
const NO_HANG: Duration = Duration::from_secs(10);

async fn refused(
    app: &TestApp,
    path: &str,
    token: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let started = Instant::now();
    let response = app.upload(path, token, file_name, bytes).await;
    let status = response.status().as_u16();
    let code = problem(response).await.code;
    assert!(
        started.elapsed() < NO_HANG,
        "{file_name}: {:?}",
        started.elapsed()
    );
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "server still up after {file_name}");
    (status, code)
}

fn zip_with(name: &str, content: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(content.len() > u32::MAX as usize);
    zip.start_file(name, options).unwrap();
    zip.write_all(content).unwrap();
    zip.finish().unwrap().into_inner()
}

/// Overwrites every uncompressed-size field declaring `from` bytes with `to` (local header and
/// central directory), the way a crafted bomb lies about its size.
fn falsify_declared_size(mut zip: Vec<u8>, from: u32, to: u32) -> Vec<u8> {
    let (from, to) = (from.to_le_bytes(), to.to_le_bytes());
    let mut found = 0;
    for i in 0..zip.len() - 4 {
        if zip[i..i + 4] == from {
            zip[i..i + 4].copy_from_slice(&to);
            found += 1;
        }
    }
    assert!(found >= 2, "both headers patched");
    zip
}

/// What a hostile file is, its name, its bytes, and the status and code it must get (with a
/// 4 MB and 1,000-row limit).
type Case = (&'static str, &'static str, Vec<u8>, u16, &'static str);

/// Limits small enough that the files below reach them.
fn small_limits(vars: &mut std::collections::HashMap<String, String>) {
    for kind in ["LAYOUT", "IMPORT"] {
        vars.insert(format!("CONFRONTAS_{kind}_MAX_MB"), "4".into());
        vars.insert(format!("CONFRONTAS_{kind}_MAX_ROWS"), "1000".into());
    }
}

fn hostile_files() -> Vec<Case> {
    let good = sheets::xlsx(&rows(&[&["CURP"], &["HEGG560427MVZRRL04"]]));

    let mut cases: Vec<Case> = vec![
        (
            "wrong extension",
            "layout.pdf",
            good.clone(),
            415,
            "unsupported_file_type",
        ),
        (
            "old Excel",
            "layout.xls",
            good.clone(),
            415,
            "unsupported_file_type",
        ),
        (
            "not a zip",
            "layout.xlsx",
            b"CURP\nHEGG560427MVZRRL04\n".to_vec(),
            422,
            "invalid_xlsx",
        ),
        (
            "truncated",
            "layout.xlsx",
            good[..good.len() / 2].to_vec(),
            422,
            "invalid_xlsx",
        ),
        (
            "a zip without a workbook",
            "layout.xlsx",
            zip_with("hola.txt", b"hola"),
            422,
            "invalid_xlsx",
        ),
        (
            "binary as csv",
            "layout.csv",
            good.clone(),
            422,
            "invalid_csv",
        ),
        ("empty", "layout.xlsx", Vec::new(), 422, "empty_file"),
    ];

    // A zip bomb: 64 MiB of spaces in the sheet compress about a thousand times.
    let mut bomb_sheet = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#.to_vec();
    bomb_sheet.resize(bomb_sheet.len() + (64 << 20), b' ');
    bomb_sheet.extend_from_slice(b"</sheetData></worksheet>");
    let bomb = sheets::package(&bomb_sheet, b"<sst/>");
    assert!(bomb.len() < 1 << 20);
    cases.push(("zip bomb", "bomb.xlsx", bomb, 422, "xlsx_limits_exceeded"));

    // The same trick with a small, honest-looking ratio but a declared size that lies: 8 MiB
    // of text declared as 1,000 bytes is cut off by the decompressor.
    let spaces = vec![b'a'; 8 << 20];
    let lying = falsify_declared_size(zip_with("xl/worksheets/sheet1.xml", &spaces), 8 << 20, 1000);
    cases.push((
        "declared size falsified",
        "lie.xlsx",
        lying,
        422,
        "invalid_xlsx",
    ));

    // Sparse sheets: one far cell makes calamine's worksheet_range allocate terabytes.
    let far_corner = sheets::sheet(&format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        cell("A1", "CURP"),
        cell("XFD1048576", "x")
    ));
    cases.push((
        "far corner cell",
        "sparse.xlsx",
        far_corner,
        422,
        "too_many_columns",
    ));
    let far_row = sheets::sheet(&format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        cell("A1", "CURP"),
        cell("A1048576", "HEGG560427MVZRRL04")
    ));
    cases.push(("far row", "tall.xlsx", far_row, 422, "too_many_rows"));

    // One 1 MiB shared string referenced by 12,000 cells.
    let huge = "A".repeat(1 << 20);
    let shared = format!(r#"<sst count="12000" uniqueCount="1"><si><t>{huge}</t></si></sst>"#);
    let mut referencing = String::from(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for r in 1..=12_000 {
        referencing.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#
        ));
    }
    referencing.push_str("</sheetData></worksheet>");
    let shared_bomb = sheets::package(referencing.as_bytes(), shared.as_bytes());
    cases.push((
        "huge shared string",
        "shared.xlsx",
        shared_bomb,
        422,
        "xlsx_limits_exceeded",
    ));

    // Entity expansion and external entities.
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"#;
    cases.push((
        "billion laughs",
        "lol.xlsx",
        sheets::package(laughs.as_bytes(), b"<sst/>"),
        422,
        "invalid_xlsx",
    ));
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><sst><si><t>&xxe;</t></si></sst>"#;
    cases.push((
        "external entity",
        "xxe.xlsx",
        sheets::package(b"<worksheet/>", xxe.as_bytes()),
        422,
        "invalid_xlsx",
    ));

    // Limits of the layout itself: 1,001 rows (limit 1,000), a cell in column 150, a cell
    // longer than Excel allows, a file over 4 MB.
    let mut tall = vec![vec!["CURP".to_owned()]];
    tall.extend((0..1001).map(|_| vec!["HEGG560427MVZRRL04".to_owned()]));
    cases.push((
        "too many rows",
        "tall.xlsx",
        sheets::xlsx(&tall),
        422,
        "too_many_rows",
    ));
    let mut wide_row = vec![String::new(); 150];
    wide_row[0] = "CURP".into();
    wide_row[149] = "nota".into();
    cases.push((
        "too many columns",
        "wide.xlsx",
        sheets::xlsx(&[wide_row.clone()]),
        422,
        "too_many_columns",
    ));
    cases.push((
        "too many columns (csv)",
        "wide.csv",
        sheets::csv(&[wide_row]),
        422,
        "too_many_columns",
    ));
    let long_cell = sheets::sheet(&format!(
        r#"<row r="1">{}</row><row r="2">{}</row>"#,
        cell("A1", "CURP"),
        cell("A2", &"B".repeat(40_000))
    ));
    cases.push((
        "cell longer than Excel allows",
        "long.xlsx",
        long_cell,
        422,
        "cell_too_long",
    ));
    let long_csv = format!("CURP\n\"{}\n", "C".repeat(2 << 20)).into_bytes();
    cases.push((
        "unterminated quote in csv",
        "open.csv",
        long_csv,
        422,
        "invalid_csv",
    ));
    let big: Vec<u8> = (0..(5u32 << 20)).map(|i| (i % 251) as u8).collect();
    cases.push(("over the size cap", "big.xlsx", big, 413, "file_too_large"));

    // Headers and content problems of a well-formed file.
    cases.push((
        "no CURP header",
        "h.xlsx",
        sheets::xlsx(&rows(&[&["NOMBRE"], &["Ana"]])),
        422,
        "header_not_found",
    ));
    cases.push((
        "header twice",
        "h.xlsx",
        sheets::xlsx(&rows(&[&["CURP", "curp"], &["A", "B"]])),
        422,
        "duplicate_column",
    ));
    cases.push((
        "headers only",
        "h.xlsx",
        sheets::xlsx(&rows(&[&["CURP"]])),
        422,
        "no_data_rows",
    ));

    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_get_a_stable_4xx_and_the_server_stays_up() {
    let app = TestApp::start_with(Db::Sqlite, small_limits).await.unwrap();
    let token = app.login(Role::Area).await.access_token;
    let validate = paths::layouts::validate(&Default::default());
    for (what, file_name, bytes, status, code) in hostile_files() {
        let (got_status, got_code) = refused(&app, &validate, &token, file_name, bytes).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{what}");
    }

    // A body that is not multipart, and a form without the file.
    let not_multipart = app
        .send_json(
            reqwest::Method::POST,
            &paths::layouts::validate(&Default::default()),
            &token,
            serde_json::json!({}),
        )
        .await;
    not_multipart.expect_problem(400, "invalid_multipart").await;
    let other_field = app
        .http
        .post(app.url(&paths::layouts::validate(&Default::default())))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().text("nota", "hola"))
        .send()
        .await
        .unwrap();
    other_field.expect_problem(400, "unexpected_field").await;

    // Nothing was left behind in the uploads directory.
    let leftovers: Vec<_> = std::fs::read_dir(app.state.uploads_dir())
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A registry import reads its file in the background, but a hostile file is refused before it
/// is accepted: the same 4xx as a layout check, and no import is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_registry_import_is_refused_before_it_is_accepted() {
    let app = TestApp::start_with(Db::Sqlite, small_limits).await.unwrap();
    let token = app.login(Role::Subdireccion).await.access_token;
    let start = paths::registry::start_import();
    for (what, file_name, bytes, status, code) in hostile_files() {
        let (got_status, got_code) = refused(&app, &start, &token, file_name, bytes).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{what}");
    }
    let imports: confrontas_api::Page<confrontas_api::RegistryImport> = app
        .get_ok(&paths::registry::imports(&Default::default()), &token)
        .await;
    assert_eq!(imports.total, 0, "no import was accepted");
    let leftovers: Vec<_> = std::fs::read_dir(app.state.uploads_dir())
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
