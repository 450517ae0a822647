//! Who is logged in, shared through context.

use confrontas_api::{Me, Role, paths};
use leptos::prelude::*;

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    /// A stored session is being renewed after a page load.
    Restoring,
    Anonymous,
    Active(Box<Me>),
}

#[derive(Debug, Clone, Copy)]
pub struct Session(pub RwSignal<SessionState>);

impl Session {
    pub fn provide() -> Session {
        let initial = if api::has_stored_session() {
            SessionState::Restoring
        } else {
            SessionState::Anonymous
        };
        let session = Session(RwSignal::new(initial));
        provide_context(session);
        api::on_session_lost(move || session.0.set(SessionState::Anonymous));
        if session.0.get_untracked() == SessionState::Restoring {
            leptos::task::spawn_local(async move {
                let restored = match api::renew().await {
                    Ok(()) => api::get::<Me>(&paths::auth::me()).await.ok(),
                    Err(_) => None,
                };
                session
                    .0
                    .set(restored.map_or(SessionState::Anonymous, |me| {
                        SessionState::Active(Box::new(me))
                    }));
            });
        }
        session
    }

    pub fn me(&self) -> Option<Me> {
        match self.0.get() {
            SessionState::Active(me) => Some(*me),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.me().and_then(|me| me.role)
    }

    /// `Some(true)` logged in, `Some(false)` not, `None` still finding out (for protected routes).
    pub fn is_active(&self) -> Option<bool> {
        match self.0.get() {
            SessionState::Restoring => None,
            SessionState::Anonymous => Some(false),
            SessionState::Active(_) => Some(true),
        }
    }

    pub async fn log_out(&self) {
        // Even if the server cannot be reached, this tab forgets the session.
        let _ = api::send_empty(
            gloo_net::http::Method::POST,
            &paths::auth::logout(),
            None::<&()>,
        )
        .await;
        api::forget_tokens();
        self.0.set(SessionState::Anonymous);
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
