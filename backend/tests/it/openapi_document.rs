//! The committed `openapi/openapi.json` must be exactly what the server generates, and every
//! path the contract builds must be one of its routes. After changing the API, refresh it with
//! `UPDATE_OPENAPI=1 cargo test -p confrontas-server --test it openapi_document`.

use confrontas_api::paths;
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
        "openapi/openapi.json is out of date; run: UPDATE_OPENAPI=1 cargo test -p confrontas-server --test it openapi_document"
    );
}

#[test]
fn every_operation_documents_its_errors_and_protected_ones_their_security() {
    let document: serde_json::Value =
        serde_json::from_str(&openapi_document().to_json().unwrap()).unwrap();
    let public = [
        paths::auth::login(),
        paths::auth::refresh(),
        paths::auth::token(),
        paths::ops::health(),
        paths::ops::ready(),
        // Its own optional token (CONFRONTAS_METRICS_TOKEN), not a session.
        paths::ops::metrics(),
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
            if !public.contains(path) {
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

/// Every builder of `confrontas_api::paths`, with sample arguments and the method it is for.
fn every_contract_path() -> Vec<(&'static str, String)> {
    use confrontas_api::paths::sat::ExchangeFile;
    use confrontas_api::*;
    let filters = RequestFilter {
        state: Some(RequestState::Observed),
        q: Some("MS-2026/1 ñ".into()),
        mine: Some(true),
        page: Some(2),
        ..Default::default()
    };
    let mut routes = vec![
        ("post", paths::auth::login()),
        ("post", paths::auth::refresh()),
        ("post", paths::auth::logout()),
        ("post", paths::auth::token()),
        ("get", paths::auth::me()),
        ("post", paths::auth::password()),
        ("get", paths::units::list(&Default::default())),
        ("post", paths::units::create()),
        ("get", paths::units::one(3)),
        ("patch", paths::units::one(3)),
        (
            "get",
            paths::users::list(&UserFilter {
                role: Some(Role::Mesa),
                ..Default::default()
            }),
        ),
        ("post", paths::users::create()),
        ("get", paths::users::one(3)),
        ("post", paths::users::password_reset(3)),
        ("patch", paths::users::one(3)),
        ("get", paths::api_clients::list(&Default::default())),
        ("post", paths::api_clients::create()),
        ("get", paths::api_clients::one(3)),
        ("patch", paths::api_clients::one(3)),
        ("post", paths::api_clients::secret(3)),
        ("get", paths::calendar::year(2026)),
        ("post", paths::calendar::declare_day()),
        ("delete", paths::calendar::declared_day(3)),
        ("get", paths::sla::policies()),
        (
            "put",
            paths::sla::policy(RequestType::Sat, SlaClockKind::Attention),
        ),
        (
            "get",
            paths::sla::report(&SlaReportParams {
                period: "2026-Q4".into(),
                format: Some(ReportFormat::Xlsx),
            }),
        ),
        (
            "get",
            paths::registry::farmers(&FarmerFilter {
                sort: Some(FarmerSort::Curp),
                ..Default::default()
            }),
        ),
        ("get", paths::registry::farmer("HEGG560427MVZRRL04")),
        ("patch", paths::registry::farmer("HEGG560427MVZRRL04")),
        (
            "get",
            paths::registry::history("HEGG560427MVZRRL04", &Default::default()),
        ),
        ("get", paths::registry::export(&Default::default())),
        ("get", paths::registry::imports(&Default::default())),
        ("post", paths::registry::start_import()),
        ("get", paths::registry::import(3)),
        ("get", paths::registry::rejections(3, &Default::default())),
        ("get", paths::registry::rejections_xlsx(3)),
        ("get", paths::layouts::template()),
        ("post", paths::layouts::validate(&Default::default())),
        ("get", paths::requests::list(&filters)),
        ("get", paths::requests::export_xlsx(&filters)),
        ("get", paths::requests::export_csv(&filters)),
        ("post", paths::requests::submit()),
        ("get", paths::requests::one(3)),
        ("get", paths::requests::timeline(3)),
        ("get", paths::requests::attachments(3)),
        ("post", paths::requests::attachments(3)),
        ("get", paths::requests::sla(3)),
        ("get", paths::requests::confrontations(3)),
        (
            "post",
            paths::requests::start_confrontation(
                3,
                &StartQuery {
                    provider: Some(SatProvider::Online),
                },
            ),
        ),
        ("get", paths::requests::attachment(3)),
        ("get", paths::requests::oficio_template()),
        ("get", paths::requests::dashboard()),
        (
            "get",
            paths::notifications::list(&NotificationFilter {
                unread: Some(true),
                ..Default::default()
            }),
        ),
        ("get", paths::notifications::unread_count()),
        ("post", paths::notifications::read(3)),
        ("post", paths::notifications::read_all()),
        ("get", paths::confrontations::one(3)),
        (
            "get",
            paths::confrontations::items(
                3,
                &ItemFilter {
                    reason: Some(ItemReason::Deceased),
                    ..Default::default()
                },
            ),
        ),
        ("get", paths::confrontations::events(3)),
        ("post", paths::confrontations::apply(3)),
        ("post", paths::confrontations::revert(3)),
        ("get", paths::confrontations::report_xlsx(3)),
        ("get", paths::confrontations::report_csv(3)),
        (
            "get",
            paths::confrontations::kpis(&KpiQuery {
                period: "2026-11".into(),
                authority: Some(Authority::Sat),
            }),
        ),
        ("get", paths::sat::exchange(3, ExchangeFile::Xlsx)),
        ("get", paths::sat::exchange(3, ExchangeFile::Text)),
        ("post", paths::sat::answers(3)),
        ("post", paths::sat::verify_opinion()),
        ("get", paths::sat::eligibility_policy()),
        ("put", paths::sat::eligibility_policy()),
        (
            "get",
            paths::certificates::list(&CertificateFilter {
                request_id: Some(3),
            }),
        ),
        ("post", paths::certificates::upload()),
        ("get", paths::certificates::active()),
        ("get", paths::certificates::one(3)),
        ("post", paths::certificates::deploy(3)),
        ("post", paths::certificates::verify(3)),
        ("post", paths::certificates::rollback()),
        ("get", paths::consultations::curp("HEGG560427MVZRRL04")),
        ("post", paths::simulator::renapo_rotation()),
        ("get", paths::ops::health()),
        ("get", paths::ops::ready()),
        ("get", paths::ops::metrics()),
    ];
    for action in RequestAction::ALL
        .into_iter()
        .filter(|a| *a != RequestAction::Submit)
    {
        routes.push(("post", paths::requests::action(3, action)));
    }
    for control in [
        ConfrontationControl::Pause,
        ConfrontationControl::Resume,
        ConfrontationControl::Cancel,
    ] {
        routes.push(("post", paths::confrontations::control(3, control)));
    }
    routes
}

/// Whether `path` (without its query) is an instance of the template `/a/{id}/b`.
fn matches(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

#[test]
fn every_path_the_contract_builds_is_a_route_of_the_document() {
    let document: serde_json::Value =
        serde_json::from_str(&openapi_document().to_json().unwrap()).unwrap();
    let routes = document["paths"].as_object().unwrap();
    let built = every_contract_path();
    let mut covered = std::collections::BTreeSet::new();
    for (method, path) in &built {
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let found = routes
            .iter()
            .filter(|(template, _)| matches(template, route))
            .find(|(_, item)| item.get(*method).is_some());
        let Some((template, item)) = found else {
            panic!("{method} {path}: no such route in the document");
        };
        covered.insert((method.to_string(), template.clone()));
        // Every query parameter the builder writes is one the operation declares.
        let declared: Vec<&str> = item[*method]["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap();
            assert!(
                declared.contains(&name),
                "{method} {path}: `{name}` is not a parameter"
            );
        }
    }
    let missing: Vec<String> = routes
        .iter()
        .flat_map(|(template, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), template.clone()))
        })
        .filter(|operation| !covered.contains(operation))
        .map(|(method, template)| format!("{method} {template}"))
        .collect();
    assert!(
        missing.is_empty(),
        "operations no builder reaches: {missing:?}"
    );
}

/// The document states the bounds and choices the server checks, so that a client built from
/// it is not refused for data it allows (the fuzzing of the test command checks the rest).
#[test]
fn the_document_states_the_bounds_and_choices_the_server_checks() {
    let document: serde_json::Value =
        serde_json::from_str(&openapi_document().to_json().unwrap()).unwrap();
    let parameter = |path: &str, name: &str| {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} of {path}"))["schema"]
            .clone()
    };
    let page = parameter("/api/v1/confrontations/{id}/items", "page");
    assert_eq!(
        (page["minimum"].clone(), page["maximum"].clone()),
        (1.into(), 1_000_000.into())
    );
    let per_page = parameter("/api/v1/confrontations/{id}/items", "per_page");
    assert_eq!(per_page["maximum"], 200);
    for path in ["/api/v1/kpis", "/api/v1/reports/sla"] {
        let period = parameter(path, "period");
        assert!(
            period["pattern"].as_str().unwrap().contains("2100"),
            "{path}: {period}"
        );
    }
    assert!(parameter("/api/v1/farmers", "curp")["pattern"].is_string());

    let schema = |name: &str| document["components"]["schemas"][name].clone();
    assert_eq!(
        schema("FarmerPatch")["properties"]["status"]["enum"],
        serde_json::json!(["active", "deregistered", null]),
        "deaths come from confrontations only"
    );
    assert_eq!(
        schema("AttachmentForm")["properties"]["kind"]["enum"],
        serde_json::json!(["report", "certificate"])
    );
    let comment = &schema("ActionBody")["properties"]["comment"];
    assert!(
        comment["pattern"].as_str().unwrap().contains(r"\x00-\x08"),
        "{comment}"
    );
    assert_eq!(schema("ObserveBody")["properties"]["items"]["minItems"], 1);
    assert_eq!(schema("SpreadsheetUpload")["additionalProperties"], false);
    assert_eq!(schema("ResubmitForm")["additionalProperties"], false);
}
