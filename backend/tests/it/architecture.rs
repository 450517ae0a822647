//! The shape of the code, checked: the layers of `docs/architecture.md` hold (nothing below the
//! router imports it, the state reaches no handler, handlers hold no queries and do no file work,
//! workers take narrow contexts, every connection comes from one checkout), and comments point
//! only to documents in this repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The server's source files, by path relative to `backend/src`, without their test modules.
fn server_sources() -> BTreeMap<String, String> {
    let root = repository().join("backend/src");
    let mut files = BTreeMap::new();
    for path in rust_files(&root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = match text.find("#[cfg(test)]\nmod tests") {
            Some(tests) => text[..tests].to_owned(),
            None => text,
        };
        let relative = path.strip_prefix(&root).unwrap().display().to_string();
        files.insert(relative, code);
    }
    files
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Code without its comments (line comments and doc comments).
fn without_comments(code: &str) -> String {
    code.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string (a URL) is rare in imports; good enough for these checks.
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a source file (`requests/mod.rs` → `["requests"]`).
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|part| {
            expand(part)
                .into_iter()
                .map(move |p| format!("{prefix}{p}"))
        })
        .collect()
}

/// The source files each file imports (`use crate::…`, `use super::…` and inline
/// `crate::…` paths), resolved to the longest module path that is a file.
fn imports(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<Vec<String>, &String> =
        files.keys().map(|file| (module_of(file), file)).collect();
    let resolve = |path: &[String]| {
        (1..=path.len())
            .rev()
            .find_map(|n| by_module.get(&path[..n]).map(|f| (*f).clone()))
    };
    let mut graph = BTreeMap::new();
    for (file, code) in files {
        let code = without_comments(code);
        let module = module_of(file);
        let is_root = file.ends_with("mod.rs") || !file.contains('/');
        let mut paths = Vec::new();
        for statement in code.split(';') {
            if let Some(tree) = statement.trim().strip_prefix("use ").or_else(|| {
                statement
                    .trim()
                    .strip_prefix("pub use ")
                    .or_else(|| statement.trim().strip_prefix("pub(crate) use "))
            }) {
                paths.extend(expand(tree));
            }
        }
        let bytes = code.as_bytes();
        let mut at = 0;
        while let Some(found) = code[at..].find("crate::") {
            let start = at + found;
            let end = code[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| start + e);
            if start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'$')
            {
                paths.push(code[start..end].trim_end_matches(':').to_owned());
            }
            at = end.max(start + 1);
        }
        let mut targets = BTreeSet::new();
        for path in paths {
            let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
            let absolute = match segments.first().map(String::as_str) {
                Some("crate") => segments[1..].to_vec(),
                Some("super") => {
                    let mut base = module.clone();
                    if !is_root || file.contains('/') {
                        base.pop();
                    }
                    let mut rest = &segments[..];
                    rest = &rest[1..];
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().cloned());
                    base
                }
                _ => continue,
            };
            if let Some(target) = resolve(&absolute).filter(|t| t != file) {
                targets.insert(target);
            }
        }
        graph.insert(file.clone(), targets);
    }
    graph
}

fn has_handlers(code: &str) -> bool {
    code.contains("#[utoipa::path")
}

const QUERY_MARKS: [&str; 4] = ["::table", "diesel::", "write_transaction", ".transaction("];

#[test]
fn nothing_below_the_router_imports_it() {
    let files = server_sources();
    let graph = imports(&files);
    let importers: Vec<&String> = graph
        .iter()
        .filter(|(_, targets)| targets.contains("app.rs"))
        .map(|(file, _)| file)
        .collect();
    assert_eq!(
        importers,
        ["server.rs"],
        "only the server mounts the router"
    );
    assert!(graph["app.rs"].len() > 10, "the router reaches the slices");
}

#[test]
fn the_state_reaches_no_handler_and_no_router() {
    let files = server_sources();
    let graph = imports(&files);
    let mut seen = BTreeSet::new();
    let mut pending = vec!["state.rs".to_owned()];
    while let Some(file) = pending.pop() {
        if seen.insert(file.clone()) {
            pending.extend(graph[&file].iter().cloned());
        }
    }
    let handlers: Vec<&String> = seen
        .iter()
        .filter(|file| has_handlers(&files[*file]) || *file == "app.rs")
        .collect();
    assert!(
        handlers.is_empty(),
        "state.rs reaches modules with routes: {handlers:?}"
    );
    assert!(seen.contains("confrontations/engine.rs") && seen.contains("db/mod.rs"));
}

#[test]
fn handlers_hold_no_queries() {
    let offenders: Vec<(String, &str)> = server_sources()
        .into_iter()
        .filter(|(_, code)| has_handlers(code))
        .flat_map(|(file, code)| {
            let code = without_comments(&code);
            QUERY_MARKS
                .into_iter()
                .filter(move |mark| code.contains(mark))
                .map(move |mark| (file.clone(), mark))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "queries and transactions belong in the slice's records/service modules, not beside handlers: {offenders:?}"
    );
}

/// Extractors are polled in the order of the handler's parameters and the first refusal wins:
/// the caller's extractor comes before the body's, so a caller who may not call is refused
/// before the body is read (`auth::principal::identify_first` makes it answer at once).
#[test]
fn handlers_check_the_caller_before_the_body() {
    let callers = ["Staff<", "Principal"];
    let bodies = [
        "web::Json<",
        "web::Form<",
        "web::Payload",
        "web::Bytes",
        "Multipart",
    ];
    let mut checked = 0;
    let mut offenders = Vec::new();
    for (file, code) in server_sources() {
        if !has_handlers(&code) {
            continue;
        }
        let code = without_comments(&code);
        for (start, _) in code.match_indices("async fn ") {
            let Some(length) = code[start..].find('{') else {
                continue;
            };
            let signature = &code[start..start + length];
            let first = |marks: &[&str]| marks.iter().filter_map(|m| signature.find(m)).min();
            if let (Some(caller), Some(body)) = (first(&callers), first(&bodies)) {
                checked += 1;
                if body < caller {
                    let name = signature["async fn ".len()..]
                        .split('(')
                        .next()
                        .unwrap_or("");
                    offenders.push(format!("{file}: {name}"));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "the handlers with a caller and a body were found ({checked})"
    );
    assert!(
        offenders.is_empty(),
        "body read before the caller is checked: {offenders:?}"
    );
}

/// Reading, writing or storing files blocks: handlers leave it to functions they run on the
/// blocking pool (`db::run`, `web::block`, the spreadsheet permits).
#[test]
fn handlers_leave_file_work_to_the_blocking_pool() {
    let blocking = [
        "std::fs::read",
        "std::fs::write",
        "std::fs::copy",
        ".put_file(",
        ".put_bytes(",
        "tempfile::tempfile(",
        ".write_all(",
    ];
    let offenders: Vec<(String, &str)> = server_sources()
        .into_iter()
        .filter(|(_, code)| has_handlers(code))
        .flat_map(|(file, code)| {
            let code = without_comments(&code);
            blocking
                .into_iter()
                .filter(move |call| code.contains(call))
                .map(move |call| (file.clone(), call))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "blocking file work beside handlers: {offenders:?}"
    );
}

#[test]
fn background_workers_take_narrow_contexts_not_the_state() {
    let files = server_sources();
    for worker in [
        "confrontations/engine.rs",
        "auth/housekeeping.rs",
        "notifications/email.rs",
        "certificates/sync.rs",
        "certificates/expiry.rs",
    ] {
        assert!(
            !without_comments(&files[worker]).contains("AppState"),
            "{worker} takes the whole state"
        );
    }
}

#[test]
fn every_connection_comes_from_the_one_checkout() {
    for (file, code) in server_sources() {
        let code = without_comments(&code).replace(char::is_whitespace, "");
        if file != "db/mod.rs" {
            assert!(
                !code.contains("pool.get()") && !code.contains("pool().get()"),
                "{file} checks a connection out around db::checkout (which answers 503)"
            );
        }
    }
}

/// The SPA's files, by path relative to `frontend/src`.
fn spa_sources() -> BTreeMap<String, String> {
    let root = repository().join("frontend/src");
    rust_files(&root)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.strip_prefix(&root).unwrap().display().to_string(),
                text,
            )
        })
        .collect()
}

/// The SPA writes no path of the API: it asks the contract's builders (`confrontas_api::paths`),
/// so a route or a filter changes in one place.
#[test]
fn the_spa_asks_the_contract_for_every_api_path() {
    let mut written = Vec::new();
    for (file, text) in spa_sources() {
        for (number, line) in without_comments(&text).lines().enumerate() {
            for literal in ["\"/api/", "\"/ready\"", "\"/health\""] {
                if line.contains(literal) {
                    written.push(format!("{file}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        written.is_empty(),
        "paths written by hand:\n{}",
        written.join("\n")
    );
}

/// A failed load is shown by one component (`components::Loaded`), not by each page.
#[test]
fn the_spa_shows_failed_loads_in_one_place() {
    let handwritten: Vec<String> = spa_sources()
        .into_iter()
        .filter(|(file, _)| file != "components.rs")
        .filter(|(_, text)| {
            let code = without_comments(text).replace(char::is_whitespace, "");
            code.contains("Err(error)=>view!") || code.contains("Some(Err(error))=>view!")
        })
        .map(|(file, _)| file)
        .collect();
    assert!(
        handwritten.is_empty(),
        "pages that render a failed load themselves: {handwritten:?}"
    );
    assert!(spa_sources()["components.rs"].contains("<ErrorBoundary"));
}

/// Every comment that points to a document points to one in this repository, and to a section
/// it has; none points to issues or to files outside it. (Migrations are history: append-only,
/// they keep the words they were written with.)
#[test]
fn comments_point_to_documents_of_this_repository() {
    let root = repository();
    let mut sources = Vec::new();
    for dir in [
        "backend/src",
        "backend/tests",
        "frontend/src",
        "openapi/src",
    ] {
        sources.extend(rust_files(&root.join(dir)));
    }
    let forbidden = regex_free_patterns();
    let mut problems = Vec::new();
    let mut cited = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let shell = path.extension().is_none() || path.extension().is_some_and(|e| e == "sh");
            let marker = if shell { "#" } else { "//" };
            let Some(at) = line.find(marker) else {
                continue;
            };
            let comment = &line[at..];
            let place = format!("{}:{}", path.display(), number + 1);
            for word in &forbidden {
                if contains_reference(comment, word) {
                    problems.push(format!("{place}: cites {word:?}: {comment}"));
                }
            }
            let mut rest = comment;
            while let Some(start) = rest.find("docs/") {
                let tail = &rest[start..];
                let glued = rest[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '-');
                if glued {
                    // `api-docs/openapi.json` is a route, not a document.
                    rest = &tail[5..];
                    continue;
                }
                let end = tail
                    .find(|c: char| !(c.is_alphanumeric() || "/-_.".contains(c)))
                    .unwrap_or(tail.len());
                let document = tail[..end].trim_end_matches('.');
                cited += 1;
                match std::fs::read_to_string(root.join(document)) {
                    Err(_) => problems.push(format!("{place}: {document} does not exist")),
                    Ok(doc) => {
                        if let Some(section) = tail[end..]
                            .strip_prefix("`, \"")
                            .or_else(|| tail[end..].strip_prefix(", \""))
                            .and_then(|s| s.split('"').next())
                        {
                            let heading = doc.lines().any(|l| {
                                l.starts_with('#') && l.trim_start_matches('#').trim() == section
                            });
                            if !heading {
                                problems.push(format!(
                                    "{place}: {document} has no section \"{section}\""
                                ));
                            }
                        }
                    }
                }
                rest = &tail[end..];
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        cited > 10,
        "the code points to its documents ({cited} times)"
    );
}

/// Words that cite something outside the repository: the shared design notes and reference
/// files, and issue numbers (those belong in commit messages).
fn regex_free_patterns() -> Vec<&'static str> {
    vec![
        "DESIGN §",
        "renapo-sat.md",
        "reference/",
        "seeds/",
        "issue ",
    ]
}

/// `issue ` counts only when a number follows.
fn contains_reference(comment: &str, word: &str) -> bool {
    if word != "issue " {
        return comment.contains(word);
    }
    let lower = comment.to_lowercase();
    lower.match_indices("issue ").any(|(at, _)| {
        lower[at + 6..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// Every setting the server (or the test harness) reads is in the README's table, and the table
/// names no setting nobody reads.
#[test]
fn every_setting_is_documented_in_the_readme() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let names = |text: &str| -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for (start, _) in text.match_indices("CONFRONTAS_") {
            let name: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name.len() > "CONFRONTAS_".len() && !name.ends_with('_') {
                found.insert(name);
            }
        }
        found
    };
    // The server's settings, and the test harness's own (`CONFRONTAS_TEST_PG_URL`).
    let harness =
        std::fs::read_to_string(repository().join("backend/tests/it/support/mod.rs")).unwrap();
    let read: BTreeSet<String> = server_sources()
        .values()
        .chain([&harness])
        .flat_map(|code| names(&without_comments(code)))
        .collect();
    let table: BTreeSet<String> = readme
        .lines()
        .filter(|line| line.starts_with("| `CONFRONTAS_"))
        .flat_map(|line| names(line.split('|').nth(1).unwrap_or_default()))
        .collect();
    assert!(read.len() > 40, "the settings were found ({})", read.len());
    let undocumented: Vec<&String> = read.difference(&table).collect();
    assert!(
        undocumented.is_empty(),
        "settings missing from the README: {undocumented:?}"
    );
    let unread: Vec<&String> = table.difference(&read).collect();
    assert!(
        unread.is_empty(),
        "README settings the server does not read: {unread:?}"
    );
}
