//! Talking to the server: JSON requests with the access token, one retry after refreshing an
//! expired token, and problem documents turned into Spanish messages.
//!
//! The access token lives only in memory; the refresh token in `sessionStorage` (one session per
//! tab, so two tabs never race to rotate the same single-use refresh token).

use std::cell::{Cell, RefCell};

use confrontas_api::{Problem, RefreshRequest, SessionTokens, paths};
use gloo_net::http::{Method, RequestBuilder, Response};
use gloo_storage::{SessionStorage, Storage};
use gloo_timers::callback::Timeout;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;

const REFRESH_TOKEN_KEY: &str = "confrontas.refresh_token";
/// Refresh this long before the access token expires.
const REFRESH_MARGIN_SECS: u64 = 60;

thread_local! {
    static ACCESS_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    static REFRESH_TIMER: RefCell<Option<Timeout>> = const { RefCell::new(None) };
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
    static ON_SESSION_LOST: RefCell<Option<Box<dyn Fn()>>> = RefCell::new(None);
}

/// A failed call: the server's problem document, or a network failure.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub problem: Option<Problem>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Shown by the pages' error boundary (`components::Loaded`) with its Spanish message.
impl std::error::Error for ApiError {}

impl ApiError {
    /// Field errors found before sending, shown exactly like the server's.
    pub fn from_fields(errors: Vec<confrontas_api::FieldError>) -> ApiError {
        let problem = Problem {
            problem_type: "urn:confrontas:problem:validation_failed".into(),
            title: "Datos no válidos".into(),
            status: 422,
            detail: "Revise los campos marcados.".into(),
            code: "validation_failed".into(),
            errors,
        };
        ApiError {
            status: 422,
            problem: Some(problem),
        }
    }

    fn network() -> ApiError {
        ApiError {
            status: 0,
            problem: None,
        }
    }

    /// What to show the person.
    pub fn message(&self) -> String {
        match &self.problem {
            Some(problem) => problem.detail.clone(),
            None if self.status == 0 => {
                "No se pudo conectar con el servidor. Revise su conexión e intente de nuevo.".into()
            }
            None => format!(
                "El servidor respondió con un error ({}). Intente de nuevo.",
                self.status
            ),
        }
    }

    /// Message for one field, when the server named it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.problem
            .as_ref()?
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

/// Called when the session cannot be renewed (the app then shows the login page).
pub fn on_session_lost(callback: impl Fn() + 'static) {
    ON_SESSION_LOST.with(|slot| *slot.borrow_mut() = Some(Box::new(callback)));
}

fn session_lost() {
    forget_tokens();
    ON_SESSION_LOST.with(|slot| {
        if let Some(callback) = slot.borrow().as_ref() {
            callback();
        }
    });
}

/// Keeps new tokens and schedules their renewal.
pub fn keep_tokens(tokens: &SessionTokens) {
    ACCESS_TOKEN.with(|slot| *slot.borrow_mut() = Some(tokens.access_token.clone()));
    let _ = SessionStorage::set(REFRESH_TOKEN_KEY, &tokens.refresh_token);
    let delay_ms = tokens.expires_in.saturating_sub(REFRESH_MARGIN_SECS).max(5) * 1000;
    let timer = Timeout::new(delay_ms.min(u32::MAX as u64) as u32, || {
        leptos::task::spawn_local(async {
            if renew().await.is_err() {
                session_lost();
            }
        });
    });
    REFRESH_TIMER.with(|slot| *slot.borrow_mut() = Some(timer));
}

pub fn forget_tokens() {
    ACCESS_TOKEN.with(|slot| *slot.borrow_mut() = None);
    REFRESH_TIMER.with(|slot| *slot.borrow_mut() = None);
    SessionStorage::delete(REFRESH_TOKEN_KEY);
}

pub fn has_stored_session() -> bool {
    SessionStorage::get::<String>(REFRESH_TOKEN_KEY).is_ok()
}

fn access_token() -> Option<String> {
    ACCESS_TOKEN.with(|slot| slot.borrow().clone())
}

/// Exchanges the stored refresh token for new tokens. Only one renewal runs at a time; callers
/// arriving meanwhile wait for it instead of spending the same single-use token twice.
pub async fn renew() -> Result<(), ApiError> {
    if REFRESHING.with(Cell::get) {
        while REFRESHING.with(Cell::get) {
            gloo_timers::future::TimeoutFuture::new(50).await;
        }
        return if access_token().is_some() {
            Ok(())
        } else {
            Err(ApiError {
                status: 401,
                problem: None,
            })
        };
    }
    let Ok(refresh_token) = SessionStorage::get::<String>(REFRESH_TOKEN_KEY) else {
        return Err(ApiError {
            status: 401,
            problem: None,
        });
    };
    REFRESHING.with(|flag| flag.set(true));
    let result = async {
        let response = send(
            Method::POST,
            &paths::auth::refresh(),
            Some(&RefreshRequest { refresh_token }),
            None,
        )
        .await?;
        let tokens: SessionTokens = read(response).await?;
        keep_tokens(&tokens);
        Ok(())
    }
    .await;
    if result.is_err() {
        forget_tokens();
    }
    REFRESHING.with(|flag| flag.set(false));
    result
}

async fn send<B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<Response, ApiError> {
    let mut builder = RequestBuilder::new(path)
        .method(method)
        .header("Accept", "application/json");
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => builder.json(body).map_err(|_| ApiError::network())?,
        None => builder.build().map_err(|_| ApiError::network())?,
    };
    request.send().await.map_err(|_| ApiError::network())
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response.json::<T>().await.map_err(|_| ApiError {
            status: response.status(),
            problem: None,
        });
    }
    Err(ApiError {
        status: response.status(),
        problem: response.json::<Problem>().await.ok(),
    })
}

/// An authenticated call; after a 401 it renews the session once and retries.
async fn call(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<Response, ApiError> {
    let response = send(method.clone(), path, body, access_token().as_deref()).await?;
    if response.status() != 401 || !has_stored_session() {
        return Ok(response);
    }
    if renew().await.is_err() {
        session_lost();
        return Ok(response);
    }
    send(method, path, body, access_token().as_deref()).await
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    read(call(Method::GET, path, None::<&()>).await?).await
}

pub async fn send_json<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    read(call(method, path, Some(body)).await?).await
}

/// A call whose success has no body (204).
pub async fn send_empty<B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<(), ApiError> {
    let response = call(method, path, body).await?;
    if response.ok() {
        Ok(())
    } else {
        Err(ApiError {
            status: response.status(),
            problem: response.json::<Problem>().await.ok(),
        })
    }
}

/// Follows a server-sent-events stream (`GET path` with the access token), calling `on_data`
/// with the data of each event, until the server ends it or `on_data` answers `false`.
/// `EventSource` cannot send the `Authorization` header, so the stream is read through `fetch`.
pub async fn follow_events(
    path: &str,
    mut on_data: impl FnMut(&str) -> bool,
) -> Result<(), ApiError> {
    use wasm_bindgen_futures::JsFuture;
    let response = call(Method::GET, path, None::<&()>).await?;
    if !response.ok() {
        return Err(ApiError {
            status: response.status(),
            problem: response.json::<Problem>().await.ok(),
        });
    }
    let body = response.body().ok_or_else(ApiError::network)?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| ApiError::network())?;
    let mut pending = String::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| ApiError::network())?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        let value =
            js_sys::Reflect::get(&chunk, &"value".into()).map_err(|_| ApiError::network())?;
        let bytes = js_sys::Uint8Array::new(&value).to_vec();
        pending.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            let data: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data: "))
                .collect();
            if !data.is_empty() && !on_data(&data.join("\n")) {
                let _ = reader.cancel();
                return Ok(());
            }
        }
    }
}

/// Sends a request built by `build` with the access token; after a 401 it renews the session
/// once and rebuilds the request (a `FormData` body can be sent again).
async fn call_built(
    build: impl Fn(Option<&str>) -> Result<gloo_net::http::Request, ApiError>,
) -> Result<Response, ApiError> {
    let first = build(access_token().as_deref())?
        .send()
        .await
        .map_err(|_| ApiError::network())?;
    if first.status() != 401 || !has_stored_session() {
        return Ok(first);
    }
    if renew().await.is_err() {
        session_lost();
        return Ok(first);
    }
    build(access_token().as_deref())?
        .send()
        .await
        .map_err(|_| ApiError::network())
}

/// A multipart form of text fields and files.
fn form_of(
    texts: &[(&str, String)],
    files: &[(&str, web_sys::File)],
) -> Result<web_sys::FormData, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::network())?;
    for (name, value) in texts {
        form.append_with_str(name, value)
            .map_err(|_| ApiError::network())?;
    }
    for (name, file) in files {
        form.append_with_blob_and_filename(name, file, &file.name())
            .map_err(|_| ApiError::network())?;
    }
    Ok(form)
}

async fn post_form_data(path: &str, form: web_sys::FormData) -> Result<Response, ApiError> {
    call_built(|token| {
        let mut builder = RequestBuilder::new(path)
            .method(Method::POST)
            .header("Accept", "application/json");
        if let Some(token) = token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        builder.body(form.clone()).map_err(|_| ApiError::network())
    })
    .await
}

async fn post_file(path: &str, file: &web_sys::File) -> Result<Response, ApiError> {
    post_form_data(path, form_of(&[], &[("file", file.clone())])?).await
}

/// Sends a multipart form (text fields and files) and reads the JSON answer.
pub async fn send_form<T: DeserializeOwned>(
    path: &str,
    texts: &[(&str, String)],
    files: &[(&str, web_sys::File)],
) -> Result<T, ApiError> {
    read(post_form_data(path, form_of(texts, files)?).await?).await
}

/// Uploads `file` (field `file`) and reads the JSON answer.
pub async fn upload<T: DeserializeOwned>(path: &str, file: &web_sys::File) -> Result<T, ApiError> {
    read(post_file(path, file).await?).await
}

/// Uploads `file` and saves the file the server answers with.
pub async fn upload_and_save(
    path: &str,
    file: &web_sys::File,
    fallback_name: &str,
) -> Result<(), ApiError> {
    save(post_file(path, file).await?, fallback_name).await
}

/// Downloads an authenticated file and hands it to the browser as a download.
pub async fn download(path: &str, fallback_name: &str) -> Result<(), ApiError> {
    let response = call_built(|token| {
        let mut builder = RequestBuilder::new(path).method(Method::GET);
        if let Some(token) = token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        builder.build().map_err(|_| ApiError::network())
    })
    .await?;
    save(response, fallback_name).await
}

/// Sends a JSON body and saves the file the server answers with.
pub async fn send_json_and_save<B: Serialize>(
    path: &str,
    body: &B,
    fallback_name: &str,
) -> Result<(), ApiError> {
    save(call(Method::POST, path, Some(body)).await?, fallback_name).await
}

/// Saves a file answer under the name of its `Content-Disposition`.
async fn save(response: Response, fallback_name: &str) -> Result<(), ApiError> {
    if !response.ok() {
        return Err(ApiError {
            status: response.status(),
            problem: response.json::<Problem>().await.ok(),
        });
    }
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|d| {
            d.split("filename=")
                .nth(1)
                .map(|n| n.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| fallback_name.to_owned());
    let bytes = response.binary().await.map_err(|_| ApiError::network())?;
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let parts = js_sys::Array::of1(&array);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|_| ApiError::network())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| ApiError::network())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(ApiError::network)?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| ApiError::network())?
        .dyn_into()
        .map_err(|_| ApiError::network())?;
    link.set_href(&url);
    link.set_download(&name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Login is unauthenticated and must not trigger the renewal logic.
pub async fn login(request: &confrontas_api::LoginRequest) -> Result<SessionTokens, ApiError> {
    read(send(Method::POST, &paths::auth::login(), Some(request), None).await?).await
}
