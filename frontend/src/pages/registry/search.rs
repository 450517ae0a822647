use confrontas_api::{
    Farmer, FarmerExportFilter, FarmerFilter, FarmerSort, FarmerStatus, Page, SatOutcome, paths,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{StandingBadge, farmer_status_badge, state_label, state_options};
use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, Pager, Position, format_time};
use crate::url_state::{follow_url, use_url_state};

/// Farmers per page.
const PER_PAGE: u32 = 25;

/// A text filter as the API takes it: trimmed, absent when blank.
fn text_filter(text: String) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

#[component]
pub fn RegistryPage() -> impl IntoView {
    let shown = use_url_state::<FarmerFilter>();
    // The form's fields follow the URL and are applied to it on submit.
    let curp = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let state = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    follow_url(curp, move || shown.get().curp.unwrap_or_default());
    follow_url(q, move || shown.get().q.unwrap_or_default());
    follow_url(state, move || shown.get().state.unwrap_or_default());
    follow_url(status, move || {
        shown
            .get()
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()
    });
    let failure = RwSignal::new(None::<ApiError>);
    let exporting = RwSignal::new(false);
    let farmers = LocalResource::new(move || {
        let url = paths::registry::farmers(&FarmerFilter {
            per_page: Some(PER_PAGE),
            ..shown.get()
        });
        async move { api::get::<Page<Farmer>>(&url).await }
    });
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        shown.push(&FarmerFilter {
            curp: text_filter(curp.get_untracked()),
            q: text_filter(q.get_untracked()),
            state: text_filter(state.get_untracked()),
            status: FarmerStatus::parse(&status.get_untracked()),
            sort: shown.get_untracked().sort,
            ..FarmerFilter::default()
        });
    };
    let clear = move |_| {
        shown.push(&FarmerFilter {
            sort: shown.get_untracked().sort,
            ..FarmerFilter::default()
        })
    };
    let sort = move || shown.get().sort.unwrap_or_default().as_str();
    let change_sort = move |event: leptos::ev::Event| {
        let sort = FarmerSort::parse(&event_target_value(&event));
        shown.refilter(|filter| filter.sort = sort);
    };
    let go_to = shown.page_opener();
    let export = move |_| {
        exporting.set(true);
        let filter = shown.get_untracked();
        let url = paths::registry::export(&FarmerExportFilter {
            curp: filter.curp,
            q: filter.q,
            state: filter.state,
            status: filter.status,
        });
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
                    <select id="f-sort" prop:value=sort on:change=change_sort>
                        {FarmerSort::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <button type="button" class="ghost" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { "Generando archivo…" } else { "Exportar a Excel" }}
                </button>
            </div>
            <Alert failure=failure notice=Signal::derive(|| None::<String>) />
            <Loaded loading="Buscando productores…">
                {move || farmers.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! { <p class="empty">"Ningún productor coincide con la búsqueda."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <div class="table-scroll" tabindex="0">
                                <table class="cards">
                                    <caption class="visually-hidden">"Productores encontrados"</caption>
                                    <thead><tr>
                                        <th scope="col">"CURP"</th><th scope="col">"Nombre"</th><th scope="col">"Entidad"</th>
                                        <th scope="col">"Estatus"</th><th scope="col">"RFC"</th><th scope="col">"Opinión del SAT"</th>
                                        <th scope="col">"Último cambio"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|farmer| {
                                            let href = format!("/padron/{}", farmer.curp);
                                            let name = full_name(&farmer);
                                            let opinion = opinion_cell(&farmer);
                                            view! {
                                                <tr>
                                                    <td data-label="CURP"><A href=href><code>{farmer.curp.clone()}</code></A></td>
                                                    <td data-label="Nombre">{name}</td>
                                                    <td data-label="Entidad">{state_label(farmer.state.as_deref())}</td>
                                                    <td data-label="Estatus">{farmer_status_badge(farmer.status)}</td>
                                                    <td data-label="RFC">{farmer.rfc.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td data-label="Opinión del SAT">{opinion}</td>
                                                    <td data-label="Último cambio">{format_time(Some(farmer.updated_at))}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager at=at go_to=go_to noun=("productor", "productores") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}

/// The registry's opinion: its sense and its validity today, "—" without one.
fn opinion_cell(farmer: &Farmer) -> impl IntoView + use<> {
    let sense = farmer
        .sat_opinion
        .as_deref()
        .map(|o| SatOutcome::parse(o).map_or_else(|| o.to_owned(), |o| o.label().to_owned()));
    match sense {
        None => view! { "—" }.into_any(),
        Some(sense) => view! {
            {sense}
            {farmer.sat_standing.map(|standing| view! { " " <StandingBadge standing/> })}
        }
        .into_any(),
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
