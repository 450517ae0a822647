//! Every path of the API, built from typed arguments and the contract's own query types: the SPA
//! and the tests ask for their URLs here instead of writing them, so a route or a filter that
//! changes changes in one place (`docs/architecture.md`, "The contract").

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where every versioned route lives.
pub const API: &str = "/api/v1";

/// `path`, with `query` as its query string when it has any value (fields that are `None` are
/// left out; values are percent-encoded).
pub fn with_query<Q: Serialize>(path: impl Into<String>, query: &Q) -> String {
    let mut path = path.into();
    let encoded = serde_urlencoded::to_string(query).expect("query types are flat structs");
    if !encoded.is_empty() {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(&encoded);
    }
    path
}

/// The query type `Q` a query string holds (with or without its leading `?`): what the SPA reads
/// back from its own URL.
pub fn parse_query<Q: DeserializeOwned>(query: &str) -> Result<Q, serde_urlencoded::de::Error> {
    serde_urlencoded::from_str(query.trim_start_matches('?'))
}

/// A path segment that comes from the caller (a CURP, say), percent-encoded.
fn segment(text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(byte as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

pub mod auth {
    use super::API;

    pub fn login() -> String {
        format!("{API}/auth/login")
    }
    pub fn refresh() -> String {
        format!("{API}/auth/refresh")
    }
    pub fn logout() -> String {
        format!("{API}/auth/logout")
    }
    /// The client-credentials grant of partner systems.
    pub fn token() -> String {
        format!("{API}/auth/token")
    }
    pub fn me() -> String {
        format!("{API}/me")
    }
    pub fn password() -> String {
        format!("{API}/me/password")
    }
}

pub mod units {
    use super::{API, with_query};
    use crate::NameFilter;

    pub fn list(filter: &NameFilter) -> String {
        with_query(format!("{API}/units"), filter)
    }
    pub fn create() -> String {
        format!("{API}/units")
    }
    pub fn one(id: i64) -> String {
        format!("{API}/units/{id}")
    }
}

pub mod users {
    use super::{API, with_query};
    use crate::UserFilter;

    pub fn list(filter: &UserFilter) -> String {
        with_query(format!("{API}/users"), filter)
    }
    pub fn create() -> String {
        format!("{API}/users")
    }
    pub fn one(id: i64) -> String {
        format!("{API}/users/{id}")
    }
    pub fn password_reset(id: i64) -> String {
        format!("{API}/users/{id}/password-reset")
    }
}

pub mod api_clients {
    use super::{API, with_query};
    use crate::NameFilter;

    pub fn list(filter: &NameFilter) -> String {
        with_query(format!("{API}/api-clients"), filter)
    }
    pub fn create() -> String {
        format!("{API}/api-clients")
    }
    pub fn one(id: i64) -> String {
        format!("{API}/api-clients/{id}")
    }
    pub fn secret(id: i64) -> String {
        format!("{API}/api-clients/{id}/secret")
    }
}

pub mod calendar {
    use super::API;

    pub fn year(year: i32) -> String {
        format!("{API}/calendar/{year}")
    }
    pub fn declare_day() -> String {
        format!("{API}/calendar/non-working-days")
    }
    pub fn declared_day(id: i64) -> String {
        format!("{API}/calendar/non-working-days/{id}")
    }
}

pub mod sla {
    use super::{API, with_query};
    use crate::{RequestType, SlaClockKind, SlaReportParams};

    pub fn policies() -> String {
        format!("{API}/sla-policies")
    }
    pub fn policy(request_type: RequestType, clock: SlaClockKind) -> String {
        format!(
            "{API}/sla-policies/{}/{}",
            request_type.as_str(),
            clock.as_str()
        )
    }
    pub fn report(params: &SlaReportParams) -> String {
        with_query(format!("{API}/reports/sla"), params)
    }
}

pub mod registry {
    use super::{API, segment, with_query};
    use crate::{FarmerExportFilter, FarmerFilter, PageParams};

    pub fn farmers(filter: &FarmerFilter) -> String {
        with_query(format!("{API}/farmers"), filter)
    }
    pub fn farmer(curp: impl AsRef<str>) -> String {
        format!("{API}/farmers/{}", segment(curp))
    }
    pub fn history(curp: impl AsRef<str>, page: &PageParams) -> String {
        with_query(format!("{API}/farmers/{}/history", segment(curp)), page)
    }
    pub fn export(filter: &FarmerExportFilter) -> String {
        with_query(format!("{API}/registry/export.xlsx"), filter)
    }
    pub fn imports(page: &PageParams) -> String {
        with_query(format!("{API}/registry/imports"), page)
    }
    pub fn start_import() -> String {
        format!("{API}/registry/imports")
    }
    pub fn import(id: i64) -> String {
        format!("{API}/registry/imports/{id}")
    }
    pub fn rejections(id: i64, page: &PageParams) -> String {
        with_query(format!("{API}/registry/imports/{id}/rejections"), page)
    }
    pub fn rejections_xlsx(id: i64) -> String {
        format!("{API}/registry/imports/{id}/rejections.xlsx")
    }
}

pub mod layouts {
    use super::{API, with_query};
    use crate::LayoutCheckParams;

    pub fn template() -> String {
        format!("{API}/layouts/template.xlsx")
    }
    pub fn validate(params: &LayoutCheckParams) -> String {
        with_query(format!("{API}/layouts/validate"), params)
    }
}

pub mod requests {
    use super::{API, with_query};
    use crate::{RequestAction, RequestFilter, StartQuery};

    pub fn list(filter: &RequestFilter) -> String {
        with_query(format!("{API}/requests"), filter)
    }
    /// Every request of the list `filter` selects, as a workbook (`page`/`per_page` ignored).
    pub fn export_xlsx(filter: &RequestFilter) -> String {
        with_query(format!("{API}/requests/export.xlsx"), filter)
    }
    /// The same as CSV.
    pub fn export_csv(filter: &RequestFilter) -> String {
        with_query(format!("{API}/requests/export.csv"), filter)
    }
    pub fn submit() -> String {
        format!("{API}/requests")
    }
    pub fn one(id: i64) -> String {
        format!("{API}/requests/{id}")
    }
    /// `POST` of an action (`observe`, `forward`…; `Submit` creates and has no path of its own).
    pub fn action(id: i64, action: RequestAction) -> String {
        format!("{API}/requests/{id}/{}", action.as_str())
    }
    pub fn timeline(id: i64) -> String {
        format!("{API}/requests/{id}/timeline")
    }
    pub fn attachments(id: i64) -> String {
        format!("{API}/requests/{id}/attachments")
    }
    pub fn sla(id: i64) -> String {
        format!("{API}/requests/{id}/sla")
    }
    pub fn confrontations(id: i64) -> String {
        format!("{API}/requests/{id}/confrontations")
    }
    pub fn start_confrontation(id: i64, query: &StartQuery) -> String {
        with_query(confrontations(id), query)
    }
    /// A document of a request, any version.
    pub fn attachment(id: i64) -> String {
        format!("{API}/attachments/{id}")
    }
    pub fn oficio_template() -> String {
        format!("{API}/templates/oficio.pdf")
    }
    pub fn dashboard() -> String {
        format!("{API}/dashboard")
    }
}

pub mod notifications {
    use super::{API, with_query};
    use crate::NotificationFilter;

    pub fn list(filter: &NotificationFilter) -> String {
        with_query(format!("{API}/notifications"), filter)
    }
    pub fn unread_count() -> String {
        format!("{API}/notifications/unread-count")
    }
    pub fn read(id: i64) -> String {
        format!("{API}/notifications/{id}/read")
    }
    pub fn read_all() -> String {
        format!("{API}/notifications/read-all")
    }
}

pub mod confrontations {
    use super::{API, with_query};
    use crate::{ConfrontationControl, ItemFilter, KpiQuery};

    pub fn one(id: i64) -> String {
        format!("{API}/confrontations/{id}")
    }
    pub fn items(id: i64, filter: &ItemFilter) -> String {
        with_query(format!("{API}/confrontations/{id}/items"), filter)
    }
    /// The progress stream (server-sent events).
    pub fn events(id: i64) -> String {
        format!("{API}/confrontations/{id}/events")
    }
    pub fn control(id: i64, control: ConfrontationControl) -> String {
        format!("{API}/confrontations/{id}/{}", control.as_str())
    }
    pub fn apply(id: i64) -> String {
        format!("{API}/confrontations/{id}/apply")
    }
    pub fn revert(id: i64) -> String {
        format!("{API}/confrontations/{id}/revert")
    }
    pub fn report_xlsx(id: i64) -> String {
        format!("{API}/confrontations/{id}/report.xlsx")
    }
    pub fn report_csv(id: i64) -> String {
        format!("{API}/confrontations/{id}/report.csv")
    }
    pub fn kpis(query: &KpiQuery) -> String {
        with_query(format!("{API}/kpis"), query)
    }
}

pub mod sat {
    use super::API;

    /// The RFC list for the SAT: `xlsx` or `txt`.
    pub fn exchange(id: i64, extension: ExchangeFile) -> String {
        format!(
            "{API}/confrontations/{id}/sat/exchange.{}",
            extension.as_str()
        )
    }
    pub fn eligibility_policy() -> String {
        format!("{API}/sat/eligibility-policy")
    }

    pub fn answers(id: i64) -> String {
        format!("{API}/confrontations/{id}/sat/answers")
    }
    pub fn verify_opinion() -> String {
        format!("{API}/sat/opinions/verify")
    }

    /// The forms of the exchange file.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ExchangeFile {
        Xlsx,
        Text,
    }

    impl ExchangeFile {
        pub fn as_str(self) -> &'static str {
            match self {
                ExchangeFile::Xlsx => "xlsx",
                ExchangeFile::Text => "txt",
            }
        }
    }
}

pub mod certificates {
    use super::{API, with_query};
    use crate::CertificateFilter;

    pub fn list(filter: &CertificateFilter) -> String {
        with_query(format!("{API}/certificates"), filter)
    }
    pub fn upload() -> String {
        format!("{API}/certificates")
    }
    pub fn active() -> String {
        format!("{API}/certificates/active")
    }
    pub fn one(id: i64) -> String {
        format!("{API}/certificates/{id}")
    }
    pub fn deploy(id: i64) -> String {
        format!("{API}/certificates/{id}/deploy")
    }
    pub fn verify(id: i64) -> String {
        format!("{API}/certificates/{id}/verify")
    }
    pub fn rollback() -> String {
        format!("{API}/certificates/rollback")
    }
}

pub mod consultations {
    use super::{API, segment};

    pub fn curp(curp: impl AsRef<str>) -> String {
        format!("{API}/consultations/curp/{}", segment(curp))
    }
}

pub mod simulator {
    use super::API;

    /// RENAPO's certificate rotated by the built-in simulator (demo and tests).
    pub fn renapo_rotation() -> String {
        format!("{API}/simulator/renapo/rotation")
    }
}

pub mod ops {
    pub fn health() -> String {
        "/health".to_owned()
    }
    pub fn ready() -> String {
        "/ready".to_owned()
    }
    /// Prometheus metrics (open unless a metrics token is configured).
    pub fn metrics() -> String {
        "/metrics".to_owned()
    }
    pub fn openapi() -> String {
        "/api-docs/openapi.json".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RequestFilter, RequestSort, RequestState, RequestType};

    #[test]
    fn filters_become_query_strings_without_their_empty_fields() {
        let filter = RequestFilter {
            q: Some("MS-2026 á&b".into()),
            state: Some(RequestState::InProgress),
            request_type: Some(RequestType::Sat),
            sort: Some(RequestSort::Due),
            page: Some(2),
            ..RequestFilter::default()
        };
        assert_eq!(
            requests::list(&filter),
            "/api/v1/requests?state=in_progress&request_type=sat&q=MS-2026+%C3%A1%26b&sort=due&page=2"
        );
        assert_eq!(
            requests::list(&RequestFilter::default()),
            "/api/v1/requests"
        );
    }

    #[test]
    fn a_query_string_reads_back_as_the_filter_that_wrote_it() {
        let filter = RequestFilter {
            q: Some("folio DGTIC/DSSD/003 & más".into()),
            state: Some(RequestState::Observed),
            submitted_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 2),
            page: Some(3),
            ..RequestFilter::default()
        };
        let path = requests::list(&filter);
        let (_, query) = path.split_once('?').unwrap();
        let read: RequestFilter = parse_query(&format!("?{query}")).unwrap();
        assert_eq!(read.q, filter.q);
        assert_eq!(read.state, filter.state);
        assert_eq!(read.submitted_from, filter.submitted_from);
        assert_eq!(read.page, Some(3));
        assert!(parse_query::<RequestFilter>("estado=perdida").is_err());
        assert!(parse_query::<RequestFilter>("").is_ok());
    }

    #[test]
    fn caller_segments_are_percent_encoded() {
        assert_eq!(
            registry::farmer("HEGG560427MVZRRL04"),
            "/api/v1/farmers/HEGG560427MVZRRL04"
        );
        assert_eq!(
            consultations::curp("../x y"),
            "/api/v1/consultations/curp/..%2Fx%20y"
        );
    }
}
