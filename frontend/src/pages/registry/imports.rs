use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use confrontas_api::{ImportRejection, ImportStatus, Page, PageParams, RegistryImport, paths};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{self, ApiError};
use crate::components::{Alert, FilePicker, Loaded, Pager, Position, chosen_file, format_time};
use crate::url_state::{Paged, UrlState, use_url_state};

/// What the page shows, kept in the URL: the page of imports, the import whose refused rows are
/// open, and the page of those rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ImportsShown {
    page: Option<u32>,
    import: Option<i64>,
    rows_page: Option<u32>,
}

/// The page's pager moves through the imports (the refused rows have their own).
impl Paged for ImportsShown {
    fn page_mut(&mut self) -> &mut Option<u32> {
        &mut self.page
    }
}

#[component]
pub fn ImportsPage() -> impl IntoView {
    let picker = NodeRef::<leptos::html::Input>::new();
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let shown = use_url_state::<ImportsShown>();
    // Each part of the page reloads only when its own part of the URL changes.
    let imports_page = Memo::new(move |_| shown.get().page);
    let open_import = Memo::new(move |_| shown.get().import);
    let imports = LocalResource::new(move || {
        let url = paths::registry::imports(&PageParams {
            page: imports_page.get(),
            per_page: Some(10),
        });
        async move { api::get::<Page<RegistryImport>>(&url).await }
    });
    let go_to = shown.page_opener();
    let select = Callback::new(move |import: i64| {
        shown.update(|shown| {
            shown.import = Some(import);
            shown.rows_page = None;
        })
    });
    // While an import runs, follow it every second; stop when the page goes away.
    let alive = Arc::new(AtomicBool::new(true));
    on_cleanup({
        let alive = alive.clone();
        move || alive.store(false, Ordering::Relaxed)
    });
    Effect::new(move |_| {
        let running = imports
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.items.iter().any(|i| !i.status.is_done()));
        if running {
            let alive = alive.clone();
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(1_000).await;
                if alive.load(Ordering::Relaxed) {
                    imports.refetch();
                }
            });
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let file = match chosen_file(picker, "Elija el archivo del padrón (.xlsx o .csv).") {
            Ok(file) => file,
            Err(missing) => {
                failure.set(Some(missing));
                return;
            }
        };
        busy.set(true);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let outcome =
                api::upload::<RegistryImport>(&paths::registry::start_import(), &file).await;
            busy.set(false);
            match outcome {
                Ok(import) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "Se recibió «{}»; la importación {} está en proceso.",
                        import.file_name, import.id
                    )));
                    shown.push(&ImportsShown {
                        import: Some(import.id),
                        ..ImportsShown::default()
                    });
                    imports.refetch();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <h1>"Importar padrón"</h1>
        <p class="lead">"Cargue un libro de Excel (.xlsx) o un .csv con una fila por productor. Se actualiza por CURP: las CURP nuevas se dan de alta y las existentes se actualizan con los datos que traiga el archivo; las celdas vacías no borran nada. Cada cambio queda en el historial del productor."</p>
        <section class="card" aria-labelledby="upload-title">
            <h2 id="upload-title">"Nueva importación"</h2>
            <p class="hint">"Columnas (en cualquier orden): CURP (obligatoria), NOMBRE(S), PRIMER APELLIDO, SEGUNDO APELLIDO, RFC, ENTIDAD, MUNICIPIO, FOLIO PRODUCTOR, ESTATUS (ACTIVO o BAJA). Para dar de alta una CURP nueva se requieren nombre y primer apellido."</p>
            <form on:submit=submit novalidate>
                <FilePicker id="file" label="Archivo del padrón (.xlsx o .csv)" node=picker failure=failure />
                <Alert failure=failure notice=notice />
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Enviando…" } else { "Importar" }}
                </button>
            </form>
        </section>
        <section class="card" aria-labelledby="imports-title">
            <h2 id="imports-title">"Importaciones"</h2>
            <Loaded loading="Cargando importaciones…">
                {move || imports.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! { <p class="empty">"Aún no se ha importado ningún archivo."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <div class="table-scroll" tabindex="0">
                                <table>
                                    <caption class="visually-hidden">"Importaciones del padrón"</caption>
                                    <thead><tr>
                                        <th scope="col">"Núm."</th><th scope="col">"Archivo"</th><th scope="col">"Estado"</th>
                                        <th scope="col">"Avance"</th><th scope="col">"Altas"</th><th scope="col">"Actualizados"</th>
                                        <th scope="col">"Sin cambios"</th><th scope="col">"Rechazadas"</th><th scope="col">"Recibida"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|import| view! { <ImportRow import=import select=select /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager at=at go_to=go_to noun=("importación", "importaciones") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
        {move || open_import.get().map(|id| view! { <Rejections id=id shown=shown imports=imports /> })}
    }
}

#[component]
fn ImportRow(import: RegistryImport, select: Callback<i64>) -> impl IntoView {
    let id = import.id;
    let status = match import.status {
        ImportStatus::Finished => {
            view! { <span class="badge badge-ok">{import.status.label()}</span> }.into_any()
        }
        ImportStatus::Failed => {
            view! { <span class="badge badge-error">{import.status.label()}</span> }.into_any()
        }
        _ => view! { <span class="badge badge-off">{import.status.label()}</span> }.into_any(),
    };
    let rejected = import.rejected;
    view! {
        <tr>
            <td>{id}</td>
            <td>{import.file_name.clone()}{import.failure.clone().map(|f| view! { <p class="field-error">{f}</p> })}</td>
            <td>{status}</td>
            <td>
                <progress max="100" value=import.percent aria-label=format!("Avance de la importación {id}")></progress>
                " "{format!("{} %", import.percent)}
                <span class="muted">{format!(" · {} filas", import.rows_read)}</span>
            </td>
            <td>{import.inserted}</td>
            <td>{import.updated}</td>
            <td>{import.unchanged}</td>
            <td>
                {rejected}
                {(rejected > 0).then(|| view! {
                    " "<button type="button" class="ghost" on:click=move |_| select.run(id)
                        aria-label=format!("Ver filas rechazadas de la importación {id}")>"Ver"</button>
                })}
            </td>
            <td>{format_time(Some(import.created_at))}</td>
        </tr>
    }
}

#[component]
fn Rejections(
    id: i64,
    shown: UrlState<ImportsShown>,
    // Read again with the list of imports (every second while one runs), so the rows an
    // import refuses appear as it reads its file.
    imports: LocalResource<Result<Page<RegistryImport>, ApiError>>,
) -> impl IntoView {
    let failure = RwSignal::new(None::<ApiError>);
    let rows_page = Memo::new(move |_| shown.get().rows_page);
    let rejections = LocalResource::new(move || {
        imports.track();
        let page = PageParams {
            page: rows_page.get(),
            per_page: Some(25),
        };
        let url = paths::registry::rejections(id, &page);
        async move { api::get::<Page<ImportRejection>>(&url).await }
    });
    let go_to = Callback::new(move |page: u32| shown.update(|shown| shown.rows_page = Some(page)));
    // The import's counts say whether every refused row was kept.
    let import = LocalResource::new(move || {
        imports.track();
        let url = paths::registry::import(id);
        async move { api::get::<RegistryImport>(&url).await }
    });
    let not_all_kept = move || {
        import
            .get()
            .and_then(Result::ok)
            .filter(|import| import.rejected_listed < import.rejected)
            .map(|import| {
                format!(
                    "Se guardaron las primeras {} de {} filas rechazadas; corrija estas y vuelva a importar el archivo para ver las siguientes.",
                    import.rejected_listed, import.rejected
                )
            })
    };
    let download = move |_| {
        leptos::task::spawn_local(async move {
            let outcome =
                api::download(&paths::registry::rejections_xlsx(id), "rechazos.xlsx").await;
            failure.set(outcome.err());
        });
    };
    view! {
        <section class="card" aria-labelledby="rejections-title">
            <div class="section-head">
                <h2 id="rejections-title">{format!("Filas rechazadas de la importación {id}")}</h2>
                <button type="button" class="ghost" on:click=download>"Descargar (.xlsx)"</button>
            </div>
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            {move || not_all_kept().map(|note| view! { <p class="hint" data-testid="rejections-kept">{note}</p> })}
            <Loaded loading="Cargando filas rechazadas…">
                {move || rejections.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! { <p class="empty">"Ninguna fila fue rechazada."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <table>
                                <caption class="visually-hidden">"Filas rechazadas"</caption>
                                <thead><tr><th scope="col">"Fila"</th><th scope="col">"CURP"</th><th scope="col">"Motivo"</th></tr></thead>
                                <tbody>
                                    {list.items.into_iter().map(|r| view! {
                                        <tr>
                                            <td>{r.row}</td>
                                            <td><code>{r.curp.clone().unwrap_or_else(|| "—".into())}</code></td>
                                            <td>{r.message.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager at=at go_to=go_to noun=("fila", "filas") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}
