//! The frame of every authenticated page: skip link, header with navigation for the role,
//! the user's name and role, and logout.

use confrontas_api::{AuthorityMode, Readiness, Role, TrustStatus, UnreadCount, paths};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::pages::requests::list_href;
use crate::session::use_session;

struct NavItem {
    href: &'static str,
    label: &'static str,
    /// Empty: every role.
    roles: &'static [Role],
}

impl NavItem {
    fn is_for(&self, role: Option<Role>) -> bool {
        self.roles.is_empty() || role.is_some_and(|r| self.roles.contains(&r))
    }
}

/// An entry of the main menu: a page, or a group of pages opened as a submenu.
enum NavEntry {
    Page(NavItem),
    Group {
        label: &'static str,
        items: &'static [NavItem],
    },
}

const DATA_STAFF: &[Role] = &[Role::Subdireccion, Role::Admin];

const NAVIGATION: &[NavEntry] = &[
    NavEntry::Page(NavItem {
        href: "/",
        label: "Inicio",
        roles: &[],
    }),
    NavEntry::Page(NavItem {
        href: "/solicitudes",
        label: "Solicitudes",
        roles: &[],
    }),
    NavEntry::Group {
        label: "Padrón",
        items: &[
            NavItem {
                href: "/padron",
                label: "Consultar padrón",
                roles: DATA_STAFF,
            },
            NavItem {
                href: "/padron/importaciones",
                label: "Importar padrón",
                roles: DATA_STAFF,
            },
            NavItem {
                href: "/padron/opinion-sat",
                label: "Verificar opinión SAT",
                roles: DATA_STAFF,
            },
        ],
    },
    NavEntry::Page(NavItem {
        href: "/indicadores",
        label: "Indicadores",
        roles: &[],
    }),
    NavEntry::Group {
        label: "Herramientas",
        items: &[
            NavItem {
                href: "/layout",
                label: "Validar layout",
                roles: &[],
            },
            NavItem {
                href: "/certificados",
                label: "Certificado RENAPO",
                roles: &[Role::Mesa, Role::Subdireccion, Role::Admin],
            },
        ],
    },
    NavEntry::Group {
        label: "Administración",
        items: &[
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
        ],
    },
];

/// Whether the page at `pathname` is `href` or below it (`/padron/CURP` is in "Consultar
/// padrón"; `/` only itself).
fn is_within(pathname: &str, href: &str) -> bool {
    pathname == href || (href != "/" && pathname.starts_with(&format!("{href}/")))
}

/// `label` as an element id: lower case, accents off.
fn slug(label: &str) -> String {
    label
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            'ñ' => 'n',
            ' ' => '-',
            other => other,
        })
        .collect()
}

/// Whether a disclosure is open: it closes whenever another page is shown.
fn closed_on_navigation() -> RwSignal<bool> {
    let open = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    open
}

/// Whether the focus that `event` moves stays inside `container` (a menu closes when it leaves).
fn focus_stays_in(container: Option<web_sys::Node>, event: &web_sys::FocusEvent) -> bool {
    use wasm_bindgen::JsCast;
    let going = event
        .related_target()
        .and_then(|target| target.dyn_into::<web_sys::Node>().ok());
    container.is_some_and(|c| going.is_some_and(|node| c.contains(Some(&node))))
}

/// A disclosure menu (the WAI-ARIA "disclosure navigation" pattern): a button that shows and
/// hides its links. It closes when a page is chosen, on Escape (focus back on its button) and
/// when focus leaves it.
#[component]
fn NavGroup(label: &'static str, items: Vec<&'static NavItem>) -> impl IntoView {
    let open = closed_on_navigation();
    let id = format!("menu-{}", slug(label));
    let group = NodeRef::<leptos::html::Li>::new();
    let toggle = NodeRef::<leptos::html::Button>::new();
    let hrefs: Vec<&'static str> = items.iter().map(|item| item.href).collect();
    let location = leptos_router::hooks::use_location();
    let current = move || {
        let here = location.pathname.get();
        hrefs.iter().any(|href| is_within(&here, href))
    };
    let on_focusout = move |ev: web_sys::FocusEvent| {
        if !focus_stays_in(group.get().map(Into::into), &ev) {
            open.set(false);
        }
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
            if let Some(button) = toggle.get() {
                let _ = button.focus();
            }
        }
    };
    let links = items
        .into_iter()
        .map(|item| view! { <li><A href=item.href exact=true>{item.label}</A></li> })
        .collect_view();
    view! {
        <li class="nav-group" node_ref=group on:focusout=on_focusout on:keydown=on_keydown>
            <button
                type="button"
                class="nav-toggle"
                class:current=current
                node_ref=toggle
                aria-expanded=move || open.get().to_string()
                aria-controls=id.clone()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {label}
                <span class="caret" aria-hidden="true">"▾"</span>
            </button>
            <ul id=id class="submenu" hidden=move || !open.get()>{links}</ul>
        </li>
    }
}

/// The main menu for the signed-in role; on narrow screens behind a "Menú" button.
#[component]
fn MainMenu() -> impl IntoView {
    let session = use_session();
    let open = closed_on_navigation();
    let entries = move || {
        let role = session.role();
        NAVIGATION
            .iter()
            .filter_map(|entry| match entry {
                NavEntry::Page(item) => item.is_for(role).then(|| {
                    view! { <li><A href=item.href exact=true>{item.label}</A></li> }.into_any()
                }),
                NavEntry::Group { label, items } => {
                    let items: Vec<&'static NavItem> =
                        items.iter().filter(|item| item.is_for(role)).collect();
                    (!items.is_empty())
                        .then(|| view! { <NavGroup label=*label items /> }.into_any())
                }
            })
            .collect_view()
    };
    view! {
        <button
            type="button"
            class="menu-button secondary"
            aria-expanded=move || open.get().to_string()
            aria-controls="navegacion-principal"
            on:click=move |_| open.update(|o| *o = !*o)
        >
            "Menú"
        </button>
        <nav id="navegacion-principal" aria-label="Navegación principal" class:open=move || open.get()>
            <ul class="menu">{entries}</ul>
        </nav>
    }
}

/// The search every page has: a ticket, folio, CURP or words of the subject, answered by the
/// request list (`/solicitudes?q=…`). The `/` key opens it from anywhere but a text field.
#[component]
fn GlobalSearch() -> impl IntoView {
    let open = closed_on_navigation();
    let text = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if open.get()
            && let Some(input) = input.get()
        {
            // After the form is shown: a hidden field takes no focus.
            gloo_timers::callback::Timeout::new(0, move || {
                let _ = input.focus();
            })
            .forget();
        }
    });
    let shortcut = leptos::ev::keydown;
    let handle = window_event_listener(shortcut, move |ev: web_sys::KeyboardEvent| {
        use wasm_bindgen::JsCast;
        let typing = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if ev.key() == "/" && !typing && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() {
            ev.prevent_default();
            open.set(true);
        }
    });
    on_cleanup(move || handle.remove());
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let q = text.get_untracked().trim().to_owned();
        if q.is_empty() {
            return;
        }
        let filter = confrontas_api::RequestFilter {
            q: Some(q),
            ..Default::default()
        };
        text.set(String::new());
        open.set(false);
        navigate(&list_href(&filter), Default::default());
    };
    view! {
        <div class="global-search" on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { open.set(false) }>
            <button
                type="button"
                class="search-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls="busqueda-global"
                aria-label="Búsqueda de solicitudes"
                title="Búsqueda de solicitudes (tecla /)"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <path fill="currentColor" d="M10 2a8 8 0 0 1 6.32 12.9l5.39 5.4-1.41 1.41-5.4-5.39A8 8 0 1 1 10 2Zm0 2a6 6 0 1 0 0 12 6 6 0 0 0 0-12Z"/>
                </svg>
            </button>
            // Rendered only while open: its field is no second "Asunto" for the page's forms.
            {move || {
                let search = search.clone();
                open.get().then(move || view! {
                <form id="busqueda-global" role="search" on:submit=search>
                    <label for="busqueda-global-texto">"Buscar solicitud: ticket, folio, CURP o palabras del asunto"</label>
                    <input id="busqueda-global-texto" type="search" maxlength="100" autocomplete="off" node_ref=input bind:value=text />
                    <button type="submit">"Buscar"</button>
                </form>
                })
            }}
        </div>
    }
}

/// The signed-in person's menu: name and role on its button, profile and sign-out inside.
#[component]
fn UserMenu() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let leaving = RwSignal::new(false);
    let open = closed_on_navigation();
    let log_out = move |_| {
        leaving.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            session.log_out().await;
            navigate("/ingresar", Default::default());
        });
    };
    let box_ref = NodeRef::<leptos::html::Div>::new();
    let on_focusout = move |ev: web_sys::FocusEvent| {
        if !focus_stays_in(box_ref.get().map(Into::into), &ev) {
            open.set(false);
        }
    };
    view! {
        <div class="user" data-testid="user-box" node_ref=box_ref on:focusout=on_focusout
            on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { open.set(false) }>
            <button
                type="button"
                class="user-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls="menu-usuario"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span class="user-name">{move || session.me().map(|me| me.name).unwrap_or_default()}</span>
                <span class="role-badge">{move || session.role().map(|r| r.label()).unwrap_or("Cliente API")}</span>
                <svg class="user-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <path fill="currentColor" d="M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10Zm0 2c-4.4 0-9 2.2-9 5.5V22h18v-2.5c0-3.3-4.6-5.5-9-5.5Z"/>
                </svg>
                <span class="caret" aria-hidden="true">"▾"</span>
            </button>
            <ul id="menu-usuario" class="submenu user-menu" hidden=move || !open.get()>
                <li class="menu-note">{move || session.me().map(|me| me.name).unwrap_or_default()}</li>
                <li><A href="/perfil" exact=true>"Mi perfil"</A></li>
                <li>
                    <button type="button" class="link-like" on:click=log_out disabled=move || leaving.get()>
                        "Cerrar sesión"
                    </button>
                </li>
            </ul>
        </div>
    }
}

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
        // A temporary password answers nothing but its own change (the profile's form).
        let active = session.is_active() == Some(true)
            && !session.me().is_some_and(|me| me.must_change_password);
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
fn SimulatedRenapoBanner(
    readiness: LocalResource<Result<Readiness, api::ApiError>>,
) -> impl IntoView {
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
            // Compact in the header: the word, with the whole sentence for screen readers and
            // as the pointer's tooltip.
            let tooltip = text.clone();
            view! {
                <p class="simulated" role="note" data-testid="simulated-renapo" title=tooltip>
                    <span aria-hidden="true" class="long">"Simulador"</span>
                    <span aria-hidden="true" class="short">"Sim."</span>
                    <span class="visually-hidden">{text}</span>
                </p>
            }
        })
    }
}

/// RENAPO's certificate in trouble (expired, or refused in the handshake), on every page of
/// the people who can mend it: the sub-directorate, which deploys certificates, and the
/// administration.
#[component]
fn CertificateTrouble(readiness: LocalResource<Result<Readiness, api::ApiError>>) -> impl IntoView {
    let session = use_session();
    move || {
        let mends = matches!(session.role(), Some(Role::Subdireccion | Role::Admin));
        let trust = readiness.get().and_then(Result::ok)?.renapo_trust;
        (mends && trust.is_trouble()).then(|| {
            let text = match trust {
                TrustStatus::Expired => "El certificado de RENAPO desplegado venció: las consultas y confrontas con RENAPO están detenidas.",
                _ => "RENAPO presentó un certificado que Confrontas no reconoce: las consultas y confrontas con RENAPO están detenidas.",
            };
            view! {
                <div class="trust-alert" role="alert" data-testid="certificate-trouble">
                    <p>{text}" "<A href="/certificados">"Desplegar el certificado vigente en «Certificado RENAPO»"</A></p>
                </div>
            }
        })
    }
}

/// After moving to another page, focus goes to its heading, so that a screen reader announces
/// it and the keyboard starts there (the address's query changing — filters, pages — keeps
/// focus where it is).
fn focus_heading_on_navigation() {
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let here = location.pathname.get();
        if previous.is_some_and(|before| before != here) {
            gloo_timers::callback::Timeout::new(0, || {
                use wasm_bindgen::JsCast;
                let heading = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector("main h1").ok().flatten())
                    .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(heading) = heading {
                    heading.set_tab_index(-1);
                    let _ = heading.focus();
                }
            })
            .forget();
        }
        here
    });
}

/// A temporary password must be replaced before anything else: every page leads to the
/// profile's password form until it is (the server refuses the rest meanwhile).
fn replace_temporary_password_first() {
    let session = use_session();
    let location = leptos_router::hooks::use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let pending = session.me().is_some_and(|me| me.must_change_password);
        if pending && location.pathname.get() != "/perfil" {
            navigate("/perfil", Default::default());
        }
    });
}

#[component]
pub fn Layout() -> impl IntoView {
    provide_context(Bell(RwSignal::new(0)));
    focus_heading_on_navigation();
    replace_temporary_password_first();
    // Read again on every page: the certificate's trouble shows as soon as it starts and goes
    // once it is mended.
    let location = leptos_router::hooks::use_location();
    let readiness = LocalResource::new(move || {
        location.pathname.track();
        async { api::get::<Readiness>(&paths::ops::ready()).await }
    });
    view! {
        <a class="skip-link" href="#contenido">"Saltar al contenido"</a>
        <header class="topbar">
            <span class="brand">"Confrontas"</span>
            <MainMenu />
            <div class="topbar-end">
                <SimulatedRenapoBanner readiness=readiness />
                <GlobalSearch />
                <NotificationBell />
                <UserMenu />
            </div>
        </header>
        <CertificateTrouble readiness=readiness />
        <main id="contenido" tabindex="-1">
            <Outlet />
        </main>
        <footer class="footer">
            "Servicio de Integración de Información de Confrontas · DGTIC/DSSD/003"
        </footer>
    }
}
