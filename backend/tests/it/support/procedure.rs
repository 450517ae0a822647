//! The request procedure as tests drive it: demo users' tokens, request forms with their
//! documents, and a request brought into attention.

use super::Expect;
use confrontas_api::RequestAction;
use confrontas_api::paths;
use confrontas_api::{RequestDetail, Role};
use confrontas_server::population::{DEMO_SEED, Population};
use reqwest::multipart::{Form, Part};

use super::Api;

pub struct Tokens {
    pub area: String,
    pub mesa: String,
    pub sub: String,
    pub admin: String,
}

impl Tokens {
    pub async fn of(app: &Api) -> Tokens {
        Tokens {
            area: app.login(Role::Area).await.access_token,
            mesa: app.login(Role::Mesa).await.access_token,
            sub: app.login(Role::Subdireccion).await.access_token,
            admin: app.login(Role::Admin).await.access_token,
        }
    }

    pub fn of_role(&self, role: Role) -> &str {
        match role {
            Role::Area => &self.area,
            Role::Mesa => &self.mesa,
            Role::Subdireccion => &self.sub,
            Role::Admin => &self.admin,
        }
    }
}

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec()
}

/// A certificate RENAPO could send: a server certificate for the simulator's host from a new
/// authority, with that authority (PEM, leaf first).
pub fn renapo_certificate() -> String {
    let (authority, leaf) =
        confrontas_server::simulator::pki::loopback_authority("Autoridad de prueba de RENAPO")
            .unwrap();
    format!("{}{}", leaf.pem, authority.pem())
}

/// A CSV layout of the demo people at `indices` (all in the registry when below 300).
pub fn layout(indices: &[u64]) -> Vec<u8> {
    let people = Population::new(DEMO_SEED);
    let mut csv = String::from("CURP,NOMBRE(S)\n");
    for i in indices {
        let person = people.person(*i);
        csv.push_str(&format!("{},{}\n", person.curp, person.given_names));
    }
    csv.into_bytes()
}

pub fn request_form(kind: &str, layout_file: Option<Vec<u8>>) -> Form {
    let mut form = Form::new()
        .text("request_type", kind.to_owned())
        .text("subject", "Confronta de productores de noviembre")
        .text("signer_name", "Ing. Ana Pérez Gómez")
        .text(
            "signer_position",
            "Directora General de Fomento a la Agricultura",
        )
        .part("oficio", Part::bytes(pdf()).file_name("oficio.pdf"));
    if let Some(bytes) = layout_file {
        form = form.part("layout", Part::bytes(bytes).file_name("layout.csv"));
    }
    form
}

pub async fn send_form(app: &Api, path: &str, token: &str, form: Form) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A RENAPO request with `layout_file`, submitted, forwarded and accepted.
pub async fn in_attention(app: &Api, tokens: &Tokens, layout_file: Vec<u8>) -> RequestDetail {
    of_kind_in_attention(app, tokens, "renapo", Some(layout_file)).await
}

/// A request of `kind` (with `layout_file` when it takes one), submitted, forwarded and accepted.
pub async fn of_kind_in_attention(
    app: &Api,
    tokens: &Tokens,
    kind: &str,
    layout_file: Option<Vec<u8>>,
) -> RequestDetail {
    let response = send_form(
        app,
        &paths::requests::submit(),
        &tokens.area,
        request_form(kind, layout_file),
    )
    .await;
    let mut request: RequestDetail = response.expect_json(201).await;
    for (action, token) in [
        (RequestAction::Forward, &tokens.mesa),
        (RequestAction::Accept, &tokens.sub),
    ] {
        let path = paths::requests::action(request.summary.id, action);
        let response = app
            .send_json(
                reqwest::Method::POST,
                &path,
                token,
                serde_json::json!({ "version": request.version }),
            )
            .await;
        request = response.expect_json(200).await;
    }
    request
}

/// An area user of another unit (the external organism, id 3).
pub async fn outsider(app: &Api, admin: &str) -> String {
    let created = app
        .send_json(
            reqwest::Method::POST,
            &paths::users::create(),
            admin,
            serde_json::json!({ "email": "externo@opa.mx", "name": "Usuario Externo", "position": "Enlace",
                    "unit_id": 3, "role": "area", "password": "contraseña-externa-1" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let login = app.login_as("externo@opa.mx", "contraseña-externa-1").await;
    assert_eq!(login.status(), 200);
    login
        .json::<confrontas_api::SessionTokens>()
        .await
        .unwrap()
        .access_token
}
