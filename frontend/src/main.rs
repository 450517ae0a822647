//! Confrontas single-page app (Leptos, client-side rendered, Spanish UI).

mod api;
mod app;
mod components;
mod layout;
mod pages;
mod session;
mod url_state;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
