//! Spreadsheet benchmark (issue 3): registry import and layout validation at scale, against
//! calamine's bare streaming read of the same files, plus how fast hostile files are refused.
//!
//! Run with `scripts/bench` (or `cargo bench -p confrontas-server --bench uploads`). Files are
//! generated from the demo population into `target/bench-data/` on the first run. Each measured
//! phase runs in a child process, so its peak RSS (VmHWM) is its own.
//!
//! Targets: 1M-row layout validated in ≤ 15 s with peak RSS ≤ 300 MB; validation ≤ 1.5× the
//! bare read; registry import ≥ 50,000 rows/s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use calamine::{Reader, Xlsx};
use confrontas_server::audit::Actor;
use confrontas_server::db;
use confrontas_server::layouts::{FirstIssues, check_layout};
use confrontas_server::population::{DEMO_SEED, Population};
use confrontas_server::registry::imports::queue::record_import;
use confrontas_server::registry::imports::writer::{ImportLimits, run_import};
use confrontas_server::uploads::{SheetFormat, UploadLimits};
use rust_xlsxwriter::Workbook;

/// The test suite's spreadsheet builders (well-formed and hand-made packages).
#[allow(dead_code)]
#[path = "../tests/it/support/sheets.rs"]
mod sheets;

/// `CONFRONTAS_BENCH_REGISTRY_ROWS` makes a smaller registry for quick experiments.
fn registry_rows() -> u64 {
    std::env::var("CONFRONTAS_BENCH_REGISTRY_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}
const LAYOUT_SIZES: [u64; 2] = [100_000, 1_000_000];
/// Bump when the generated files change, so stale ones are rebuilt.
const DATA_VERSION: &str = "1";

const LIMITS: UploadLimits = UploadLimits {
    max_bytes: 1 << 30,
    max_rows: 1_048_575,
};

mod support;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("phase") => phase(&args[1..]),
        _ => run_all(),
    }
}

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-data")
        .join(format!("v{DATA_VERSION}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_all() {
    let dir = data_dir();
    println!("Spreadsheet benchmark — data in {}", dir.display());
    let registry_rows = registry_rows();
    let registry = dir.join(format!("registry_{registry_rows}.xlsx"));
    generate(&registry, "registry", registry_rows);
    let layouts: Vec<(u64, PathBuf)> = LAYOUT_SIZES
        .iter()
        .map(|&rows| {
            let path = dir.join(format!("layout_{rows}.xlsx"));
            generate(&path, "layout", rows);
            (rows, path)
        })
        .collect();

    let work = tempfile::tempdir_in(&dir).unwrap();
    let database = work.path().join("bench.sqlite");
    println!("\n== Registry import ({registry_rows} farmers, .xlsx, fresh SQLite file) ==");
    let import = child(&["import", path_str(&database), path_str(&registry)]);
    let import_secs = import.seconds;
    println!(
        "import: {:.1} s, {:.0} rows/s, peak RSS {} MB  (target ≥ 50,000 rows/s)",
        import_secs,
        registry_rows as f64 / import_secs,
        import.peak_mb
    );
    let reimport = child(&["import", path_str(&database), path_str(&registry)]);
    println!(
        "re-import of the same file (all unchanged): {:.1} s, {:.0} rows/s, peak RSS {} MB",
        reimport.seconds,
        registry_rows as f64 / reimport.seconds,
        reimport.peak_mb
    );

    if let Ok(admin_url) = std::env::var("CONFRONTAS_BENCH_PG_URL") {
        let url = support::fresh_postgres_database(&admin_url, "confrontas_bench");
        let import = child(&["import", &url, path_str(&registry)]);
        println!(
            "import into PostgreSQL: {:.1} s, {:.0} rows/s, peak RSS {} MB (client side)",
            import.seconds,
            registry_rows as f64 / import.seconds,
            import.peak_mb
        );
    }

    if std::env::var_os("CONFRONTAS_BENCH_IMPORT_ONLY").is_some() {
        return;
    }
    for (rows, path) in &layouts {
        println!("\n== Layout of {rows} rows ({} MB) ==", file_mb(path));
        let bare = child(&["bare", path_str(path)]);
        println!(
            "bare calamine streaming read: {:.2} s, {:.0} rows/s, peak RSS {} MB",
            bare.seconds,
            *rows as f64 / bare.seconds,
            bare.peak_mb
        );
        let validation = child(&["validate", path_str(&database), path_str(path)]);
        println!(
            "validation (against the {registry_rows}-farmer registry): {:.2} s, {:.0} rows/s, peak RSS {} MB, {:.2}× the bare read",
            validation.seconds,
            *rows as f64 / validation.seconds,
            validation.peak_mb,
            validation.seconds / bare.seconds
        );
        if *rows == 1_000_000 {
            println!(
                "targets: ≤ 15 s → {}; ≤ 300 MB → {}; ≤ 1.5× bare read → {}",
                verdict(validation.seconds <= 15.0),
                verdict(validation.peak_mb <= 300),
                verdict(validation.seconds / bare.seconds <= 1.5)
            );
        }
    }

    println!("\n== Hostile files (refusal time, peak RSS of the refusing process) ==");
    for (name, file) in hostile_files(work.path()) {
        let refusal = child(&["refuse", path_str(&file)]);
        println!(
            "{name:<30} {:>8.2} ms  {:>4} MB  {}",
            refusal.seconds * 1000.0,
            refusal.peak_mb,
            refusal.detail
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn file_mb(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len() >> 20
}

/// What a child phase reports on its last line: `seconds peak_mb detail…`.
struct Measured {
    seconds: f64,
    peak_mb: u64,
    detail: String,
}

fn child(args: &[&str]) -> Measured {
    let output = Command::new(std::env::current_exe().unwrap())
        .arg("phase")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "phase {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    let mut parts = last.splitn(3, ' ');
    Measured {
        seconds: parts.next().unwrap().parse().unwrap(),
        peak_mb: parts.next().unwrap().parse().unwrap(),
        detail: parts.next().unwrap_or_default().to_owned(),
    }
}

fn phase(args: &[String]) {
    let started = Instant::now();
    let detail = match args[0].as_str() {
        "import" => {
            let pool = db::connect(&args[1], 4, std::time::Duration::from_secs(10)).unwrap();
            let mut conn = pool.get().unwrap();
            db::migrate(&mut conn).unwrap();
            let actor = Actor::system(None);
            let path = Path::new(&args[2]);
            let size = std::fs::metadata(path).unwrap().len();
            let id =
                record_import(&mut conn, "registry.xlsx", size, SheetFormat::Xlsx, &actor).unwrap();
            drop(conn);
            let started = Instant::now();
            let limits = ImportLimits {
                file: LIMITS,
                rejections_kept: 10_000,
            };
            run_import(&pool, id, path, SheetFormat::Xlsx, limits, &actor).unwrap();
            // Only the import itself is timed, not opening and migrating the database.
            println!(
                "{} {} import {id}",
                started.elapsed().as_secs_f64(),
                support::peak_rss_mb()
            );
            return;
        }
        "bare" => {
            let file = std::io::BufReader::new(std::fs::File::open(&args[1]).unwrap());
            let mut workbook: Xlsx<_> = Xlsx::new(file).unwrap();
            let name = workbook.sheet_names()[0].clone();
            let mut cells = workbook.worksheet_cells_reader(&name).unwrap();
            let mut count = 0u64;
            while let Some(cell) = cells.next_cell().unwrap() {
                if !matches!(cell.get_value(), calamine::DataRef::Empty) {
                    count += 1;
                }
            }
            format!("{count} cells")
        }
        "validate" => {
            let pool = db::connect(&args[1], 4, std::time::Duration::from_secs(10)).unwrap();
            let mut issues = FirstIssues::default();
            let check = check_layout(
                Path::new(&args[2]),
                SheetFormat::Xlsx,
                LIMITS,
                &pool,
                &mut issues,
            )
            .unwrap();
            format!("{:?}", check.totals)
        }
        "refuse" => {
            let path = Path::new(&args[1]);
            let format = SheetFormat::from_file_name(&args[1]).unwrap();
            let limits = UploadLimits {
                max_bytes: 64 << 20,
                max_rows: 1_000_000,
            };
            match confrontas_server::uploads::read_rows(path, format, limits, |_| Ok(())) {
                Ok(()) => "ACCEPTED (should have been refused)".to_owned(),
                Err(e) => e.code.to_owned(),
            }
        }
        other => panic!("unknown phase {other}"),
    };
    println!(
        "{} {} {detail}",
        started.elapsed().as_secs_f64(),
        support::peak_rss_mb()
    );
}

/// Writes `rows` people of the demo population as a registry file or a layout, unless a file
/// from this data version is already there. One layout row in 100 has a corrupted check digit
/// and one in 1,000 repeats an earlier CURP, so the report path is exercised too.
fn generate(path: &Path, kind: &str, rows: u64) {
    if path.exists() {
        return;
    }
    let started = Instant::now();
    let population = Population::new(DEMO_SEED);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().unwrap();
    let headers: &[&str] = if kind == "registry" {
        &[
            "CURP",
            "NOMBRE(S)",
            "PRIMER APELLIDO",
            "SEGUNDO APELLIDO",
            "RFC",
            "ENTIDAD",
            "FOLIO PRODUCTOR",
        ]
    } else {
        &[
            "CURP",
            "RFC",
            "NOMBRE(S)",
            "PRIMER APELLIDO",
            "SEGUNDO APELLIDO",
        ]
    };
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    for person in population.people(rows) {
        let row = person.index as u32 + 1;
        let mut curp = person.curp.to_string();
        let second = person.second_surname.clone().unwrap_or_default();
        let values: Vec<String> = if kind == "registry" {
            let state = if person.birth_state == "NE" {
                "DF"
            } else {
                person.birth_state
            };
            vec![
                curp,
                person.given_names.clone(),
                person.first_surname.clone(),
                second,
                person.rfc.to_string(),
                state.to_owned(),
                format!("PB-{:08}", person.index + 1),
            ]
        } else {
            if person.index % 100 == 99 {
                let last = curp.pop().unwrap();
                curp.push(if last == '0' { '1' } else { '0' });
            } else if person.index % 1000 == 500 {
                curp = population.person(person.index - 400).curp.to_string();
            }
            vec![
                curp,
                person.rfc.to_string(),
                person.given_names.clone(),
                person.first_surname.clone(),
                second,
            ]
        };
        for (column, value) in values.iter().enumerate() {
            sheet.write_string(row, column as u16, value).unwrap();
        }
    }
    let partial = path.with_extension("partial");
    workbook.save(&partial).unwrap();
    std::fs::rename(&partial, path).unwrap();
    println!(
        "generated {} ({rows} rows, {} MB) in {:.1} s",
        path.file_name().unwrap().to_string_lossy(),
        file_mb(path),
        started.elapsed().as_secs_f64()
    );
}

/// The hostile files of `tests/hostile_uploads.rs`, at full strength, written to `dir`.
fn hostile_files(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let head = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
    let tail = "</sheetData></worksheet>";
    let mut bomb = head.as_bytes().to_vec();
    bomb.resize(bomb.len() + (600 << 20), b' ');
    bomb.extend_from_slice(tail.as_bytes());
    let corners = sheets::sheet(&format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        sheets::cell("A1", "CURP"),
        sheets::cell("XFD1048576", "x")
    ));
    let mut referencing = String::from(head);
    for r in 1..=12_000 {
        referencing.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#
        ));
    }
    referencing.push_str(tail);
    let huge_string = format!("<sst><si><t>{}</t></si></sst>", "A".repeat(1 << 20));
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>{}<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>{tail}"#,
        &head[head.find("<worksheet").unwrap()..]
    );
    let garbage: Vec<u8> = (0..(8u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let files: Vec<(&'static str, &str, Vec<u8>)> = vec![
        (
            "zip bomb (600 MiB sheet)",
            "bomb.xlsx",
            sheets::package(&bomb, b"<sst/>"),
        ),
        ("corner cells A1 + XFD1048576", "corners.xlsx", corners),
        (
            "1 MiB shared string × 12,000",
            "shared.xlsx",
            sheets::package(referencing.as_bytes(), huge_string.as_bytes()),
        ),
        (
            "entity expansion (DTD)",
            "laughs.xlsx",
            sheets::package(laughs.as_bytes(), b"<sst/>"),
        ),
        ("8 MiB of random bytes", "garbage.xlsx", garbage),
    ];
    files
        .into_iter()
        .map(|(what, name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            (what, path)
        })
        .collect()
}
