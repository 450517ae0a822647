use confrontas_api::{Farmer, FarmerStatus, Page};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{farmer_status_badge, state_label, state_options};
use crate::api::{self, ApiError};
use crate::components::{Alert, Pager, filter_query, format_time};

/// The filters as the search applies them (set on submit, not on every keystroke).
#[derive(Clone, Default, PartialEq)]
struct Filters {
    curp: String,
    q: String,
    state: String,
    status: String,
}

impl Filters {
    /// Query-string parameters of the non-empty filters.
    fn query(&self) -> String {
        filter_query(&[
            ("curp", &self.curp),
            ("q", &self.q),
            ("state", &self.state),
            ("status", &self.status),
        ])
    }
}

#[component]
pub fn RegistryPage() -> impl IntoView {
    let curp = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let state = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let sort = RwSignal::new("name".to_owned());
    let applied = RwSignal::new(Filters::default());
    let page = RwSignal::new(1u32);
    let failure = RwSignal::new(None::<ApiError>);
    let exporting = RwSignal::new(false);
    let farmers = LocalResource::new(move || {
        let url = format!(
            "/api/v1/farmers?per_page=25&page={}&sort={}{}",
            page.get(),
            sort.get(),
            applied.get().query()
        );
        async move { api::get::<Page<Farmer>>(&url).await }
    });
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        page.set(1);
        applied.set(Filters {
            curp: curp.get_untracked(),
            q: q.get_untracked(),
            state: state.get_untracked(),
            status: status.get_untracked(),
        });
    };
    let clear = move |_| {
        for field in [curp, q, state, status] {
            field.set(String::new());
        }
        page.set(1);
        applied.set(Filters::default());
    };
    let export = move |_| {
        exporting.set(true);
        let url = format!(
            "/api/v1/registry/export.xlsx?{}",
            applied.get_untracked().query().trim_start_matches('&')
        );
        leptos::task::spawn_local(async move {
            let outcome = api::download(&url, "padron.xlsx").await;
            exporting.set(false);
            failure.set(outcome.err());
        });
    };
    view! {
        <h1>"Padrón de productores"</h1>
        <p class="lead">"Busque por CURP, nombre, entidad o estatus; abra un productor para ver su historial."</p>
        <section class="card" aria-labelledby="search-title">
            <h2 id="search-title" class="visually-hidden">"Búsqueda"</h2>
            <form class="grid-form" on:submit=search novalidate>
                <div class="field">
                    <label for="f-curp">"CURP (o su inicio)"</label>
                    <input id="f-curp" type="search" maxlength="18" autocomplete="off" bind:value=curp />
                </div>
                <div class="field">
                    <label for="f-q">"Nombre"</label>
                    <input id="f-q" type="search" autocomplete="off" bind:value=q />
                </div>
                <div class="field">
                    <label for="f-state">"Entidad de residencia"</label>
                    <select id="f-state" bind:value=state>
                        <option value="">"Todas"</option>
                        {state_options()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-status">"Estatus"</label>
                    <select id="f-status" bind:value=status>
                        <option value="">"Todos"</option>
                        {FarmerStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="actions-row">
                    <button type="submit">"Buscar"</button>
                    <button type="button" class="ghost" on:click=clear>"Limpiar"</button>
                </div>
            </form>
        </section>
        <section class="card" aria-labelledby="results-title">
            <div class="section-head">
                <h2 id="results-title">"Productores"</h2>
                <div class="field inline">
                    <label for="f-sort">"Ordenar por"</label>
                    <select id="f-sort" bind:value=sort on:change=move |_| page.set(1)>
                        <option value="name">"Nombre"</option>
                        <option value="curp">"CURP"</option>
                        <option value="recent">"Cambios recientes"</option>
                    </select>
                </div>
                <button type="button" class="ghost" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { "Generando archivo…" } else { "Exportar a Excel" }}
                </button>
            </div>
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <Suspense fallback=|| view! { <p role="status">"Buscando productores…"</p> }>
                {move || farmers.get().map(|result| match result {
                    Err(error) => view! { <p class="alert-error" role="alert">{error.message()}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! { <p class="empty">"Ningún productor coincide con la búsqueda."</p> }.into_any(),
                    Ok(list) => {
                        let (count, total) = (list.page_count(), list.total);
                        view! {
                            <div class="table-scroll">
                                <table>
                                    <caption class="visually-hidden">"Productores encontrados"</caption>
                                    <thead><tr>
                                        <th scope="col">"CURP"</th><th scope="col">"Nombre"</th><th scope="col">"Entidad"</th>
                                        <th scope="col">"Estatus"</th><th scope="col">"RFC"</th><th scope="col">"Último cambio"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|farmer| {
                                            let href = format!("/padron/{}", farmer.curp);
                                            let name = full_name(&farmer);
                                            view! {
                                                <tr>
                                                    <td><A href=href><code>{farmer.curp.clone()}</code></A></td>
                                                    <td>{name}</td>
                                                    <td>{state_label(farmer.state.as_deref())}</td>
                                                    <td>{farmer_status_badge(farmer.status)}</td>
                                                    <td>{farmer.rfc.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td>{format_time(Some(farmer.updated_at))}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager page=page page_count=count total=total noun=("productor", "productores") />
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

pub fn full_name(farmer: &Farmer) -> String {
    let mut name = format!("{} {}", farmer.given_names, farmer.first_surname);
    if let Some(second) = &farmer.second_surname {
        name.push(' ');
        name.push_str(second);
    }
    name
}
