//! What the benchmarks share: a fresh PostgreSQL database and the process's peak RSS.

/// An empty database `name` on the server of `admin_url` (dropped first if there); its URL.
pub fn fresh_postgres_database(admin_url: &str, name: &str) -> String {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(admin_url).expect("CONFRONTAS_BENCH_PG_URL");
    for statement in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("URL with a database path");
    format!("{base}/{name}")
}

/// The most resident memory the process has used so far (VmHWM), in MB.
pub fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kb / 1024
}
