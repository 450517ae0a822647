//! The business-day calendar (admin): the mandatory rest days of the LFT, computed, and the
//! non-working days the admin declares (the ministry's DOF agreements), which SLA clocks skip.

use confrontas_api::{CalendarYear, NewNonWorkingDay, NonWorkingDay, NonWorkingKind, paths};
use gloo_net::http::Method;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, TextField, field_error};
use crate::url_state::use_url_state;

/// The year the page shows, kept in the URL (this year when absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct YearShown {
    year: Option<i32>,
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let this_year = chrono::Datelike::year(&chrono::Utc::now());
    let shown = use_url_state::<YearShown>();
    let year = Signal::derive(move || shown.get().year.unwrap_or(this_year));
    let show_year = move |year: i32| shown.push(&YearShown { year: Some(year) });
    let failure = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let date = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let calendar = LocalResource::new(move || {
        let url = paths::calendar::year(year.get());
        async move { api::get::<CalendarYear>(&url).await }
    });
    let declare = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(day) = date.get_untracked().parse() else {
            failure.set(Some(ApiError::from_fields(vec![
                confrontas_api::FieldError::new("date", "Elija la fecha."),
            ])));
            return;
        };
        let body = NewNonWorkingDay {
            date: day,
            name: name.get_untracked(),
        };
        if let Err(errors) = body.validate() {
            failure.set(Some(ApiError::from_fields(errors)));
            return;
        }
        leptos::task::spawn_local(async move {
            match api::send_json::<_, NonWorkingDay>(
                Method::POST,
                &paths::calendar::declare_day(),
                &body,
            )
            .await
            {
                Ok(day) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "El {} quedó como día inhábil: {}.",
                        day.date.format("%d/%m/%Y"),
                        day.name
                    )));
                    date.set(String::new());
                    name.set(String::new());
                    calendar.refetch();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    let remove = move |day: NonWorkingDay| {
        let Some(id) = day.id else { return };
        leptos::task::spawn_local(async move {
            let path = paths::calendar::declared_day(id);
            match api::send_empty(Method::DELETE, &path, None::<&()>).await {
                Ok(()) => {
                    failure.set(None);
                    notice.set(Some(format!(
                        "El {} volvió a ser día hábil.",
                        day.date.format("%d/%m/%Y")
                    )));
                    calendar.refetch();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <h1>"Calendario de días hábiles"</h1>
        <p class="lead">"Los plazos se cuentan en días hábiles de la Ciudad de México: de lunes a viernes, sin los días de descanso obligatorio del artículo 74 de la LFT ni los días inhábiles que se declaren aquí."</p>
        <section class="card" aria-labelledby="declare-title">
            <h2 id="declare-title">"Declarar un día inhábil"</h2>
            <form class="grid-form" on:submit=declare novalidate>
                <TextField id="date" label="Fecha" value=date error=field_error(failure, "date") input_type="date" />
                <TextField id="name" label="Motivo (acuerdo publicado en el DOF)" value=name error=field_error(failure, "name") />
                <Alert failure=failure notice=notice />
                <button type="submit">"Declarar inhábil"</button>
            </form>
        </section>
        <section class="card" aria-labelledby="year-title">
            <div class="section-head">
                <h2 id="year-title">{move || format!("Días inhábiles de {}", year.get())}</h2>
                <button type="button" class="ghost" on:click=move |_| show_year(year.get_untracked() - 1)>"Año anterior"</button>
                <button type="button" class="ghost" on:click=move |_| show_year(year.get_untracked() + 1)>"Año siguiente"</button>
            </div>
            <Loaded loading="Cargando calendario…">
                {move || calendar.get().map(|result| result.map(|cal| {
                    view! {
                        <p class="muted">{format!("{} días hábiles en el año ({}).", cal.business_days, cal.time_zone)}</p>
                        <table>
                            <caption class="visually-hidden">"Días inhábiles entre semana"</caption>
                            <thead><tr><th scope="col">"Fecha"</th><th scope="col">"Motivo"</th><th scope="col">"Origen"</th><th scope="col"><span class="visually-hidden">"Acciones"</span></th></tr></thead>
                            <tbody>
                                {cal.non_working_days.into_iter().map(|day| {
                                    let declared = day.kind == NonWorkingKind::Declared;
                                    let label = format!("Quitar el {}", day.date.format("%d/%m/%Y"));
                                    let target = day.clone();
                                    view! {
                                        <tr>
                                            <td>{day.date.format("%d/%m/%Y").to_string()}</td>
                                            <td>{day.name.clone()}</td>
                                            <td>{if declared { "Declarado" } else { "LFT art. 74" }}</td>
                                            <td>{declared.then(|| view! {
                                                <button type="button" class="ghost small" aria-label=label on:click=move |_| remove(target.clone())>"Quitar"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }))}
            </Loaded>
        </section>
    }
}
