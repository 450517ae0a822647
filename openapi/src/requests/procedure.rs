//! The procedure of a request: where it is (its state), the actions that move it and who may
//! take each from which states, and the events its timeline records. The transition table lives
//! here so the server enforces it and the SPA shows the same buttons (`docs/architecture.md`,
//! "The request procedure").

use serde::{Deserialize, Serialize};

use crate::auth::Role;

/// Where a request is in its procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Submitted,
    Observed,
    Forwarded,
    Rejected,
    InProgress,
    Resolved,
    Closed,
    Cancelled,
}

impl RequestState {
    pub const ALL: [RequestState; 8] = [
        RequestState::Submitted,
        RequestState::Observed,
        RequestState::Forwarded,
        RequestState::Rejected,
        RequestState::InProgress,
        RequestState::Resolved,
        RequestState::Closed,
        RequestState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::Observed => "observed",
            RequestState::Forwarded => "forwarded",
            RequestState::Rejected => "rejected",
            RequestState::InProgress => "in_progress",
            RequestState::Resolved => "resolved",
            RequestState::Closed => "closed",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestState::Submitted => "Recibida",
            RequestState::Observed => "Con observaciones",
            RequestState::Forwarded => "Turnada",
            RequestState::Rejected => "No procedente",
            RequestState::InProgress => "En atención",
            RequestState::Resolved => "Atendida",
            RequestState::Closed => "Cerrada",
            RequestState::Cancelled => "Cancelada",
        }
    }

    /// The role that acts next, `None` once the request is over.
    pub fn next_role(self) -> Option<Role> {
        match self {
            RequestState::Submitted | RequestState::Rejected | RequestState::Resolved => {
                Some(Role::Mesa)
            }
            RequestState::Observed => Some(Role::Area),
            RequestState::Forwarded | RequestState::InProgress => Some(Role::Subdireccion),
            RequestState::Closed | RequestState::Cancelled => None,
        }
    }

    /// Closed and cancelled requests are read-only.
    pub fn is_open(self) -> bool {
        self.next_role().is_some()
    }
}

/// What can be done to a request. `Submit` creates it; the others move it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Published wording, kept as it is (`docs/architecture.md`, "The contract").
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "What can be done to a request. `Submit` creates it; the others move it (DESIGN §5)."
    )
)]
#[serde(rename_all = "snake_case")]
pub enum RequestAction {
    Submit,
    Observe,
    Resubmit,
    Forward,
    Accept,
    Reject,
    Resolve,
    Close,
    Cancel,
}

impl RequestAction {
    pub const ALL: [RequestAction; 9] = [
        RequestAction::Submit,
        RequestAction::Observe,
        RequestAction::Resubmit,
        RequestAction::Forward,
        RequestAction::Accept,
        RequestAction::Reject,
        RequestAction::Resolve,
        RequestAction::Close,
        RequestAction::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Submit => "submit",
            RequestAction::Observe => "observe",
            RequestAction::Resubmit => "resubmit",
            RequestAction::Forward => "forward",
            RequestAction::Accept => "accept",
            RequestAction::Reject => "reject",
            RequestAction::Resolve => "resolve",
            RequestAction::Close => "close",
            RequestAction::Cancel => "cancel",
        }
    }

    pub fn parse(value: &str) -> Option<RequestAction> {
        RequestAction::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// The button's text.
    pub fn label(self) -> &'static str {
        match self {
            RequestAction::Submit => "Enviar solicitud",
            RequestAction::Observe => "Enviar observaciones",
            RequestAction::Resubmit => "Reenviar corregida",
            RequestAction::Forward => "Turnar y emitir folio",
            RequestAction::Accept => "Aceptar para atención",
            RequestAction::Reject => "Declarar no procedente",
            RequestAction::Resolve => "Marcar como atendida",
            RequestAction::Close => "Cerrar ticket",
            RequestAction::Cancel => "Cancelar solicitud",
        }
    }

    /// What the timeline says happened.
    pub fn past_tense(self) -> &'static str {
        match self {
            RequestAction::Submit => "Solicitud enviada",
            RequestAction::Observe => "Observaciones enviadas al área",
            RequestAction::Resubmit => "Solicitud corregida y reenviada",
            RequestAction::Forward => "Turnada a la Subdirección con folio",
            RequestAction::Accept => "Aceptada para atención",
            RequestAction::Reject => "Declarada no procedente",
            RequestAction::Resolve => "Atendida",
            RequestAction::Close => "Ticket cerrado",
            RequestAction::Cancel => "Cancelada por el área",
        }
    }

    /// The only role that may take the action.
    pub fn role(self) -> Role {
        match self {
            RequestAction::Submit | RequestAction::Resubmit | RequestAction::Cancel => Role::Area,
            RequestAction::Observe | RequestAction::Forward | RequestAction::Close => Role::Mesa,
            RequestAction::Accept | RequestAction::Reject | RequestAction::Resolve => {
                Role::Subdireccion
            }
        }
    }

    /// The states the action may be taken from (none for `Submit`, which creates the request).
    pub fn from_states(self) -> &'static [RequestState] {
        match self {
            RequestAction::Submit => &[],
            RequestAction::Observe | RequestAction::Forward => &[RequestState::Submitted],
            RequestAction::Resubmit => &[RequestState::Observed],
            RequestAction::Accept | RequestAction::Reject => &[RequestState::Forwarded],
            RequestAction::Resolve => &[RequestState::InProgress],
            RequestAction::Close => &[RequestState::Resolved, RequestState::Rejected],
            RequestAction::Cancel => &[RequestState::Submitted, RequestState::Observed],
        }
    }

    /// The state the action leads to.
    pub fn to_state(self) -> RequestState {
        match self {
            RequestAction::Submit | RequestAction::Resubmit => RequestState::Submitted,
            RequestAction::Observe => RequestState::Observed,
            RequestAction::Forward => RequestState::Forwarded,
            RequestAction::Accept => RequestState::InProgress,
            RequestAction::Reject => RequestState::Rejected,
            RequestAction::Resolve => RequestState::Resolved,
            RequestAction::Close => RequestState::Closed,
            RequestAction::Cancel => RequestState::Cancelled,
        }
    }

    /// The actions `role` may take on a request in `state`.
    pub fn available(state: RequestState, role: Role) -> Vec<RequestAction> {
        RequestAction::ALL
            .into_iter()
            .filter(|a| a.role() == role && a.from_states().contains(&state))
            .collect()
    }
}

/// What a timeline entry records: an action, or an event that does not change the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineEvent {
    Submit,
    Observe,
    Resubmit,
    Forward,
    Accept,
    Reject,
    Resolve,
    Close,
    Cancel,
    /// A document was attached without a change of state.
    AttachmentAdded,
    /// The certificate RENAPO e-mailed was uploaded (starts the deployment clock).
    CertificateReceived,
    /// The certificate was deployed on the consultation service (stops the deployment clock).
    CertificateDeployed,
}

impl TimelineEvent {
    pub const ALL: [TimelineEvent; 12] = [
        TimelineEvent::Submit,
        TimelineEvent::Observe,
        TimelineEvent::Resubmit,
        TimelineEvent::Forward,
        TimelineEvent::Accept,
        TimelineEvent::Reject,
        TimelineEvent::Resolve,
        TimelineEvent::Close,
        TimelineEvent::Cancel,
        TimelineEvent::AttachmentAdded,
        TimelineEvent::CertificateReceived,
        TimelineEvent::CertificateDeployed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineEvent::AttachmentAdded => "attachment_added",
            TimelineEvent::CertificateReceived => "certificate_received",
            TimelineEvent::CertificateDeployed => "certificate_deployed",
            other => other.action().map_or("", RequestAction::as_str),
        }
    }

    pub fn parse(value: &str) -> Option<TimelineEvent> {
        TimelineEvent::ALL.into_iter().find(|e| e.as_str() == value)
    }

    /// The action this entry records, if it is one.
    pub fn action(self) -> Option<RequestAction> {
        Some(match self {
            TimelineEvent::Submit => RequestAction::Submit,
            TimelineEvent::Observe => RequestAction::Observe,
            TimelineEvent::Resubmit => RequestAction::Resubmit,
            TimelineEvent::Forward => RequestAction::Forward,
            TimelineEvent::Accept => RequestAction::Accept,
            TimelineEvent::Reject => RequestAction::Reject,
            TimelineEvent::Resolve => RequestAction::Resolve,
            TimelineEvent::Close => RequestAction::Close,
            TimelineEvent::Cancel => RequestAction::Cancel,
            TimelineEvent::AttachmentAdded
            | TimelineEvent::CertificateReceived
            | TimelineEvent::CertificateDeployed => return None,
        })
    }

    pub fn of_action(action: RequestAction) -> TimelineEvent {
        TimelineEvent::ALL
            .into_iter()
            .find(|e| e.action() == Some(action))
            .expect("every action has its timeline event")
    }

    pub fn label(self) -> &'static str {
        match self {
            TimelineEvent::AttachmentAdded => "Documento agregado",
            TimelineEvent::CertificateReceived => "Certificado de RENAPO recibido",
            TimelineEvent::CertificateDeployed => "Certificado desplegado",
            other => other.action().map_or("", RequestAction::past_tense),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_but_the_last_two_has_a_next_role_and_an_action_for_it() {
        for state in RequestState::ALL {
            match state.next_role() {
                Some(role) => assert!(
                    !RequestAction::available(state, role).is_empty(),
                    "{state:?}: {role:?} has nothing to do"
                ),
                None => assert!(
                    Role::ALL
                        .iter()
                        .all(|role| RequestAction::available(state, *role).is_empty()),
                    "{state:?} is over"
                ),
            }
        }
    }

    #[test]
    fn the_table_is_the_one_of_the_design() {
        use RequestState::*;
        let edges: Vec<(RequestState, &str, RequestState)> = RequestAction::ALL
            .into_iter()
            .flat_map(|a| {
                a.from_states()
                    .iter()
                    .map(move |s| (*s, a.as_str(), a.to_state()))
            })
            .collect();
        assert_eq!(
            edges,
            [
                (Submitted, "observe", Observed),
                (Observed, "resubmit", Submitted),
                (Submitted, "forward", Forwarded),
                (Forwarded, "accept", InProgress),
                (Forwarded, "reject", Rejected),
                (InProgress, "resolve", Resolved),
                (Resolved, "close", Closed),
                (Rejected, "close", Closed),
                (Submitted, "cancel", Cancelled),
                (Observed, "cancel", Cancelled),
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for state in RequestState::ALL {
            assert_eq!(RequestState::parse(state.as_str()), Some(state));
        }
        for event in TimelineEvent::ALL {
            assert_eq!(TimelineEvent::parse(event.as_str()), Some(event));
        }
        for action in RequestAction::ALL {
            assert_eq!(TimelineEvent::of_action(action).action(), Some(action));
        }
    }
}
