//! `confrontas-server`: command-line entry point.

use std::path::Path;
use std::process::ExitCode;

use confrontas_server::app::openapi_document;
use confrontas_server::boot::{self, Worker};
use confrontas_server::config::{Config, LogFormat};
use confrontas_server::seed::{self, DemoSeed};
use confrontas_server::simulator::Running;
use confrontas_server::{db, server};

const USAGE: &str = "\
Uso: confrontas-server <orden> [opciones]

Órdenes:
  serve [--demo]   Inicia el servidor. Con --demo, en una base de datos vacía crea
                   unidades y un usuario de demostración por rol, e imprime los accesos.
  simulate renapo  Inicia el simulador del servicio de consulta de CURP de RENAPO (HTTPS),
                   deja el certificado de su autoridad en <datos>/simulator/ e imprime su
                   dirección, usuario y contraseña.
  simulate sat     Inicia el simulador del servicio de opiniones 32-D del convenio con el
                   SAT (HTTPS, JSON), deja el certificado de su autoridad en
                   <datos>/simulator/ e imprime su dirección, usuario y contraseña.
  migrate          Aplica las migraciones pendientes y termina.
  backup DIR       Copia la base de datos y los documentos en DIR (nuevo o vacío), con un
                   manifiesto de cada archivo y su SHA-256; puede hacerse con el servidor en
                   marcha.
  restore DIR      Restaura la copia de DIR en DATABASE_URL y CONFRONTAS_DATA_DIR (vacíos),
                   tras comprobar que la copia está completa y sin daños.
  openapi          Imprime el documento OpenAPI (JSON) y termina.
  help             Muestra esta ayuda.

La configuración se lee de variables de entorno; vea README.md.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["openapi"] => {
            println!(
                "{}",
                openapi_document()
                    .to_pretty_json()
                    .expect("the OpenAPI document serializes")
            );
            ExitCode::SUCCESS
        }
        ["migrate"] => with_config(|config| {
            init_tracing(config.log_format);
            let pool = db::connect(&config.database_url, 1, std::time::Duration::from_secs(10))?;
            let mut conn = db::checkout(&pool).map_err(|e| e.to_string())?;
            let applied = db::migrate(&mut conn)?;
            println!(
                "Migraciones aplicadas: {}",
                if applied.is_empty() {
                    "ninguna pendiente".into()
                } else {
                    applied.join(", ")
                }
            );
            Ok(())
        }),
        ["backup", dir] => with_config(|config| {
            let manifest = confrontas_server::ops::backup::backup(&config, Path::new(dir))?;
            println!(
                "Copia terminada en {dir}: {} archivos, base de datos {} en la versión {}.",
                manifest.files.len(),
                manifest.backend,
                manifest.schema_version
            );
            Ok(())
        }),
        ["restore", dir] => with_config(|config| {
            let manifest = confrontas_server::ops::backup::restore(&config, Path::new(dir))?;
            println!(
                "Copia del {} restaurada: {} archivos comprobados. Inicie el servidor para usarla.",
                manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
                manifest.files.len()
            );
            Ok(())
        }),
        ["serve"] => with_config(|config| run_server(config, false)),
        ["simulate", "renapo"] => with_config(run_renapo_simulator),
        ["simulate", "sat"] => with_config(run_sat_simulator),
        ["serve", "--demo"] => with_config(|config| run_server(config, true)),
        [] | ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("Orden no reconocida: {}\n\n{USAGE}", args.join(" "));
            ExitCode::from(2)
        }
    }
}

fn with_config(run: impl FnOnce(Config) -> Result<(), String>) -> ExitCode {
    let outcome = Config::from_env()
        .map_err(|e| format!("configuración inválida: {e}"))
        .and_then(run);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn run_server(mut config: Config, demo: bool) -> Result<(), String> {
    // The demo answers from the built-in RENAPO simulator unless a real service is configured.
    if demo && config.renapo.endpoint.is_none() {
        config.renapo.endpoint = Some(confrontas_server::config::Endpoint::Simulator);
    }
    if demo && config.sat.endpoint.is_none() {
        config.sat.endpoint = Some(confrontas_server::config::Endpoint::Simulator);
    }
    init_tracing(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let state = boot::open(config).await?;
        let demo_seed = if demo {
            Some(seed::demo(&state).await.map_err(|e| e.to_string())?)
        } else {
            None
        };
        if seed::bootstrap_admin(&state)
            .await
            .map_err(|e| e.to_string())?
        {
            tracing::info!("bootstrap administrator created");
        }
        boot::start(&state, &Worker::ALL).await?;
        let backend = state.backend;
        let renapo = if state.renapo.is_simulated() {
            "simulador integrado (respuestas sintéticas)"
        } else if state.renapo.is_configured() {
            "servicio configurado en CONFRONTAS_RENAPO_URL"
        } else {
            "sin configurar (confrontas y consultas no disponibles)"
        };
        let sat = if state.sat.is_simulated() {
            "simulador integrado en línea y archivo de intercambio"
        } else if state.sat.online().is_some() {
            "servicio en línea en CONFRONTAS_SAT_URL y archivo de intercambio"
        } else {
            "archivo de intercambio (sin servicio en línea)"
        };
        let (server, address) =
            server::start(state).map_err(|e| format!("no se pudo escuchar: {e}"))?;
        print_banner(address, backend.as_str(), (renapo, sat), demo_seed.as_ref());
        let handle = server.handle();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutdown signal received; finishing requests in flight");
            handle.stop(true).await;
        });
        server.await.map_err(|e| e.to_string())
    })
}

/// Runs a simulator started by `start` until SIGTERM or Ctrl-C: its authority's certificate
/// is written to `<data>/simulator/{ca_file}` and `describe` (given the simulator and that
/// path) is printed.
fn run_simulator<S, F>(
    config: &Config,
    ca_file: &str,
    start: impl FnOnce() -> F,
    describe: impl FnOnce(&S, &std::path::Path) -> String,
) -> Result<(), String>
where
    S: Running,
    F: std::future::Future<Output = std::io::Result<S>>,
{
    init_tracing(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let simulator = start()
            .await
            .map_err(|e| format!("no se pudo iniciar el simulador: {e}"))?;
        let dir = config.data_dir.join("simulator");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let ca = dir.join(ca_file);
        std::fs::write(&ca, simulator.authority_pem()).map_err(|e| e.to_string())?;
        let text = describe(&simulator, &ca);
        let mut stdout = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut stdout, text.as_bytes());
        let _ = std::io::Write::flush(&mut stdout);
        drop(stdout);
        shutdown_signal().await;
        simulator.stop().await;
        Ok(())
    })
}

/// The RENAPO simulator, answering for the demo population.
fn run_renapo_simulator(config: Config) -> Result<(), String> {
    use confrontas_server::simulator::renapo::{Faults, RenapoSimulator, SimulatorConfig};
    let simulated = SimulatorConfig {
        user: config.renapo.user.clone(),
        password: config.renapo.password.clone(),
        population: config.demo_farmers,
    };
    run_simulator(
        &config,
        "renapo-ca.pem",
        || async {
            let simulator =
                RenapoSimulator::start(simulated, config.simulators.renapo_bind).await?;
            simulator.set_faults(Faults::configured(&config.simulators));
            Ok(simulator)
        },
        |simulator, ca| {
            format!(
                "\nSimulador de RENAPO listo en {url}\n  WSDL:        {url}?wsdl\n  Contadores:  {stats}\n  Autoridad:   {}\n  Usuario:     {}\n  Contraseña:  {}\n  Población:   {} personas de la población de demostración\n  Por ejemplo: {example}\n\n",
                ca.display(),
                config.renapo.user,
                config.renapo.password,
                config.demo_farmers,
                url = simulator.url(),
                stats = simulator.stats_url(),
                example = confrontas_server::population::Population::new(
                    confrontas_server::population::DEMO_SEED
                )
                .person(0)
                .curp,
            )
        },
    )
}

/// The SAT simulator (the agreement's opinion service), answering for the demo population.
fn run_sat_simulator(config: Config) -> Result<(), String> {
    use confrontas_server::simulator::sat::{SatFaults, SatSimulator, SatSimulatorConfig};
    let simulated = SatSimulatorConfig {
        user: config.sat.user.clone(),
        password: config.sat.password.clone(),
        population: config.demo_farmers,
    };
    run_simulator(
        &config,
        "sat-ca.pem",
        || async {
            let simulator = SatSimulator::start(simulated, config.simulators.sat_bind).await?;
            simulator.set_faults(SatFaults::configured(&config.simulators));
            Ok(simulator)
        },
        |simulator, ca| {
            format!(
                "\nSimulador del SAT (opinión 32-D) listo en {}\n  Contadores:  {}\n  Autoridad:   {}\n  Usuario:     {}\n  Contraseña:  {}\n  Población:   {} personas de la población de demostración\n\n",
                simulator.url(),
                simulator.stats_url(),
                ca.display(),
                config.sat.user,
                config.sat.password,
                config.demo_farmers
            )
        },
    )
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM handler installs");
        tokio::select! { _ = interrupt => {}, _ = terminate.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Prints where the server listens and the demo logins. Written with errors ignored: a closed
/// stdout (e.g. piped through `head`) must not bring the server down.
fn print_banner(
    address: std::net::SocketAddr,
    backend: &str,
    (renapo, sat): (&str, &str),
    demo: Option<&DemoSeed>,
) {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "\nConfrontas está listo en http://{address}/  (base de datos: {backend})"
    );
    let _ = writeln!(text, "  API:        http://{address}/api/v1");
    let _ = writeln!(text, "  Swagger UI: http://{address}/swagger-ui/");
    let _ = writeln!(text, "  RENAPO:     {renapo}");
    let _ = writeln!(text, "  SAT:        {sat}");
    match demo {
        Some(DemoSeed::Seeded {
            password,
            generated,
            logins,
        }) => {
            let note = if *generated {
                " — generada; guárdela"
            } else {
                ""
            };
            let _ = writeln!(
                text,
                "\nUsuarios de demostración (contraseña para todos: {password}){note}:"
            );
            for login in logins {
                let _ = writeln!(
                    text,
                    "  {:<34} {:<28} {}",
                    login.email,
                    login.role.label(),
                    login.name
                );
            }
        }
        Some(DemoSeed::AlreadyPresent { logins }) => {
            let _ = writeln!(
                text,
                "\nLa base de datos ya tenía usuarios; no se sembraron datos de demostración."
            );
            let _ = writeln!(
                text,
                "Cuentas de demostración (con la contraseña que se imprimió la primera vez o CONFRONTAS_DEMO_PASSWORD):"
            );
            for login in logins {
                let _ = writeln!(text, "  {:<34} {}", login.email, login.role.label());
            }
        }
        None => {}
    }
    text.push('\n');
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, text.as_bytes());
    let _ = std::io::Write::flush(&mut stdout);
}
