//! The frame of every authenticated page: skip link, header with navigation for the role,
//! the user's name and role, and logout.

use confrontas_api::{AuthorityMode, Readiness, Role, UnreadCount, paths};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_navigate;

use crate::api;
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
        href: "/solicitudes",
        label: "Solicitudes",
        roles: &[],
    },
    NavItem {
        href: "/indicadores",
        label: "Indicadores",
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
        href: "/padron/opinion-sat",
        label: "Verificar opinión SAT",
        roles: &[Role::Subdireccion, Role::Admin],
    },
    NavItem {
        href: "/certificados",
        label: "Certificado RENAPO",
        roles: &[Role::Mesa, Role::Subdireccion, Role::Admin],
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
        href: "/admin/niveles-de-servicio",
        label: "Niveles de servicio",
        roles: &[Role::Admin],
    },
    NavItem {
        href: "/admin/elegibilidad",
        label: "Elegibilidad",
        roles: &[Role::Admin],
    },
    NavItem {
        href: "/admin/calendario",
        label: "Calendario",
        roles: &[Role::Admin],
    },
    NavItem {
        href: "/perfil",
        label: "Mi perfil",
        roles: &[],
    },
];

/// The unread-notification count in the header; pages that read notifications refresh it.
#[derive(Clone, Copy)]
pub struct Bell(RwSignal<u32>);

impl Bell {
    pub fn refresh(&self) {
        self.0.update(|n| *n = n.wrapping_add(1));
    }
}

/// Seconds between checks for new notifications.
const BELL_POLL_SECS: u32 = 30;

#[component]
fn NotificationBell() -> impl IntoView {
    let bell = expect_context::<Bell>();
    let location = leptos_router::hooks::use_location();
    let session = use_session();
    let count = LocalResource::new(move || {
        bell.0.track();
        location.pathname.track();
        // Leaving (logout) changes the address too: nobody is left to ask for.
        let active = session.is_active() == Some(true);
        async move {
            if !active {
                return 0;
            }
            api::get::<UnreadCount>(&paths::notifications::unread_count())
                .await
                .map(|c| c.unread)
                .unwrap_or(0)
        }
    });
    // Kept with the component and dropped (stopped) with it.
    StoredValue::new_local(gloo_timers::callback::Interval::new(
        BELL_POLL_SECS * 1000,
        move || bell.refresh(),
    ));
    let label = move || match count.get() {
        Some(0) | None => "Notificaciones: ninguna sin leer".to_owned(),
        Some(1) => "Notificaciones: 1 sin leer".to_owned(),
        Some(n) => format!("Notificaciones: {n} sin leer"),
    };
    view! {
        <A href="/notificaciones" attr:class="bell" attr:aria-label=label attr:data-testid="bell">
            <svg class="bell-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/>
            </svg>
            {move || count.get().filter(|n| *n > 0).map(|n| view! { <span class="bell-count" aria-hidden="true">{n}</span> })}
        </A>
    }
}

/// Says so on every page when RENAPO's or the SAT's answers come from a built-in simulator.
#[component]
fn SimulatedRenapoBanner() -> impl IntoView {
    let readiness =
        LocalResource::new(|| async { api::get::<Readiness>(&paths::ops::ready()).await });
    move || {
        let ready = readiness.get().and_then(Result::ok)?;
        let simulated: Vec<&str> = [(ready.renapo, "RENAPO"), (ready.sat, "SAT en línea")]
            .into_iter()
            .filter(|(mode, _)| *mode == AuthorityMode::Simulator)
            .map(|(_, name)| name)
            .collect();
        (!simulated.is_empty()).then(|| {
            let text = format!(
                "Autoridad simulada ({}): las respuestas son sintéticas, del simulador integrado.",
                simulated.join(" y ")
            );
            view! { <p class="simulated" role="note" data-testid="simulated-renapo">{text}</p> }
        })
    }
}

#[component]
pub fn Layout() -> impl IntoView {
    let session = use_session();
    provide_context(Bell(RwSignal::new(0)));
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
                <NotificationBell />
                <span class="user-name">{move || session.me().map(|me| me.name).unwrap_or_default()}</span>
                <span class="role-badge">{move || session.role().map(|r| r.label()).unwrap_or("Cliente API")}</span>
                <button type="button" class="secondary" on:click=log_out disabled=move || leaving.get()>
                    "Cerrar sesión"
                </button>
            </div>
        </header>
        <SimulatedRenapoBanner />
        <main id="contenido" tabindex="-1">
            <Outlet />
        </main>
        <footer class="footer">
            "Servicio de Integración de Información de Confrontas · DGTIC/DSSD/003"
        </footer>
    }
}
