//! The RENAPO simulator: the CURP consultation service as `docs/renapo-protocol.md` describes
//! it — SOAP 1.1 and 1.2 over HTTPS with its own authority, the WSDL on `?wsdl`, credentials checked,
//! `CURPStruct` answers escaped inside `<ns:return>` the way Axis2 frames them, and
//! `getConfirm` acknowledgements counted. It answers for the first people of the synthetic
//! population (the demo registry) with the discrepancies real registries have, and injects
//! the faults the client and the engine must survive.
//!
//! It is written from the reference, not from the client: its request reading and answer
//! writing share no code with `renapo::protocol`.
//!
//! Who answers what (by the person's index, `i % 100`): 3 not in RENAPO (01/06); 7 deceased
//! (`BD`); 11, 12, 13 inactive (`BAP`, `BSU`, `BDA`); 17 a given name RENAPO has longer; 19 no
//! second surname in RENAPO; 23 `RCC` with a new CURP in `curpsHistoricas`; 29 `AH`; 31 `RCN`
//! with the first surname written differently; everyone else `AN`, identical.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use confrontas_api::Curp;
use quick_xml::Reader;
use quick_xml::events::Event;
use rand::Rng;

use super::pki::{self, Authority, RotatingCert};
use super::{Quota, Stats};
use crate::config::SimulatorSettings;
use crate::population::{DEMO_SEED, Person, Population};

/// The service's path (the WSDL's Axis2 endpoint suffixes are served too).
pub const SERVICE_PATH: &str = "/WebServicesConsulta/services/ConsultaPorCurpService";
/// The SOAP 1.1 and 1.2 endpoints' suffixes, as the WSDL's ports name them.
const SOAP11_SUFFIX: &str = ".ConsultaPorCurpServiceHttpsSoap11Endpoint/";
const SOAP12_SUFFIX: &str = ".ConsultaPorCurpServiceHttpsSoap12Endpoint/";

/// The certificate a rotation deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// A server certificate issued by a new authority (handed out with that authority).
    NewAuthority,
    /// A new self-signed server certificate (handed out alone, to be pinned).
    SelfSigned,
}

/// What the simulator accepts and whom it knows.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub user: String,
    pub password: String,
    /// People of the demo population it answers for (index 0 up to this).
    pub population: u64,
}

/// Faults to inject, changeable while the simulator runs. Rates are fractions of requests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// HTTP 503 with no envelope.
    pub unavailable_rate: f64,
    /// HTTP 500 with a SOAP fault.
    pub fault_rate: f64,
    /// `NO EXITOSO`, `TipoError 99`.
    pub busy_rate: f64,
    /// A `CURPStruct` cut in the middle.
    pub malformed_rate: f64,
    /// The connection dropped in the middle of the answer.
    pub reset_rate: f64,
    /// An answer padded beyond any sane size (2 MiB).
    pub oversized_rate: f64,
    /// Answers that wait this long first (a hung service).
    pub hang: Option<Duration>,
    /// A redirect instead of an answer.
    pub redirect: bool,
    /// Answers encoded in Latin-1 while declaring UTF-8, as RENAPO sometimes does.
    pub latin1: bool,
    /// Consultations accepted per second; beyond, HTTP 503 (RENAPO's quota).
    pub quota_per_second: Option<u32>,
}

struct Shared {
    config: SimulatorConfig,
    people: HashMap<[u32; 3], u64>,
    population: Population,
    faults: Mutex<Faults>,
    stats: Arc<Stats>,
    quota: Quota,
    url: String,
    sessions: AtomicU64,
}

/// A running simulator.
pub struct RenapoSimulator {
    /// The service's URL (`https://127.0.0.1:{port}/WebServicesConsulta/services/ConsultaPorCurpService`).
    pub url: String,
    pub stats: Arc<Stats>,
    address: SocketAddr,
    authority: Authority,
    certificate: Arc<RotatingCert>,
    shared: web::Data<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl RenapoSimulator {
    /// Starts on `address` (port 0 for a free one) with a certificate from its own authority
    /// for `localhost` and `127.0.0.1`.
    pub async fn start(
        config: SimulatorConfig,
        address: SocketAddr,
    ) -> std::io::Result<RenapoSimulator> {
        let (authority, leaf) = pki::loopback_authority("Autoridad del simulador de RENAPO")
            .map_err(std::io::Error::other)?;
        let certificate = Arc::new(RotatingCert::new(&leaf).map_err(std::io::Error::other)?);
        let population = Population::new(DEMO_SEED);
        let people = population
            .people(config.population)
            .map(|person| (person.curp.packed(), person.index))
            .collect();
        let stats = Arc::new(Stats::default());
        let listener = std::net::TcpListener::bind(address)?;
        let bound = listener.local_addr()?;
        let url = format!("https://127.0.0.1:{}{SERVICE_PATH}", bound.port());
        let shared = web::Data::new(Shared {
            config,
            people,
            population,
            faults: Mutex::new(Faults::default()),
            stats: stats.clone(),
            quota: Quota::new(),
            url: url.clone(),
            sessions: AtomicU64::new(0),
        });
        let handle = run(listener, shared.clone(), certificate.clone())?;
        Ok(RenapoSimulator {
            url,
            stats,
            address: bound,
            authority,
            certificate,
            shared,
            handle,
        })
    }

    /// The certificate of the authority that issued the simulator's server certificate (what
    /// RENAPO hands the agency, and the client trusts).
    pub fn authority_pem(&self) -> &str {
        self.authority.pem()
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Deploys a new server certificate and returns what RENAPO would e-mail the agency: the
    /// new certificate with its chain (a new authority), or the new self-signed leaf. Like a
    /// real server it restarts to deploy it: connections in use are closed, new ones see the
    /// new certificate.
    pub async fn rotate(&mut self, to: Rotation) -> Result<String, String> {
        let (leaf, authority) = match to {
            Rotation::NewAuthority => {
                let (authority, leaf) =
                    pki::loopback_authority("Autoridad rotada del simulador de RENAPO")
                        .map_err(|e| e.to_string())?;
                (leaf, Some(authority))
            }
            Rotation::SelfSigned => (
                pki::self_signed(
                    &pki::loopback_hosts(),
                    pki::Validity::days_from_yesterday(365),
                )
                .map_err(|e| e.to_string())?,
                None,
            ),
        };
        self.certificate.replace(&leaf).map_err(|e| e.to_string())?;
        self.handle.stop(false).await;
        let listener = std::net::TcpListener::bind(self.address).map_err(|e| e.to_string())?;
        self.handle = run(listener, self.shared.clone(), self.certificate.clone())
            .map_err(|e| e.to_string())?;
        Ok(match authority {
            Some(authority) => {
                let handed_out = format!("{}{}", leaf.pem, authority.pem());
                self.authority = authority;
                handed_out
            }
            None => leaf.pem,
        })
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl super::Running for RenapoSimulator {
    fn url(&self) -> &str {
        &self.url
    }

    fn authority_pem(&self) -> &str {
        self.authority.pem()
    }

    async fn stop(self) {
        RenapoSimulator::stop(self).await;
    }
}

/// Serves the simulator on `listener` over TLS with `certificate`.
fn run(
    listener: std::net::TcpListener,
    shared: web::Data<Shared>,
    certificate: Arc<RotatingCert>,
) -> std::io::Result<actix_web::dev::ServerHandle> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .app_data(web::PayloadConfig::new(64 << 10))
            .configure(|config| super::common_routes(config, shared.stats.clone()))
            .route(SERVICE_PATH, web::post().to(serve))
            .route(SERVICE_PATH, web::get().to(wsdl))
            .route(
                &format!("{SERVICE_PATH}{SOAP11_SUFFIX}"),
                web::post().to(serve),
            )
            .route(
                &format!("{SERVICE_PATH}{SOAP12_SUFFIX}"),
                web::post().to(serve),
            )
    })
    .workers(2)
    .listen_rustls_0_23(listener, pki::server_config(certificate))?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

impl Faults {
    /// The latency, quota and faults configured (`CONFRONTAS_SIMULATOR_*`).
    pub fn configured(settings: &SimulatorSettings) -> Faults {
        Faults {
            latency: settings.latency,
            quota_per_second: settings.quota_per_second,
            unavailable_rate: settings.unavailable_rate,
            busy_rate: settings.busy_rate,
            malformed_rate: settings.malformed_rate,
            ..Faults::default()
        }
    }
}

/// The SOAP version a request came in, which its answer keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Soap {
    V11,
    V12,
}

impl Soap {
    /// SOAP 1.2 on its own endpoint or by its media type (`application/soap+xml`).
    fn of(request: &HttpRequest) -> Soap {
        let media_type = request
            .headers()
            .get("Content-Type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if request.path().ends_with(SOAP12_SUFFIX)
            || media_type.trim_start().starts_with("application/soap+xml")
        {
            Soap::V12
        } else {
            Soap::V11
        }
    }

    /// The operation the request names: SOAP 1.1's `SOAPAction` header, SOAP 1.2's `action`
    /// parameter of the media type.
    fn action(self, request: &HttpRequest) -> String {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let action = match self {
            Soap::V11 => header("SOAPAction"),
            Soap::V12 => header("Content-Type")
                .split(';')
                .filter_map(|parameter| parameter.trim().strip_prefix("action="))
                .next()
                .unwrap_or_default(),
        };
        action.trim().trim_matches('"').to_owned()
    }

    fn envelope_namespace(self) -> &'static str {
        match self {
            Soap::V11 => "http://schemas.xmlsoap.org/soap/envelope/",
            Soap::V12 => "http://www.w3.org/2003/05/soap-envelope",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Soap::V11 => "text/xml; charset=UTF-8",
            Soap::V12 => "application/soap+xml; charset=UTF-8",
        }
    }
}

/// The fields of a request the simulator reads.
#[derive(Debug, Default)]
struct Request {
    operation: String,
    curp: String,
    user: String,
    password: String,
    session: String,
}

/// Reads the SOAP body: the operation is the body's first element, the fields its leaves.
fn read_request(body: &str) -> Option<Request> {
    let mut reader = Reader::from_str(body);
    let mut request = Request::default();
    let mut in_body = false;
    let mut current = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = e
                    .name()
                    .as_ref()
                    .rsplit(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if name == "Body" {
                    in_body = true;
                } else if in_body && request.operation.is_empty() {
                    request.operation = name;
                } else {
                    current = name;
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content().trim().to_owned();
                match current.as_str() {
                    "cveCurp" => request.curp = text,
                    "usuario" => request.user = text,
                    "password" => request.password.push_str(&text),
                    "sessionID" => request.session = text,
                    _ => {}
                }
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let resolved = quick_xml::escape::resolve_predefined_entity(&name).unwrap_or("");
                if current == "password" {
                    request.password.push_str(resolved);
                } else if current == "usuario" {
                    request.user.push_str(resolved);
                }
            }
            Event::End(_) => current.clear(),
            Event::Eof => break,
            _ => {}
        }
    }
    (!request.operation.is_empty()).then_some(request)
}

fn xml_text(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// RENAPO writes names in capitals, accents and Ñ kept.
fn capitals(text: &str) -> String {
    text.to_uppercase()
}

/// The person's record as RENAPO holds it, with the discrepancies of their index.
fn curp_struct(person: &Person, session: &str) -> String {
    let mut given = capitals(&person.given_names);
    let mut first = capitals(&person.first_surname);
    let mut second = person
        .second_surname
        .as_deref()
        .map(capitals)
        .unwrap_or_default();
    let mut historic = String::new();
    let status = match person.index % 100 {
        7 => "BD",
        11 => "BAP",
        12 => "BSU",
        13 => "BDA",
        17 => {
            given.push_str(" GUADALUPE");
            "AN"
        }
        19 => {
            second.clear();
            "AN"
        }
        23 => {
            let mut new_curp = person.curp.as_str().to_owned();
            let homonym = if new_curp.as_bytes()[16] == b'9' {
                '8'
            } else {
                '9'
            };
            new_curp.replace_range(16..18, &homonym.to_string());
            let check = Curp::check_digit(&new_curp).expect("17 CURP characters");
            new_curp.push(check);
            historic = new_curp;
            "RCC"
        }
        29 => "AH",
        31 => {
            first = first.replace('Z', "S");
            "RCN"
        }
        _ => "AN",
    };
    let birth = person.birth_date;
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><CURPStruct statusOper="EXITOSO" message="LA OPERACION SE EJECUTO." TipoError="" CodigoError="" SessionID="{session}">"#,
            " <CURP>{curp}</CURP> <apellido1>{first}</apellido1> <apellido2>{second}</apellido2>",
            " <nombres>{given}</nombres> <sexo>{sex}</sexo> <fechNac>{birth}</fechNac>",
            " <nacionalidad>{nationality}</nacionalidad> <docProbatorio>1</docProbatorio>",
            " <anioReg>{year}</anioReg> <foja></foja> <tomo></tomo> <libro>0001</libro>",
            " <numActa>{act:05}</numActa> <CRIP></CRIP> <numEntidadReg>09</numEntidadReg>",
            " <cveMunicipioReg>001</cveMunicipioReg> <NumRegExtranjeros></NumRegExtranjeros>",
            " <FolioCarta></FolioCarta> <cveEntidadNac>{state}</cveEntidadNac>",
            " <cveEntidadEmisora></cveEntidadEmisora> <statusCurp>{status}</statusCurp>{historic} </CURPStruct>"
        ),
        session = session,
        curp = person.curp.as_str(),
        first = xml_text(&first),
        second = xml_text(&second),
        given = xml_text(&given),
        sex = person.sex.letter(),
        birth = birth.format("%d/%m/%Y"),
        nationality = if person.birth_state == "NE" {
            "EXT"
        } else {
            "MEX"
        },
        year = chrono::Datelike::year(&birth),
        act = person.index % 100_000,
        state = person.birth_state,
        status = status,
        historic = if historic.is_empty() {
            String::new()
        } else {
            format!(" <curpsHistoricas>{historic}</curpsHistoricas>")
        },
    )
}

fn refusal(message: &str, error_type: &str, error_code: &str, session: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><CURPStruct statusOper="NO EXITOSO" message="{}" TipoError="{error_type}" CodigoError="{error_code}" SessionID="{session}"/>"#,
        xml_text(message)
    )
}

/// The Axis2 envelope with the `CURPStruct` escaped inside `<ns:return>`.
fn envelope(payload: &str, soap: Soap) -> String {
    format!(
        concat!(
            "<?xml version='1.0' encoding='UTF-8'?>",
            r#"<soapenv:Envelope xmlns:soapenv="{}"><soapenv:Body>"#,
            r#"<ns:consultarPorCurpResponse xmlns:ns="http://services.wserv.ecurp.dgti.segob.gob.mx"><ns:return>"#,
            "{}</ns:return></ns:consultarPorCurpResponse></soapenv:Body></soapenv:Envelope>"
        ),
        soap.envelope_namespace(),
        xml_text(payload)
    )
}

/// A server fault, as each SOAP version writes it.
fn soap_fault(message: &str, soap: Soap) -> HttpResponse {
    let fault = match soap {
        Soap::V11 => format!(
            "<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>{}</faultstring><detail/></soapenv:Fault>",
            xml_text(message)
        ),
        Soap::V12 => format!(
            r#"<soapenv:Fault><soapenv:Code><soapenv:Value>soapenv:Receiver</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang="es">{}</soapenv:Text></soapenv:Reason></soapenv:Fault>"#,
            xml_text(message)
        ),
    };
    HttpResponse::InternalServerError()
        .content_type(soap.content_type())
        .body(format!(
            r#"<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv="{}"><soapenv:Body>{fault}</soapenv:Body></soapenv:Envelope>"#,
            soap.envelope_namespace()
        ))
}

/// The first `bytes` of `text`, or fewer, ending where a character ends.
fn cut(text: &str, bytes: usize) -> &str {
    let end = (0..=bytes.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    &text[..end]
}

fn xml(body: String, latin1: bool, soap: Soap) -> HttpResponse {
    let bytes: Vec<u8> = if latin1 {
        body.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect()
    } else {
        body.into_bytes()
    };
    HttpResponse::Ok()
        .content_type(soap.content_type())
        .body(bytes)
}

impl Shared {
    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn new_session(&self) -> String {
        let n = self.sessions.fetch_add(1, Ordering::Relaxed);
        format!("SIM{n:012}!{}", rand::rng().random::<u32>())
    }

    fn answer(&self, request: &Request) -> String {
        let session = self.new_session();
        if request.user != self.config.user || request.password != self.config.password {
            return refusal("Usuario o contraseña incorrectos", "01", "18", &session);
        }
        let Ok(curp) = Curp::parse(&request.curp) else {
            return refusal(
                "La llave de la CURP no está bien formada.",
                "01",
                "09",
                &session,
            );
        };
        match self.people.get(&curp.packed()) {
            Some(index) if index % 100 != 3 => {
                curp_struct(&self.population.person(*index), &session)
            }
            _ => refusal(
                "La CURP no se encuentra en la base de datos",
                "01",
                "06",
                &session,
            ),
        }
    }
}

async fn serve(shared: web::Data<Shared>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let faults = shared.faults();
    let soap = Soap::of(&request);
    let Some(parsed) = std::str::from_utf8(&body).ok().and_then(read_request) else {
        return soap_fault("El mensaje no es un sobre SOAP válido.", soap);
    };
    if parsed.operation == "getConfirm" || soap.action(&request) == "urn:getConfirm" {
        shared.stats.confirmations.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::Accepted().finish();
    }
    if parsed.operation != "consultarPorCurp" {
        return soap_fault("Operación desconocida.", soap);
    }
    if !shared.quota.admit(faults.quota_per_second, &shared.stats) {
        return HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .finish();
    }
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if let Some(hang) = faults.hang {
        tokio::time::sleep(hang).await;
    }
    match injected_fault(&shared, &faults, &parsed, soap) {
        Some(fault) => {
            shared.stats.faults.fetch_add(1, Ordering::Relaxed);
            fault
        }
        None => {
            shared.stats.answered.fetch_add(1, Ordering::Relaxed);
            xml(envelope(&shared.answer(&parsed), soap), faults.latin1, soap)
        }
    }
}

/// The fault `faults` inject into this answer, if any.
fn injected_fault(
    shared: &Shared,
    faults: &Faults,
    parsed: &Request,
    soap: Soap,
) -> Option<HttpResponse> {
    if faults.redirect {
        return Some(
            HttpResponse::Found()
                .insert_header((
                    "Location",
                    "https://otro-servidor.example/WebServicesConsulta",
                ))
                .finish(),
        );
    }
    let roll: f64 = rand::rng().random();
    let mut threshold = 0.0;
    let mut hit = |rate: f64| {
        threshold += rate;
        roll < threshold
    };
    if hit(faults.unavailable_rate) {
        return Some(HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).finish());
    }
    if hit(faults.fault_rate) {
        return Some(soap_fault("Error interno del servicio de consulta.", soap));
    }
    if hit(faults.busy_rate) {
        let payload = refusal(
            "Servicio no disponible, intente más tarde.",
            "99",
            "",
            &shared.new_session(),
        );
        return Some(xml(envelope(&payload, soap), faults.latin1, soap));
    }
    if hit(faults.malformed_rate) {
        let whole = envelope(&shared.answer(parsed), soap);
        return Some(xml(cut(&whole, whole.len() / 2).to_owned(), false, soap));
    }
    if hit(faults.reset_rate) {
        let whole = envelope(&shared.answer(parsed), soap);
        let first = web::Bytes::from(cut(&whole, 64).to_owned());
        let broken = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(first),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated reset",
            )),
        ]);
        return Some(
            HttpResponse::Ok()
                .content_type(soap.content_type())
                .streaming(broken),
        );
    }
    if hit(faults.oversized_rate) {
        let padded = envelope(&shared.answer(parsed), soap).replace(
            "<ns:return>",
            &format!("<ns:return>{}", " ".repeat(2 << 20)),
        );
        return Some(xml(padded, false, soap));
    }
    None
}

/// The WSDL (`docs/renapo-protocol.md`, "The service"), with the simulator's address.
async fn wsdl(shared: web::Data<Shared>, request: HttpRequest) -> HttpResponse {
    if !request.query_string().eq_ignore_ascii_case("wsdl") {
        return HttpResponse::MethodNotAllowed().finish();
    }
    HttpResponse::Ok()
        .content_type("text/xml; charset=UTF-8")
        .body(WSDL.replace("{ADDRESS}", &shared.url))
}

const WSDL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:ns1="http://org.apache.axis2/xsd" xmlns:ns="http://services.wserv.ecurp.dgti.segob.gob.mx" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" xmlns:ax23="http://services.wserv.ecurp.dgti.segob.gob.mx/xsd" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" targetNamespace="http://services.wserv.ecurp.dgti.segob.gob.mx">
    <wsdl:types>
        <xs:schema attributeFormDefault="qualified" elementFormDefault="qualified" targetNamespace="http://services.wserv.ecurp.dgti.segob.gob.mx/xsd">
            <xs:complexType name="DatosConsultaCurp">
                <xs:sequence>
                    <xs:element minOccurs="0" name="cveCurp" nillable="true" type="xs:string"/>
                    <xs:element minOccurs="0" name="cveEntidadEmisora" nillable="true" type="xs:string"/>
                    <xs:element minOccurs="0" name="direccionIp" nillable="true" type="xs:string"/>
                    <xs:element minOccurs="0" name="password" nillable="true" type="xs:string"/>
                    <xs:element minOccurs="0" name="tipoTransaccion" type="xs:int"/>
                    <xs:element minOccurs="0" name="usuario" nillable="true" type="xs:string"/>
                </xs:sequence>
            </xs:complexType>
        </xs:schema>
        <xs:schema attributeFormDefault="qualified" elementFormDefault="qualified" targetNamespace="http://services.wserv.ecurp.dgti.segob.gob.mx">
            <xs:import namespace="http://services.wserv.ecurp.dgti.segob.gob.mx/xsd"/>
            <xs:element name="getConfirm"><xs:complexType><xs:sequence>
                <xs:element minOccurs="0" name="sessionID" nillable="true" type="xs:string"/>
                <xs:element minOccurs="0" name="Mssg" nillable="true" type="xs:string"/>
            </xs:sequence></xs:complexType></xs:element>
            <xs:element name="consultarPorCurp"><xs:complexType><xs:sequence>
                <xs:element minOccurs="0" name="datos" nillable="true" type="ax23:DatosConsultaCurp"/>
            </xs:sequence></xs:complexType></xs:element>
            <xs:element name="consultarPorCurpResponse"><xs:complexType><xs:sequence>
                <xs:element minOccurs="0" name="return" nillable="true" type="xs:string"/>
            </xs:sequence></xs:complexType></xs:element>
        </xs:schema>
    </wsdl:types>
    <wsdl:message name="getConfirmRequest"><wsdl:part name="parameters" element="ns:getConfirm"/></wsdl:message>
    <wsdl:message name="consultarPorCurpRequest"><wsdl:part name="parameters" element="ns:consultarPorCurp"/></wsdl:message>
    <wsdl:message name="consultarPorCurpResponse"><wsdl:part name="parameters" element="ns:consultarPorCurpResponse"/></wsdl:message>
    <wsdl:portType name="ConsultaPorCurpServicePortType">
        <wsdl:operation name="getConfirm"><wsdl:input message="ns:getConfirmRequest" wsaw:Action="urn:getConfirm"/></wsdl:operation>
        <wsdl:operation name="consultarPorCurp">
            <wsdl:input message="ns:consultarPorCurpRequest" wsaw:Action="urn:consultarPorCurp"/>
            <wsdl:output message="ns:consultarPorCurpResponse" wsaw:Action="urn:consultarPorCurpResponse"/>
        </wsdl:operation>
    </wsdl:portType>
    <wsdl:binding name="ConsultaPorCurpServiceSoap11Binding" type="ns:ConsultaPorCurpServicePortType">
        <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
        <wsdl:operation name="getConfirm"><soap:operation soapAction="urn:getConfirm" style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input></wsdl:operation>
        <wsdl:operation name="consultarPorCurp"><soap:operation soapAction="urn:consultarPorCurp" style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
    </wsdl:binding>
    <wsdl:binding name="ConsultaPorCurpServiceSoap12Binding" type="ns:ConsultaPorCurpServicePortType">
        <soap12:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
        <wsdl:operation name="getConfirm"><soap12:operation soapAction="urn:getConfirm" style="document"/><wsdl:input><soap12:body use="literal"/></wsdl:input></wsdl:operation>
        <wsdl:operation name="consultarPorCurp"><soap12:operation soapAction="urn:consultarPorCurp" style="document"/><wsdl:input><soap12:body use="literal"/></wsdl:input><wsdl:output><soap12:body use="literal"/></wsdl:output></wsdl:operation>
    </wsdl:binding>
    <wsdl:service name="ConsultaPorCurpService">
        <wsdl:port name="ConsultaPorCurpServiceHttpsSoap11Endpoint" binding="ns:ConsultaPorCurpServiceSoap11Binding">
            <soap:address location="{ADDRESS}.ConsultaPorCurpServiceHttpsSoap11Endpoint/"/>
        </wsdl:port>
        <wsdl:port name="ConsultaPorCurpServiceHttpsSoap12Endpoint" binding="ns:ConsultaPorCurpServiceSoap12Binding">
            <soap12:address location="{ADDRESS}.ConsultaPorCurpServiceHttpsSoap12Endpoint/"/>
        </wsdl:port>
    </wsdl:service>
</wsdl:definitions>
"#;
