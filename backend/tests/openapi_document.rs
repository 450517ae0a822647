//! The committed `openapi/openapi.json` must be exactly what the server generates.
//! After changing the API, refresh it with `UPDATE_OPENAPI=1 cargo test -p confrontas-server --test openapi_document`.

use confrontas_server::app::openapi_document;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

#[test]
fn committed_openapi_document_is_current() {
    let generated = openapi_document().to_pretty_json().unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; run: UPDATE_OPENAPI=1 cargo test -p confrontas-server --test openapi_document"
    );
}

#[test]
fn every_operation_documents_its_errors_and_protected_ones_their_security() {
    let document: serde_json::Value =
        serde_json::from_str(&openapi_document().to_json().unwrap()).unwrap();
    let public = [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/token",
        "/health",
        "/ready",
    ];
    let paths = document["paths"].as_object().unwrap();
    assert!(
        paths.len() >= 15,
        "all routes are documented: {:?}",
        paths.keys()
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            if !public.contains(&path.as_str()) {
                assert!(
                    operation["security"].is_array(),
                    "{method} {path} declares bearer security"
                );
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            }
            if path.starts_with("/api/") {
                assert!(
                    responses.keys().any(|code| code.starts_with('4')),
                    "{method} {path} documents its errors"
                );
            }
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
