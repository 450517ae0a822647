//! The frame of every authenticated page: skip link, header with navigation for the role,
//! the user's name and role, and logout.

use confrontas_api::Role;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_navigate;

use crate::session::use_session;

struct NavItem {
    href: &'static str,
    label: &'static str,
    /// Empty: every role.
    roles: &'static [Role],
}

const NAVIGATION: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "Inicio",
        roles: &[],
    },
    NavItem {
        href: "/padron",
        label: "Padrón",
        roles: &[Role::Subdireccion, Role::Admin],
    },
    NavItem {
        href: "/padron/importaciones",
        label: "Importar padrón",
        roles: &[Role::Subdireccion, Role::Admin],
    },
    NavItem {
        href: "/layout",
        label: "Validar layout",
        roles: &[],
    },
    NavItem {
        href: "/admin/usuarios",
        label: "Usuarios",
        roles: &[Role::Admin],
    },
    NavItem {
        href: "/admin/unidades",
        label: "Unidades",
        roles: &[Role::Admin],
    },
    NavItem {
        href: "/admin/clientes-api",
        label: "Clientes API",
        roles: &[Role::Admin],
    },
    NavItem {
        href: "/perfil",
        label: "Mi perfil",
        roles: &[],
    },
];

#[component]
pub fn Layout() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let leaving = RwSignal::new(false);
    let log_out = move |_| {
        leaving.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            session.log_out().await;
            navigate("/ingresar", Default::default());
        });
    };
    let links = move || {
        let role = session.role();
        NAVIGATION
            .iter()
            .filter(|item| item.roles.is_empty() || role.is_some_and(|r| item.roles.contains(&r)))
            .map(|item| view! { <li><A href=item.href exact=true>{item.label}</A></li> })
            .collect_view()
    };
    view! {
        <a class="skip-link" href="#contenido">"Saltar al contenido"</a>
        <header class="topbar">
            <span class="brand">"Confrontas"</span>
            <nav aria-label="Navegación principal">
                <ul>{links}</ul>
            </nav>
            <div class="user" data-testid="user-box">
                <span class="user-name">{move || session.me().map(|me| me.name).unwrap_or_default()}</span>
                <span class="role-badge">{move || session.role().map(|r| r.label()).unwrap_or("Cliente API")}</span>
                <button type="button" class="secondary" on:click=log_out disabled=move || leaving.get()>
                    "Cerrar sesión"
                </button>
            </div>
        </header>
        <main id="contenido" tabindex="-1">
            <Outlet />
        </main>
        <footer class="footer">
            "Servicio de Integración de Información de Confrontas · DGTIC/DSSD/003"
        </footer>
    }
}
