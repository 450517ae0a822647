use confrontas_api::{NewUnit, Page, Unit, UnitPatch};
use gloo_net::http::Method;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Alert, Pager, TextField, encode, field_error, status_badge};

#[component]
pub fn UnitsPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let units = LocalResource::new(move || {
        let url = format!(
            "/api/v1/units?per_page=20&page={}&q={}",
            page.get(),
            encode(&search.get())
        );
        async move { api::get::<Page<Unit>>(&url).await }
    });

    let toggle = move |unit: Unit| {
        leptos::task::spawn_local(async move {
            let patch = UnitPatch {
                active: Some(!unit.active),
                ..Default::default()
            };
            match api::send_json::<_, Unit>(
                Method::PATCH,
                &format!("/api/v1/units/{}", unit.id),
                &patch,
            )
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
                    <input id="units-search" type="search" bind:value=search on:input=move |_| page.set(1) />
                </div>
            </div>
            <Alert failure=failure notice=notice />
            <Suspense fallback=|| view! { <p role="status">"Cargando unidades…"</p> }>
                {move || units.get().map(|result| match result {
                    Err(error) => view! { <p class="alert-error" role="alert">{error.message()}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! { <p class="empty">"No hay unidades que coincidan con la búsqueda."</p> }.into_any(),
                    Ok(list) => {
                        let (count, total) = (list.page_count(), list.total);
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
                            <Pager page=page page_count=count total=total noun=("unidad", "unidades") />
                        }.into_any()
                    }
                })}
            </Suspense>
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
            let outcome = api::send_json::<_, Unit>(Method::POST, "/api/v1/units", &unit).await;
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
