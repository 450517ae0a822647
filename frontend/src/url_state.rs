//! A page's state in the URL's query string, as one of the contract's query types (or a page's
//! own): a reload, the back button or a shared link open the page as it was. The query string
//! is written and read by the contract (`confrontas_api::paths`), so it is the same one the API
//! takes (`docs/architecture.md`, "The SPA").

use std::sync::Arc;

use confrontas_api::{
    FarmerFilter, ItemFilter, NameFilter, NotificationFilter, PageParams, RequestFilter,
    UserFilter, paths,
};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use serde::Serialize;
use serde::de::DeserializeOwned;

type Navigate = Arc<dyn Fn(&str, NavigateOptions) + Send + Sync>;

/// The state of type `T` the current URL holds (its default when the query string holds none,
/// or something else).
pub struct UrlState<T: Send + Sync + 'static> {
    current: Memo<T>,
    pathname: Memo<String>,
    navigate: StoredValue<Navigate>,
}

impl<T: Send + Sync + 'static> Clone for UrlState<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for UrlState<T> {}

/// The page's URL state; call it where the page is set up (it reads the router's context).
pub fn use_url_state<T>() -> UrlState<T>
where
    T: Serialize + DeserializeOwned + Default + Clone + PartialEq + Send + Sync + 'static,
{
    let location = use_location();
    let navigate = use_navigate();
    UrlState {
        current: Memo::new(move |_| {
            paths::parse_query::<T>(&location.search.get()).unwrap_or_default()
        }),
        pathname: location.pathname,
        navigate: StoredValue::new(Arc::new(navigate)),
    }
}

impl<T> UrlState<T>
where
    T: Serialize + Clone + PartialEq + Send + Sync + 'static,
{
    pub fn get(&self) -> T {
        self.current.get()
    }

    pub fn get_untracked(&self) -> T {
        self.current.get_untracked()
    }

    /// Opens the page with `next` as its state, as a new step of the history (back returns to
    /// the state before).
    pub fn push(&self, next: &T) {
        self.go(next, false);
    }

    /// Changes the state without a new step of the history (while a person types, so back
    /// does not step through every keystroke).
    pub fn replace(&self, next: &T) {
        self.go(next, true);
    }

    /// Changes the state with `change`, as a new step of the history.
    pub fn update(&self, change: impl FnOnce(&mut T)) {
        let mut next = self.get_untracked();
        change(&mut next);
        self.push(&next);
    }

    fn go(&self, next: &T, replace: bool) {
        if *next == self.get_untracked() {
            return;
        }
        let url = paths::with_query(self.pathname.get_untracked(), next);
        let options = NavigateOptions {
            replace,
            scroll: false,
            ..NavigateOptions::default()
        };
        self.navigate.with_value(|navigate| navigate(&url, options));
    }
}

/// A list's state that holds the number of the page shown.
pub trait Paged {
    fn page_mut(&mut self) -> &mut Option<u32>;
}

macro_rules! paged {
    ($($state:ty),*) => {$(
        impl Paged for $state {
            fn page_mut(&mut self) -> &mut Option<u32> {
                &mut self.page
            }
        }
    )*};
}

paged!(
    UserFilter,
    NameFilter,
    FarmerFilter,
    RequestFilter,
    NotificationFilter,
    ItemFilter,
    PageParams
);

impl<T> UrlState<T>
where
    T: Paged + Serialize + Clone + PartialEq + Send + Sync + 'static,
{
    /// Changes what the list is filtered or ordered by, as a new step of the history; the list
    /// starts again at its first page.
    pub fn refilter(&self, change: impl FnOnce(&mut T)) {
        self.push(&self.refiltered(change));
    }

    /// Like `refilter`, for a search that follows each keystroke: the history keeps one step
    /// for the whole search.
    pub fn refilter_as_typed(&self, change: impl FnOnce(&mut T)) {
        self.replace(&self.refiltered(change));
    }

    fn refiltered(&self, change: impl FnOnce(&mut T)) -> T {
        let mut next = self.get_untracked();
        change(&mut next);
        *next.page_mut() = None;
        next
    }

    /// What the list's pager calls to open another page, as a new step of the history.
    pub fn page_opener(&self) -> Callback<u32> {
        let state = *self;
        Callback::new(move |page| state.update(|shown| *shown.page_mut() = Some(page)))
    }
}

/// Keeps a form field showing what the URL says (after a reload, back or a shared link),
/// without touching it while it already does: setting an equal value would move the caret of
/// a field being typed in.
pub fn follow_url(field: RwSignal<String>, in_url: impl Fn() -> String + Send + Sync + 'static) {
    Effect::new(move |_| {
        let value = in_url();
        if field.get_untracked() != value {
            field.set(value);
        }
    });
}
