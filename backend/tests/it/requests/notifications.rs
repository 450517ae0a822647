//! Notifications reach who acts next, and the area at every step of its request, saying what
//! happened.

use crate::support::TestApp;
use crate::support::procedure::Tokens;
use confrontas_api::NotificationFilter;
use confrontas_api::paths;
use confrontas_api::{Notification, Page, RequestAction, TimelineEvent, UnreadCount};
use reqwest::Method;
use serde_json::json;

use super::*;

on_both_backends!(notifications_reach_who_acts_next_and_the_area_when_answered,);

async fn unread(app: &TestApp, token: &str) -> u64 {
    app.get(&paths::notifications::unread_count(), token)
        .await
        .json::<UnreadCount>()
        .await
        .unwrap()
        .unread
}

async fn notifications_reach_who_acts_next_and_the_area_when_answered(app: TestApp) {
    let tokens = Tokens::of(&app).await;
    let submitted = submit(&app, &tokens.area).await;
    assert_eq!(unread(&app, &tokens.mesa).await, 1, "the desk acts next");
    assert_eq!(
        unread(&app, &tokens.area).await,
        0,
        "nobody is told of their own action"
    );
    assert_eq!(unread(&app, &tokens.sub).await, 0);

    let observed = step(&app, &tokens, &submitted, RequestAction::Observe).await;
    assert_eq!(unread(&app, &tokens.area).await, 1);
    let news: Page<Notification> = app
        .get_ok(
            &paths::notifications::list(&Default::default()),
            &tokens.area,
        )
        .await;
    assert_eq!(news.items[0].event, Some(TimelineEvent::Observe));
    assert_eq!(news.items[0].request_id, Some(submitted.summary.id));
    assert!(
        news.items[0]
            .message
            .starts_with(&submitted.summary.ticket_number)
    );

    let resubmitted = step(&app, &tokens, &observed, RequestAction::Resubmit).await;
    let forwarded = step(&app, &tokens, &resubmitted, RequestAction::Forward).await;
    assert_eq!(
        unread(&app, &tokens.sub).await,
        1,
        "the sub-directorate acts next"
    );
    assert_eq!(unread(&app, &tokens.area).await, 2, "told of the folio");
    let accepted = step(&app, &tokens, &forwarded, RequestAction::Accept).await;
    assert_eq!(unread(&app, &tokens.area).await, 3, "told it is attended");
    let resolved = step(&app, &tokens, &accepted, RequestAction::Resolve).await;
    assert_eq!(
        unread(&app, &tokens.area).await,
        4,
        "told of the resolution"
    );
    step(&app, &tokens, &resolved, RequestAction::Close).await;
    assert_eq!(unread(&app, &tokens.area).await, 5, "told of the close");

    // Each reads ticket, subject and what happened, in the area's words.
    let area_news: Page<Notification> = app
        .get_ok(
            &paths::notifications::list(&Default::default()),
            &tokens.area,
        )
        .await;
    let by_event = |event: TimelineEvent| {
        area_news
            .items
            .iter()
            .find(|n| n.event == Some(event))
            .map(|n| n.message.clone())
            .unwrap_or_else(|| panic!("no {event:?} notification"))
    };
    let ticket = &submitted.summary.ticket_number;
    let head = format!("{ticket} «{}»: ", submitted.summary.subject);
    let folio = forwarded.summary.folio.as_deref().unwrap();
    assert_eq!(
        by_event(TimelineEvent::Forward),
        format!("{head}turnada a la Subdirección con el folio {folio}.")
    );
    assert_eq!(
        by_event(TimelineEvent::Accept),
        format!("{head}la Subdirección la aceptó y la está atendiendo.")
    );
    assert!(
        by_event(TimelineEvent::Observe)
            .starts_with(&format!("{head}la Mesa de Servicios le pide corregir: ")),
        "{}",
        by_event(TimelineEvent::Observe)
    );
    assert!(
        by_event(TimelineEvent::Resolve).starts_with(&format!("{head}atendida: ")),
        "{}",
        by_event(TimelineEvent::Resolve)
    );

    let forward_news: Page<Notification> = app
        .get_ok(
            &paths::notifications::list(&NotificationFilter {
                unread: Some(true),
                ..Default::default()
            }),
            &tokens.sub,
        )
        .await;
    assert!(
        forward_news.items[0]
            .message
            .contains(forwarded.summary.folio.as_deref().unwrap())
    );

    // Read one, then all.
    let first = news.items[0].id;
    let marked = app
        .send_json(
            Method::POST,
            &paths::notifications::read(first),
            &tokens.area,
            json!(null),
        )
        .await;
    assert_eq!(marked.status(), 204);
    assert_eq!(unread(&app, &tokens.area).await, 4);
    let unread_list: Page<Notification> = app
        .get_ok(
            &paths::notifications::list(&NotificationFilter {
                unread: Some(true),
                ..Default::default()
            }),
            &tokens.area,
        )
        .await;
    assert_eq!(unread_list.total, 4);
    assert!(unread_list.items.iter().all(|n| n.read_at.is_none()));
    let all = app
        .send_json(
            Method::POST,
            &paths::notifications::read_all(),
            &tokens.area,
            json!(null),
        )
        .await;
    assert_eq!(all.status(), 204);
    assert_eq!(unread(&app, &tokens.area).await, 0);
    let everything: Page<Notification> = app
        .get_ok(
            &paths::notifications::list(&Default::default()),
            &tokens.area,
        )
        .await;
    assert_eq!(everything.total, 5);
}
