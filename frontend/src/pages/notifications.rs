//! The person's notifications: what happened to which request, newest first, read or not.

use confrontas_api::{Notification, NotificationFilter, Page, paths};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, ApiError};
use crate::components::{Alert, Loaded, Pager, Position, format_time};
use crate::layout::Bell;
use crate::url_state::use_url_state;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let shown = use_url_state::<NotificationFilter>();
    let unread_only = move || shown.get().unread.unwrap_or(false);
    let revision = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<ApiError>);
    let bell = expect_context::<Bell>();
    let list = LocalResource::new(move || {
        revision.track();
        let url = paths::notifications::list(&NotificationFilter {
            per_page: Some(20),
            ..shown.get()
        });
        async move { api::get::<Page<Notification>>(&url).await }
    });
    let go_to = shown.page_opener();
    let post = move |path: String| {
        leptos::task::spawn_local(async move {
            let outcome = api::send_empty(Method::POST, &path, None::<&()>).await;
            failure.set(outcome.err());
            revision.update(|r| *r += 1);
            bell.refresh();
        });
    };
    view! {
        <div class="section-head">
            <h1>"Notificaciones"</h1>
            <button type="button" class="ghost" on:click=move |_| post(paths::notifications::read_all())>"Marcar todas como leídas"</button>
        </div>
        <p class="lead">"Avisos de las solicitudes en las que le toca actuar o que atendieron para su área."</p>
        <label class="checkbox">
            <input type="checkbox" prop:checked=unread_only on:change=move |e| {
                let unread = event_target_checked(&e).then_some(true);
                shown.push(&NotificationFilter { unread, ..NotificationFilter::default() });
            } />
            "Solo las no leídas"
        </label>
        <Alert failure=failure notice=Signal::derive(|| None::<String>) />
        <Loaded loading="Cargando notificaciones…">
            {move || list.get().map(|result| result.map(|value| match value {
                page_of if page_of.items.is_empty() => view! { <p class="empty">"No tiene notificaciones."</p> }.into_any(),
                page_of => {
                    let at = Position::of(&page_of);
                    view! {
                        <ul class="notifications">
                            {page_of.items.into_iter().map(|n| {
                                // A request's news opens the request; a certificate alert, the certificates.
                                let href = n.request_id.map_or_else(
                                    || "/certificados".to_owned(),
                                    |id| format!("/solicitudes/{id}"),
                                );
                                let read_path = paths::notifications::read(n.id);
                                let unread = n.read_at.is_none();
                                let on_open = read_path.clone();
                                view! {
                                    <li class:unread=unread>
                                        // Opening the request counts as reading its notice.
                                        <p><A href=href on:click=move |_| if unread { post(on_open.clone()) }>{n.message.clone()}</A></p>
                                        <p class="timeline-when">{format_time(Some(n.created_at))}
                                            {if n.read_at.is_none() { " · sin leer" } else { " · leída" }}</p>
                                        {n.read_at.is_none().then(|| view! {
                                            <button type="button" class="ghost small" on:click=move |_| post(read_path.clone())>"Marcar como leída"</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <Pager at=at go_to=go_to noun=("notificación", "notificaciones") />
                    }.into_any()
                }
            }))}
        </Loaded>
    }
}
