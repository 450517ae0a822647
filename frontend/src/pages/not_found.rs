use leptos::prelude::*;
use leptos_router::components::A;

/// Inside the frame of every page, so that the menu stays at hand.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <div class="narrow">
            <h1>"Página no encontrada"</h1>
            <p>"La dirección que abrió no existe en Confrontas."</p>
            <p><A href="/">"Ir al inicio"</A></p>
        </div>
    }
}
