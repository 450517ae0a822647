//! The RENAPO CURP consultation protocol as the client speaks it (`docs/renapo-protocol.md`): SOAP
//! 1.1 document/literal `consultarPorCurp` and `getConfirm` envelopes, and the answer — a SOAP
//! envelope whose `<return>` holds a `CURPStruct` XML document *as escaped text*, parsed a
//! second time. Status is in the attributes (`statusOper`, `TipoError`, `CodigoError`,
//! `SessionID`), the person in the child elements. Answers declared UTF-8 sometimes carry
//! Latin-1 accents; both are read.

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Namespace of the service elements.
pub const SERVICE_NS: &str = "http://services.wserv.ecurp.dgti.segob.gob.mx";
/// Namespace of the `datos` children.
pub const TYPES_NS: &str = "http://services.wserv.ecurp.dgti.segob.gob.mx/xsd";
pub const CONSULT_ACTION: &str = "urn:consultarPorCurp";
pub const CONFIRM_ACTION: &str = "urn:getConfirm";

/// What RENAPO issued the consulting agency under the agreement.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
    /// The agency's registered ("homologada") public IP, sent in the body.
    pub caller_ip: String,
    /// `cveEntidadEmisora`: identifies the consulting agency; the element is left out when
    /// RENAPO assigned none (it is optional in the WSDL, and public clients omit it).
    pub issuing_entity: String,
    /// `tipoTransaccion` (1 and 5 are seen in public clients; its meaning is undocumented).
    pub transaction_type: i32,
}

impl std::fmt::Debug for Credentials {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("caller_ip", &self.caller_ip)
            .field("issuing_entity", &self.issuing_entity)
            .field("transaction_type", &self.transaction_type)
            .finish()
    }
}

/// Text escaped for an XML element.
fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// The `consultarPorCurp` request (elements in the WSDL's order).
pub fn consult_envelope(credentials: &Credentials, curp: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="{service}" xmlns:xsd="{types}">"#,
            "<soapenv:Header/><soapenv:Body><ser:consultarPorCurp><ser:datos>",
            "<xsd:cveCurp>{curp}</xsd:cveCurp>",
            "{entity}",
            "<xsd:direccionIp>{ip}</xsd:direccionIp>",
            "<xsd:password>{password}</xsd:password>",
            "<xsd:tipoTransaccion>{transaction}</xsd:tipoTransaccion>",
            "<xsd:usuario>{user}</xsd:usuario>",
            "</ser:datos></ser:consultarPorCurp></soapenv:Body></soapenv:Envelope>"
        ),
        service = SERVICE_NS,
        types = TYPES_NS,
        curp = escape(curp),
        entity = match credentials.issuing_entity.trim() {
            "" => String::new(),
            entity => format!(
                "<xsd:cveEntidadEmisora>{}</xsd:cveEntidadEmisora>",
                escape(entity)
            ),
        },
        ip = escape(&credentials.caller_ip),
        password = escape(&credentials.password),
        transaction = credentials.transaction_type,
        user = escape(&credentials.user),
    )
}

/// The `getConfirm` acknowledgement of a consultation's `SessionID`.
pub fn confirm_envelope(session_id: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="{service}">"#,
            "<soapenv:Header/><soapenv:Body><ser:getConfirm>",
            "<ser:sessionID>{session}</ser:sessionID><ser:Mssg>OK</ser:Mssg>",
            "</ser:getConfirm></soapenv:Body></soapenv:Envelope>"
        ),
        service = SERVICE_NS,
        session = escape(session_id),
    )
}

/// `statusCurp`: the union of the public lists (`docs/renapo-protocol.md`, "`statusCurp`"),
/// open to codes not seen yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurpStatus {
    /// Alta normal.
    An,
    /// Alta con homonimia.
    Ah,
    /// CURP reactivada.
    Cra,
    /// Registro de cambio no afectando a CURP.
    Rcn,
    /// Registro de cambio afectando a CURP (the person has a new CURP).
    Rcc,
    /// Baja por defunción: the only code that means death.
    Bd,
    /// Any other baja (sin uso, apócrifo, administrativa, adopción, judicial, duplicidad,
    /// cambio en CURP…), with its code.
    Inactive(String),
    /// A code in no public list; treated as inactive and flagged for review.
    Unknown(String),
}

impl CurpStatus {
    pub fn parse(code: &str) -> CurpStatus {
        match code.trim() {
            "AN" => CurpStatus::An,
            "AH" => CurpStatus::Ah,
            "CRA" => CurpStatus::Cra,
            "RCN" => CurpStatus::Rcn,
            "RCC" => CurpStatus::Rcc,
            "BD" => CurpStatus::Bd,
            other @ ("BSU" | "BAP" | "BDM" | "BDP" | "BJD" | "BDA" | "BCC" | "BCN") => {
                CurpStatus::Inactive(other.to_owned())
            }
            other => CurpStatus::Unknown(other.to_owned()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            CurpStatus::An => "AN",
            CurpStatus::Ah => "AH",
            CurpStatus::Cra => "CRA",
            CurpStatus::Rcn => "RCN",
            CurpStatus::Rcc => "RCC",
            CurpStatus::Bd => "BD",
            CurpStatus::Inactive(code) | CurpStatus::Unknown(code) => code,
        }
    }

    /// Active CURPs: the person is alive as far as RENAPO knows (proof of life).
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            CurpStatus::An | CurpStatus::Ah | CurpStatus::Cra | CurpStatus::Rcn | CurpStatus::Rcc
        )
    }

    pub fn is_death(&self) -> bool {
        *self == CurpStatus::Bd
    }
}

/// A person as RENAPO answers for a CURP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurpRecord {
    pub curp: String,
    pub first_surname: String,
    /// Empty in RENAPO means none.
    pub second_surname: Option<String>,
    pub given_names: String,
    /// `H` or `M`.
    pub sex: String,
    /// `fechNac`, read from `dd/mm/yyyy`; `None` when missing or unreadable.
    pub birth_date: Option<NaiveDate>,
    /// `cveEntidadNac`: two-letter CURP state code (`NE` abroad).
    pub birth_state: String,
    pub nationality: String,
    pub status: CurpStatus,
    /// The person's other CURPs (`curpsHistoricas`), e.g. the new one after `RCC`.
    pub historic_curps: Vec<String>,
}

/// What RENAPO answered for one CURP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Found(CurpRecord),
    /// `01/06`: the CURP is not in RENAPO's database.
    NotFound {
        message: String,
    },
    /// `01/09`: RENAPO considers the CURP malformed.
    MalformedCurp {
        message: String,
    },
    /// `01/18`: the agency's user or password was refused.
    InvalidUser {
        message: String,
    },
    /// `TipoError 99` or `01/13`, `01/14`: the service cannot answer now (retry later).
    Unavailable {
        message: String,
    },
    /// Any other refusal, with RENAPO's codes.
    Refused {
        error_type: String,
        error_code: String,
        message: String,
    },
}

/// A parsed answer and the `SessionID` to acknowledge with `getConfirm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub answer: Answer,
    pub session_id: Option<String>,
}

/// Why an HTTP body is not a usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("SOAP fault {code}: {message}")]
    Fault { code: String, message: String },
    #[error("malformed answer: {0}")]
    Malformed(String),
    #[error("RENAPO answered for CURP {answered} when asked for {asked}")]
    CurpMismatch { asked: String, answered: String },
}

/// The body as text: UTF-8, or Latin-1 when it is not valid UTF-8 (RENAPO's accents).
pub fn decode(body: &[u8]) -> String {
    match std::str::from_utf8(body) {
        Ok(text) => text.to_owned(),
        Err(_) => body.iter().map(|b| char::from(*b)).collect(),
    }
}

fn malformed(what: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::Malformed(what.to_string())
}

/// The element's name without its prefix.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Reads an element's text content (entity and character references resolved) up to its end.
fn text_until_end(reader: &mut Reader<&[u8]>) -> Result<String, ProtocolError> {
    let mut text = String::new();
    let mut depth = 0usize;
    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.into_inner()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                        .ok_or_else(|| {
                            malformed(format!("unknown entity &{};", r.xml10_content()))
                        })?
                        .to_owned(),
                };
                text.push_str(&resolved);
            }
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Ok(text),
            Event::End(_) => depth -= 1,
            Event::Eof => return Err(malformed("the document ends inside an element")),
            _ => {}
        }
    }
}

/// The `return` text of a `consultarPorCurpResponse`, or the SOAP fault.
fn return_text(envelope: &str) -> Result<String, ProtocolError> {
    let mut reader = Reader::from_str(envelope);
    let mut fault: Option<(String, String)> = None;
    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Start(e) if local(e.name().as_ref()) == "return" => {
                return text_until_end(&mut reader);
            }
            Event::Start(e) if local(e.name().as_ref()) == "Fault" => {
                fault = Some((String::new(), String::new()));
            }
            Event::Start(e) if fault.is_some() && local(e.name().as_ref()) == "faultcode" => {
                let code = text_until_end(&mut reader)?;
                fault.as_mut().expect("inside a fault").0 = code;
            }
            Event::Start(e) if fault.is_some() && local(e.name().as_ref()) == "faultstring" => {
                let message = text_until_end(&mut reader)?;
                fault.as_mut().expect("inside a fault").1 = message;
            }
            Event::Eof => {
                return Err(match fault {
                    Some((code, message)) => ProtocolError::Fault { code, message },
                    None => malformed("no <return> element in the answer"),
                });
            }
            _ => {}
        }
    }
}

fn attribute(start: &BytesStart, name: &str) -> Result<Option<String>, ProtocolError> {
    for attribute in start.attributes() {
        let attribute = attribute.map_err(malformed)?;
        if attribute.key.as_ref() == name {
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(malformed)?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// Parses the answer to a consultation of `asked`.
pub fn parse_consult_reply(body: &[u8], asked: &str) -> Result<Reply, ProtocolError> {
    let envelope = decode(body);
    let payload = return_text(&envelope)?;
    let mut reader = Reader::from_str(&payload);
    let (root, empty) = loop {
        match reader.read_event().map_err(malformed)? {
            Event::Start(e) => break (e.into_owned(), false),
            Event::Empty(e) => break (e.into_owned(), true),
            Event::Eof => return Err(malformed("the <return> text holds no element")),
            _ => {}
        }
    };
    if root.name().as_ref() != "CURPStruct" {
        return Err(malformed(format!(
            "expected CURPStruct, found {}",
            root.name().as_ref()
        )));
    }
    let status = attribute(&root, "statusOper")?.unwrap_or_default();
    let message = attribute(&root, "message")?.unwrap_or_default();
    let error_type = attribute(&root, "TipoError")?.unwrap_or_default();
    let error_code = attribute(&root, "CodigoError")?.unwrap_or_default();
    let session_id = attribute(&root, "SessionID")?.filter(|s| !s.is_empty());
    if status.trim() != "EXITOSO" {
        let answer = match (error_type.trim(), error_code.trim()) {
            // 06 "not in the database", 10 "could not retrieve", 12 "specified CURP not
            // found": the catalogue's three ways of saying there is no such CURP.
            ("01", "06" | "10" | "12") => Answer::NotFound { message },
            ("01", "09") => Answer::MalformedCurp { message },
            ("01", "18") => Answer::InvalidUser { message },
            ("99", _) | ("01", "13" | "14") => Answer::Unavailable { message },
            _ => Answer::Refused {
                error_type,
                error_code,
                message,
            },
        };
        return Ok(Reply { answer, session_id });
    }
    if empty {
        return Err(malformed("a successful CURPStruct without data"));
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut historic = Vec::new();
    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                if name == "curpsHistoricas" || name == "curpHistoricas" {
                    historic.extend(
                        text_until_end(&mut reader)?
                            .split(|c: char| c == ',' || c.is_whitespace())
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned),
                    );
                } else {
                    fields.push((name, text_until_end(&mut reader)?.trim().to_owned()));
                }
            }
            Event::Empty(e) => {
                fields.push((e.name().as_ref().to_owned(), String::new()));
            }
            Event::End(_) | Event::Eof => break,
            _ => {}
        }
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let answered = field("CURP");
    if !answered.eq_ignore_ascii_case(asked.trim()) {
        return Err(ProtocolError::CurpMismatch {
            asked: asked.trim().to_owned(),
            answered,
        });
    }
    let record = CurpRecord {
        curp: answered,
        first_surname: field("apellido1"),
        second_surname: Some(field("apellido2")).filter(|s| !s.is_empty()),
        given_names: field("nombres"),
        sex: field("sexo"),
        birth_date: NaiveDate::parse_from_str(&field("fechNac"), "%d/%m/%Y").ok(),
        birth_state: field("cveEntidadNac"),
        nationality: field("nacionalidad"),
        status: CurpStatus::parse(&field("statusCurp")),
        historic_curps: historic,
    };
    Ok(Reply {
        answer: Answer::Found(record),
        session_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published success payload (`docs/renapo-protocol.md`, "The answer"), verbatim.
    const FOUND: &str = r#"<?xml version="1.0" encoding="UTF-8"?><CURPStruct statusOper="EXITOSO" message="LA OPERACION SE EJECUTO." TipoError="" CodigoError="" SessionID="xKwo0Gme3xrM-cxMHNr66T6g_TM1YpHxe1d_4nDJ-VsUVt-2fiKa!490160862!1439498791326"> <CURP>PXNE660720HMCXTN06</CURP> <apellido1>PEÑA</apellido1> <apellido2>NIETO</apellido2> <nombres>ENRIQUE</nombres> <sexo>H</sexo> <fechNac>20/07/1966</fechNac> <nacionalidad>MEX</nacionalidad> <docProbatorio>1</docProbatorio> <anioReg>1966</anioReg> <foja></foja> <tomo></tomo> <libro>0002</libro> <numActa>00985</numActa> <CRIP></CRIP> <numEntidadReg>15</numEntidadReg> <cveMunicipioReg>014</cveMunicipioReg> <NumRegExtranjeros></NumRegExtranjeros> <FolioCarta></FolioCarta> <cveEntidadNac>MC</cveEntidadNac> <cveEntidadEmisora>65701</cveEntidadEmisora> <statusCurp>AN</statusCurp> </CURPStruct>"#;
    /// The published not-found payload (`docs/renapo-protocol.md`, "The answer"), verbatim.
    const NOT_FOUND: &str = r#"<?xml version="1.0" encoding="UTF-8"?><CURPStruct statusOper="NO EXITOSO" message="La CURP no se encuentra en la base de datos" TipoError="01" CodigoError="06" SessionID="MbE2jlXS4fvLfpqFLDDNhX_eY1LaXU2EOWsktVCTXUn1F-xWxaLA!1048217041!1448319276498"/>"#;

    /// The payload escaped inside `<ns:return>`, as Axis2 frames it.
    fn framed(payload: &str) -> String {
        format!(
            r#"<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:consultarPorCurpResponse xmlns:ns="http://services.wserv.ecurp.dgti.segob.gob.mx"><ns:return>{}</ns:return></ns:consultarPorCurpResponse></soapenv:Body></soapenv:Envelope>"#,
            quick_xml::escape::escape(payload)
        )
    }

    #[test]
    fn the_published_success_answer_reads_as_a_found_record() {
        let reply = parse_consult_reply(framed(FOUND).as_bytes(), "PXNE660720HMCXTN06").unwrap();
        let Answer::Found(record) = reply.answer else {
            panic!("{reply:?}");
        };
        assert_eq!(record.first_surname, "PEÑA");
        assert_eq!(record.second_surname.as_deref(), Some("NIETO"));
        assert_eq!(record.given_names, "ENRIQUE");
        assert_eq!(record.birth_date, NaiveDate::from_ymd_opt(1966, 7, 20));
        assert_eq!(
            (record.sex.as_str(), record.birth_state.as_str()),
            ("H", "MC")
        );
        assert_eq!(record.status, CurpStatus::An);
        assert!(record.status.is_active());
        assert_eq!(
            reply.session_id.as_deref(),
            Some("xKwo0Gme3xrM-cxMHNr66T6g_TM1YpHxe1d_4nDJ-VsUVt-2fiKa!490160862!1439498791326")
        );
    }

    #[test]
    fn the_published_not_found_answer_reads_as_not_found() {
        let reply =
            parse_consult_reply(framed(NOT_FOUND).as_bytes(), "XXXX000000XXXXXX00").unwrap();
        assert_eq!(
            reply.answer,
            Answer::NotFound {
                message: "La CURP no se encuentra en la base de datos".into()
            }
        );
        assert!(reply.session_id.is_some());
    }

    #[test]
    fn latin1_accents_are_read_as_well_as_utf8() {
        let latin1: Vec<u8> = framed(FOUND).chars().map(|c| c as u32 as u8).collect();
        assert!(std::str::from_utf8(&latin1).is_err());
        let Answer::Found(record) = parse_consult_reply(&latin1, "PXNE660720HMCXTN06")
            .unwrap()
            .answer
        else {
            panic!("not found");
        };
        assert_eq!(record.first_surname, "PEÑA");
    }

    #[test]
    fn error_codes_map_to_typed_answers() {
        let with = |tipo: &str, codigo: &str| {
            let payload = format!(
                r#"<CURPStruct statusOper="NO EXITOSO" message="m" TipoError="{tipo}" CodigoError="{codigo}" SessionID=""/>"#
            );
            parse_consult_reply(framed(&payload).as_bytes(), "A")
                .unwrap()
                .answer
        };
        for not_found in ["06", "10", "12"] {
            assert!(
                matches!(with("01", not_found), Answer::NotFound { .. }),
                "{not_found}"
            );
        }
        assert!(matches!(with("01", "09"), Answer::MalformedCurp { .. }));
        assert!(matches!(with("01", "18"), Answer::InvalidUser { .. }));
        assert!(matches!(with("99", ""), Answer::Unavailable { .. }));
        assert!(matches!(with("01", "14"), Answer::Unavailable { .. }));
        assert_eq!(
            with("01", "20"),
            Answer::Refused {
                error_type: "01".into(),
                error_code: "20".into(),
                message: "m".into()
            }
        );
    }

    #[test]
    fn statuses_tell_deaths_and_inactive_curps_apart() {
        assert!(CurpStatus::parse("BD").is_death());
        for code in ["BDA", "BDM", "BAP", "BSU", "BCC"] {
            let status = CurpStatus::parse(code);
            assert!(!status.is_active() && !status.is_death(), "{code}");
            assert_eq!(status.code(), code);
        }
        assert_eq!(CurpStatus::parse("ZZ"), CurpStatus::Unknown("ZZ".into()));
        assert!(!CurpStatus::parse("ZZ").is_active());
        assert!(CurpStatus::parse("RCC").is_active());
    }

    #[test]
    fn an_answer_for_another_curp_is_refused() {
        let error =
            parse_consult_reply(framed(FOUND).as_bytes(), "HEGG560427MVZRRL04").unwrap_err();
        assert_eq!(
            error,
            ProtocolError::CurpMismatch {
                asked: "HEGG560427MVZRRL04".into(),
                answered: "PXNE660720HMCXTN06".into()
            }
        );
    }

    #[test]
    fn faults_and_garbage_are_errors_not_answers() {
        let fault = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Servicio no disponible</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        assert_eq!(
            parse_consult_reply(fault.as_bytes(), "A").unwrap_err(),
            ProtocolError::Fault {
                code: "soapenv:Server".into(),
                message: "Servicio no disponible".into()
            }
        );
        for body in [
            &b"<html>502 Bad Gateway</html>"[..],
            b"",
            b"<soapenv:Envelope><ns:return>&lt;CURPStruct statusOper=",
            b"<a><ns:return>&lt;Otro/&gt;</ns:return></a>",
            b"<a><ns:return>&bogus;</ns:return></a>",
        ] {
            assert!(
                matches!(
                    parse_consult_reply(body, "A"),
                    Err(ProtocolError::Malformed(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn requests_escape_what_they_carry_and_keep_the_wsdl_order() {
        let credentials = Credentials {
            user: "usuario<&>".into(),
            password: "pa\"ss'".into(),
            caller_ip: "10.0.0.1".into(),
            issuing_entity: "15".into(),
            transaction_type: 5,
        };
        let envelope = consult_envelope(&credentials, "HEGG560427MVZRRL04");
        assert!(envelope.contains("<xsd:usuario>usuario&lt;&amp;&gt;</xsd:usuario>"));
        assert!(envelope.contains("<xsd:password>pa&quot;ss&apos;</xsd:password>"));
        let order: Vec<usize> = [
            "cveCurp",
            "cveEntidadEmisora",
            "direccionIp",
            "password",
            "tipoTransaccion",
            "usuario",
        ]
        .iter()
        .map(|name| envelope.find(&format!("<xsd:{name}>")).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        assert!(!format!("{credentials:?}").contains("pa\"ss"));
        assert!(envelope.contains("<xsd:cveEntidadEmisora>15</xsd:cveEntidadEmisora>"));
        let unassigned = Credentials {
            issuing_entity: " ".into(),
            ..credentials
        };
        let envelope = consult_envelope(&unassigned, "HEGG560427MVZRRL04");
        assert!(!envelope.contains("cveEntidadEmisora"), "{envelope}");
        assert!(
            envelope.contains("<xsd:cveCurp>HEGG560427MVZRRL04</xsd:cveCurp><xsd:direccionIp>")
        );
        let confirm = confirm_envelope("abc!123");
        assert!(confirm.contains("<ser:sessionID>abc!123</ser:sessionID><ser:Mssg>OK</ser:Mssg>"));
    }
}
