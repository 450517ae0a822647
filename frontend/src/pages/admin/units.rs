use confrontas_api::{NameFilter, NewUnit, Page, Unit, UnitPatch, paths};
use gloo_net::http::Method;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, Pager, Position, TextField, field_error, status_badge};
use crate::url_state::{follow_url, use_url_state};

#[component]
pub fn UnitsPage() -> impl IntoView {
    let shown = use_url_state::<NameFilter>();
    let search = RwSignal::new(String::new());
    follow_url(search, move || shown.get().q.unwrap_or_default());
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let units = LocalResource::new(move || {
        let url = paths::units::list(&NameFilter {
            per_page: Some(20),
            ..shown.get()
        });
        async move { api::get::<Page<Unit>>(&url).await }
    });
    let type_search = move |event: leptos::ev::Event| {
        let text = event_target_value(&event);
        shown.refilter_as_typed(|filter| filter.q = Some(text).filter(|t| !t.is_empty()));
    };
    let go_to = shown.page_opener();

    let toggle = move |unit: Unit| {
        leptos::task::spawn_local(async move {
            let patch = UnitPatch {
                active: Some(!unit.active),
                ..Default::default()
            };
            match api::send_json::<_, Unit>(Method::PATCH, &paths::units::one(unit.id), &patch)
                .await
            {
                Ok(updated) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "La unidad {} quedó {}.",
                        updated.key,
                        if updated.active { "activa" } else { "inactiva" }
                    )));
                    units.refetch();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    view! {
        <h1>"Unidades administrativas"</h1>
        <NewUnitForm on_created=Callback::new(move |unit: Unit| {
            notice.set(Some(format!("Se creó la unidad {}.", unit.key)));
            units.refetch();
        }) />
        <section class="card" aria-labelledby="units-title">
            <h2 id="units-title">"Unidades registradas"</h2>
            <div class="filters">
                <div class="field">
                    <label for="units-search">"Buscar por clave o nombre"</label>
                    <input id="units-search" type="search" bind:value=search on:input=type_search />
                </div>
            </div>
            <Alert failure=failure notice=notice />
            <Loaded loading="Cargando unidades…">
                {move || units.get().map(|result| result.map(|value| match value {
                    list if list.items.is_empty() => view! { <p class="empty">"No hay unidades que coincidan con la búsqueda."</p> }.into_any(),
                    list => {
                        let at = Position::of(&list);
                        view! {
                            <table>
                                <caption class="visually-hidden">"Unidades administrativas"</caption>
                                <thead><tr><th scope="col">"Clave"</th><th scope="col">"Nombre"</th><th scope="col">"De la Secretaría"</th><th scope="col">"Estado"</th><th scope="col">"Acciones"</th></tr></thead>
                                <tbody>
                                    {list.items.into_iter().map(|unit| {
                                        let action = if unit.active { "Desactivar" } else { "Activar" };
                                        let label = format!("{action} {}", unit.key);
                                        let target = unit.clone();
                                        view! {
                                            <tr>
                                                <td>{unit.key.clone()}</td>
                                                <td>{unit.name.clone()}</td>
                                                <td>{if unit.is_ministry { "Sí" } else { "No" }}</td>
                                                <td>{status_badge(unit.active)}</td>
                                                <td><button type="button" class="ghost" aria-label=label on:click=move |_| toggle(target.clone())>{action}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager at=at go_to=go_to noun=("unidad", "unidades") />
                        }.into_any()
                    }
                }))}
            </Loaded>
        </section>
    }
}

#[component]
fn NewUnitForm(on_created: Callback<Unit>) -> impl IntoView {
    let key = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let is_ministry = RwSignal::new(true);
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let unit = NewUnit {
            key: key.get_untracked().trim().to_uppercase(),
            name: name.get_untracked(),
            is_ministry: is_ministry.get_untracked(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome =
                api::send_json::<_, Unit>(Method::POST, &paths::units::create(), &unit).await;
            busy.set(false);
            match outcome {
                Ok(created) => {
                    failure.set(None);
                    key.set(String::new());
                    name.set(String::new());
                    on_created.run(created);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="new-unit-title">
            <h2 id="new-unit-title">"Nueva unidad"</h2>
            <form on:submit=submit novalidate class="grid-form">
                <TextField id="key" label="Clave" value=key error=field_error(failure, "key") />
                <TextField id="name" label="Nombre" value=name error=field_error(failure, "name") />
                <div class="field checkbox">
                    <input id="is_ministry" type="checkbox" bind:checked=is_ministry />
                    <label for="is_ministry">"Pertenece a la Secretaría"</label>
                </div>
                <Alert failure=failure notice=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || busy.get()>"Crear unidad"</button>
            </form>
        </section>
    }
}
