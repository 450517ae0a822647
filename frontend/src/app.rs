//! Routes. Everything but the login page sits inside the authenticated layout.

use confrontas_api::Role;
use leptos::prelude::*;
use leptos_router::components::{Outlet, ProtectedParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::layout::Layout;
use crate::pages::admin::{
    api_clients::ApiClientsPage, calendar::CalendarPage, eligibility::EligibilityPolicyPage,
    sla::SlaPoliciesPage, units::UnitsPage, users::UsersPage,
};
use crate::pages::certificates::CertificatesPage;
use crate::pages::confrontations::{kpis::KpiPage, page::ConfrontationPage};
use crate::pages::registry::{
    farmer::FarmerPage, imports::ImportsPage, opinion::OpinionPage, search::RegistryPage,
};
use crate::pages::requests::{detail::RequestPage, list::RequestsPage, new::NewRequestPage};
use crate::pages::{
    home::HomePage, layouts::LayoutCheckPage, login::LoginPage, not_found::NotFoundPage,
    notifications::NotificationsPage, profile::ProfilePage,
};
use crate::session::Session;

#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    view! {
        <Router>
            // Every address is matched inside the frame (an unknown one by its last route); the
            // fallback is never reached.
            <Routes fallback=NotFoundPage>
                <Route path=path!("/ingresar") view=LoginPage />
                <ProtectedParentRoute
                    path=path!("")
                    view=Layout
                    condition=move || session.is_active()
                    redirect_path=sign_in_and_return
                    fallback=|| view! { <p class="loading" role="status">"Recuperando su sesión…"</p> }
                >
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("perfil") view=ProfilePage />
                    <Route path=path!("layout") view=LayoutCheckPage />
                    <Route path=path!("notificaciones") view=NotificationsPage />
                    <Route path=path!("solicitudes") view=RequestsPage />
                    <ProtectedParentRoute
                        path=path!("solicitudes/nueva")
                        view=Outlet
                        condition=move || session.is_active().map(|_| session.role() == Some(Role::Area))
                        redirect_path=|| "/solicitudes"
                    >
                        <Route path=path!("") view=NewRequestPage />
                    </ProtectedParentRoute>
                    <Route path=path!("solicitudes/:id") view=RequestPage />
                    <Route path=path!("confrontas/:id") view=ConfrontationPage />
                    <Route path=path!("indicadores") view=KpiPage />
                    <ProtectedParentRoute
                        path=path!("certificados")
                        view=Outlet
                        condition=move || session.is_active().map(|_| matches!(session.role(), Some(Role::Mesa | Role::Subdireccion | Role::Admin)))
                        redirect_path=|| "/"
                    >
                        <Route path=path!("") view=CertificatesPage />
                    </ProtectedParentRoute>
                    <ProtectedParentRoute
                        path=path!("padron")
                        view=Outlet
                        condition=move || session.is_active().map(|_| matches!(session.role(), Some(Role::Subdireccion | Role::Admin)))
                        redirect_path=|| "/"
                    >
                        <Route path=path!("") view=RegistryPage />
                        <Route path=path!("importaciones") view=ImportsPage />
                        <Route path=path!("opinion-sat") view=OpinionPage />
                        <Route path=path!(":curp") view=FarmerPage />
                    </ProtectedParentRoute>
                    <ProtectedParentRoute
                        path=path!("admin")
                        view=Outlet
                        condition=move || session.is_active().map(|_| session.role() == Some(Role::Admin))
                        redirect_path=|| "/"
                    >
                        <Route path=path!("usuarios") view=UsersPage />
                        <Route path=path!("unidades") view=UnitsPage />
                        <Route path=path!("clientes-api") view=ApiClientsPage />
                        <Route path=path!("niveles-de-servicio") view=SlaPoliciesPage />
                        <Route path=path!("elegibilidad") view=EligibilityPolicyPage />
                        <Route path=path!("calendario") view=CalendarPage />
                    </ProtectedParentRoute>
                    <Route path=path!("*any") view=NotFoundPage />
                </ProtectedParentRoute>
            </Routes>
        </Router>
    }
}

/// The sign-in page, asked to return afterwards to the page that needed it (its path and
/// query; the login page follows only same-origin paths).
fn sign_in_and_return() -> String {
    let location = web_sys::window().map(|w| w.location());
    let here = location
        .map(|l| {
            format!(
                "{}{}",
                l.pathname().unwrap_or_default(),
                l.search().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    if here.is_empty() || here == "/" || here.starts_with("/ingresar") {
        "/ingresar".to_owned()
    } else {
        format!(
            "/ingresar?siguiente={}",
            String::from(js_sys::encode_uri_component(&here))
        )
    }
}
