use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main id="contenido" class="narrow">
            <h1>"Página no encontrada"</h1>
            <p>"La dirección que abrió no existe en Confrontas."</p>
            <p><A href="/">"Ir al inicio"</A></p>
        </main>
    }
}
