//! Mexican identifiers: CURP (population registry key) and RFC (tax id), as validated value types.
//!
//! Rules and vectors: `docs/renapo-protocol.md`, "CURP", and `docs/sat-protocol.md`, "RFC". A
//! failed check names its reason with a
//! stable code (`format`, `date`, `sex`, `state`, `inconvenient_word`, `century`, `check_digit`) and a
//! Spanish message. RFC check-digit failures are *warnings*: about 1.5 % of real RFCs fail it.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Birth-state codes of positions 12–13, with the state's name; `NE` = born abroad. The order is
/// INEGI's numbering (01 Aguascalientes … 32 Zacatecas), which RENAPO answers use.
pub const STATES: [(&str, &str); 33] = [
    ("AS", "Aguascalientes"),
    ("BC", "Baja California"),
    ("BS", "Baja California Sur"),
    ("CC", "Campeche"),
    ("CL", "Coahuila"),
    ("CM", "Colima"),
    ("CS", "Chiapas"),
    ("CH", "Chihuahua"),
    ("DF", "Ciudad de México"),
    ("DG", "Durango"),
    ("GT", "Guanajuato"),
    ("GR", "Guerrero"),
    ("HG", "Hidalgo"),
    ("JC", "Jalisco"),
    ("MC", "México"),
    ("MN", "Michoacán"),
    ("MS", "Morelos"),
    ("NT", "Nayarit"),
    ("NL", "Nuevo León"),
    ("OC", "Oaxaca"),
    ("PL", "Puebla"),
    ("QT", "Querétaro"),
    ("QR", "Quintana Roo"),
    ("SP", "San Luis Potosí"),
    ("SL", "Sinaloa"),
    ("SR", "Sonora"),
    ("TC", "Tabasco"),
    ("TS", "Tamaulipas"),
    ("TL", "Tlaxcala"),
    ("VZ", "Veracruz"),
    ("YN", "Yucatán"),
    ("ZS", "Zacatecas"),
    ("NE", "Nacido en el extranjero"),
];

/// Name of a state code, if it is one.
pub fn state_name(code: &str) -> Option<&'static str> {
    STATES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// First four letters RENAPO never issues (Anexo 2 of the Instructivo Normativo, 81 words): it
/// replaces the second letter with `X`.
pub const CURP_INCONVENIENT_WORDS: [&str; 81] = [
    "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COGI",
    "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI", "GUEY", "JETA",
    "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI", "KOJA", "KOJE", "KOJI",
    "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO", "MAME", "MAMO", "MEAR", "MEAS",
    "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO", "NACA", "NACO", "PEDA", "PEDO", "PENE",
    "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO", "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO",
    "TETA", "VACA", "VAGA", "VAGO", "VAKA", "VUEI", "VUEY", "WUEI", "WUEY",
];

/// First four letters the SAT never issues in an RFC (41 words): it replaces the last letter with `X`.
pub const RFC_INCONVENIENT_WORDS: [&str; 41] = [
    "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COJA", "COJE", "COJI",
    "COJO", "CULO", "FETO", "GUEY", "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KOGE", "KOJO",
    "KULO", "MAME", "MAMO", "MEAR", "MEAS", "MEON", "MION", "MOCO", "MULA", "PEDA", "PEDO", "PENE",
    "PUTA", "PUTO", "QULO", "RATA", "RUIN",
];

/// Sex as recorded in the CURP (position 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `H` (hombre).
    Male,
    /// `M` (mujer).
    Female,
}

impl Sex {
    pub fn letter(self) -> char {
        match self {
            Sex::Male => 'H',
            Sex::Female => 'M',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "Hombre",
            Sex::Female => "Mujer",
        }
    }
}

/// Why a CURP is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CurpProblem {
    /// Not 18 characters of the right kinds in the right places.
    Format,
    /// Positions 5–10 are not a real calendar date.
    Date,
    /// Position 11 is neither `H` nor `M`.
    Sex,
    /// Positions 12–13 are not a state code.
    State,
    /// The first four letters are a word RENAPO never issues.
    InconvenientWord,
    /// Position 17 is a letter (born from 2000 on) but that birth date is still in the future.
    Century,
    /// Position 18 does not match the other 17.
    CheckDigit,
}

impl CurpProblem {
    pub fn code(self) -> &'static str {
        match self {
            CurpProblem::Format => "format",
            CurpProblem::Date => "date",
            CurpProblem::Sex => "sex",
            CurpProblem::State => "state",
            CurpProblem::InconvenientWord => "inconvenient_word",
            CurpProblem::Century => "century",
            CurpProblem::CheckDigit => "check_digit",
        }
    }

    /// What is wrong, for people (es-MX).
    pub fn message(self) -> &'static str {
        match self {
            CurpProblem::Format => {
                "La CURP debe tener 18 caracteres: 4 letras, 6 dígitos de fecha, sexo, entidad, 3 consonantes, \
                 un carácter diferenciador y un dígito verificador."
            }
            CurpProblem::Date => {
                "La fecha de nacimiento de la CURP (posiciones 5 a 10) no existe en el calendario."
            }
            CurpProblem::Sex => "El sexo de la CURP (posición 11) debe ser H o M.",
            CurpProblem::State => {
                "La entidad de nacimiento de la CURP (posiciones 12 y 13) no es una clave válida."
            }
            CurpProblem::InconvenientWord => {
                "Las primeras cuatro letras forman una palabra que RENAPO no asigna (se sustituye la segunda por X)."
            }
            CurpProblem::Century => {
                "El carácter 17 no corresponde al siglo de nacimiento: dígito para nacidos hasta 1999, letra desde 2000."
            }
            CurpProblem::CheckDigit => {
                "El dígito verificador de la CURP (posición 18) no corresponde."
            }
        }
    }
}

impl fmt::Display for CurpProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A valid CURP (upper case, 18 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Curp(String);

/// Position of `c` in a check-digit alphabet "0–9 A–N `extra` O–Z" (RENAPO's has Ñ after N,
/// SAT's has &), computed instead of searched: layouts check millions of these.
fn alphabet_value(c: char, extra: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='N' => Some(c as u32 - 'A' as u32 + 10),
        'O'..='Z' => Some(c as u32 - 'O' as u32 + 25),
        c if c == extra => Some(24),
        _ => None,
    }
}

fn is_vowel_or_x(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U' | b'X')
}

fn is_consonant(c: u8) -> bool {
    c.is_ascii_uppercase() && !matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

impl Curp {
    /// Validates a CURP. Surrounding spaces are ignored and letters are upper-cased.
    pub fn parse(input: &str) -> Result<Curp, CurpProblem> {
        let value = input.trim().to_uppercase();
        let b = value.as_bytes();
        let format_ok = b.len() == 18
            && b[0].is_ascii_uppercase()
            && is_vowel_or_x(b[1])
            && b[2..4].iter().all(u8::is_ascii_uppercase)
            && b[4..10].iter().all(u8::is_ascii_digit)
            && b[10].is_ascii_uppercase()
            && b[11..13].iter().all(u8::is_ascii_uppercase)
            && b[13..16].iter().all(|&c| is_consonant(c))
            && (b[16].is_ascii_digit() || b[16].is_ascii_uppercase())
            && b[17].is_ascii_digit();
        if !format_ok {
            return Err(CurpProblem::Format);
        }
        let born_2000s = b[16].is_ascii_uppercase();
        let date = curp_date(&b[4..10], born_2000s).ok_or(CurpProblem::Date)?;
        if !matches!(b[10], b'H' | b'M') {
            return Err(CurpProblem::Sex);
        }
        if state_name(&value[11..13]).is_none() {
            return Err(CurpProblem::State);
        }
        if CURP_INCONVENIENT_WORDS.binary_search(&&value[..4]).is_ok() {
            return Err(CurpProblem::InconvenientWord);
        }
        if born_2000s && date > chrono::Utc::now().date_naive() {
            return Err(CurpProblem::Century);
        }
        if Curp::check_digit(&value[..17]) != Some(b[17] as char) {
            return Err(CurpProblem::CheckDigit);
        }
        Ok(Curp(value))
    }

    /// The check digit (position 18) for the first 17 characters, or `None` if they contain a
    /// character outside the CURP alphabet.
    pub fn check_digit(first_17: &str) -> Option<char> {
        let mut sum = 0u32;
        for (i, c) in first_17.chars().enumerate() {
            sum += alphabet_value(c, 'Ñ')? * (18 - i as u32);
        }
        char::from_digit((10 - sum % 10) % 10, 10)
    }

    /// The CURP as a 96-bit key (base 36: 36¹⁸ < 2⁹⁴), for compact sets of millions of CURPs.
    /// Keys sort as the CURPs do.
    pub fn packed(&self) -> [u32; 3] {
        Curp::pack(&self.0).expect("a valid CURP is 18 digits and capital letters")
    }

    /// [`Curp::packed`] for text already known to be a CURP (as the registry's are), without
    /// the other checks; `None` unless it is 18 digits and capital letters.
    pub fn pack(text: &str) -> Option<[u32; 3]> {
        if text.len() != 18 {
            return None;
        }
        let mut value = 0u128;
        for b in text.bytes() {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'A'..=b'Z' => b - b'A' + 10,
                _ => return None,
            };
            value = value * 36 + u128::from(digit);
        }
        Some([(value >> 64) as u32, (value >> 32) as u32, value as u32])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date: positions 5–10, the century given by position 17 (digit 1900s, letter 2000s).
    pub fn birth_date(&self) -> NaiveDate {
        let born_2000s = self.0.as_bytes()[16].is_ascii_uppercase();
        curp_date(&self.0.as_bytes()[4..10], born_2000s).expect("validated on parse")
    }

    pub fn sex(&self) -> Sex {
        if self.0.as_bytes()[10] == b'H' {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Birth-state code (positions 12–13), `NE` for born abroad.
    pub fn state(&self) -> &str {
        &self.0[11..13]
    }
}

/// The date in six ASCII digits `YYMMDD`.
fn curp_date(yymmdd: &[u8], born_2000s: bool) -> Option<NaiveDate> {
    let two_digits = |at: usize| -> Option<u32> {
        let (tens, units) = (yymmdd.get(at)?, yymmdd.get(at + 1)?);
        (tens.is_ascii_digit() && units.is_ascii_digit())
            .then(|| u32::from(tens - b'0') * 10 + u32::from(units - b'0'))
    };
    let yy = two_digits(0)? as i32;
    NaiveDate::from_ymd_opt(
        if born_2000s { 2000 + yy } else { 1900 + yy },
        two_digits(2)?,
        two_digits(4)?,
    )
}

impl AsRef<str> for Curp {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Curp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Curp {
    type Error = CurpProblem;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Curp::parse(&value)
    }
}

impl From<Curp> for String {
    fn from(curp: Curp) -> String {
        curp.0
    }
}

/// Persona física (13 characters) or persona moral (12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RfcKind {
    Fisica,
    Moral,
}

/// Why an RFC is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RfcProblem {
    Format,
    Date,
    InconvenientWord,
}

impl RfcProblem {
    pub fn code(self) -> &'static str {
        match self {
            RfcProblem::Format => "format",
            RfcProblem::Date => "date",
            RfcProblem::InconvenientWord => "inconvenient_word",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            RfcProblem::Format => {
                "El RFC debe tener 13 caracteres (persona física) o 12 (persona moral): letras, fecha AAMMDD y homoclave."
            }
            RfcProblem::Date => "La fecha del RFC (AAMMDD) no existe en el calendario.",
            RfcProblem::InconvenientWord => {
                "Las primeras cuatro letras del RFC forman una palabra que el SAT no asigna (se sustituye la última por X)."
            }
        }
    }
}

impl fmt::Display for RfcProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Something worth telling about an RFC that is still accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RfcWarning {
    /// The mod-11 check digit does not match (≈1.5 % of real RFCs).
    CheckDigit,
    /// A generic RFC (`XAXX010101000` público en general, `XEXX010101000` extranjero).
    Generic,
}

impl RfcWarning {
    pub const ALL: [RfcWarning; 2] = [RfcWarning::CheckDigit, RfcWarning::Generic];

    pub fn parse(code: &str) -> Option<RfcWarning> {
        RfcWarning::ALL.into_iter().find(|w| w.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            RfcWarning::CheckDigit => "check_digit",
            RfcWarning::Generic => "generic",
        }
    }

    /// A short name, for a report's cell.
    pub fn label(self) -> &'static str {
        match self {
            RfcWarning::CheckDigit => "Dígito verificador no coincide",
            RfcWarning::Generic => "RFC genérico",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            RfcWarning::CheckDigit => {
                "El dígito verificador del RFC no corresponde; hay RFC reales así, verifíquelo con la constancia del SAT."
            }
            RfcWarning::Generic => {
                "Es un RFC genérico (público en general o extranjero), no identifica a una persona."
            }
        }
    }
}

/// A well-formed RFC (upper case; spaces and hyphens removed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rfc(String);

const RFC_ALPHABET: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";
const GENERIC_RFCS: [&str; 2] = ["XAXX010101000", "XEXX010101000"];

fn is_rfc_letter(c: char) -> bool {
    c.is_ascii_uppercase() || c == '&' || c == 'Ñ'
}

impl Rfc {
    /// Validates an RFC's form and date. Check-digit mismatches are reported by [`Rfc::warnings`].
    pub fn parse(input: &str) -> Result<Rfc, RfcProblem> {
        let trimmed = input.trim();
        let kept = |c: &char| *c != ' ' && *c != '-';
        let value: String = if trimmed.is_ascii() {
            trimmed
                .chars()
                .filter(kept)
                .map(|c| c.to_ascii_uppercase())
                .collect()
        } else {
            trimmed
                .chars()
                .filter(kept)
                .flat_map(char::to_uppercase)
                .collect()
        };
        // At most 13 characters, kept on the stack: this runs for every row of a layout.
        let mut chars = [' '; 13];
        let mut len = 0;
        for c in value.chars() {
            *chars.get_mut(len).ok_or(RfcProblem::Format)? = c;
            len += 1;
        }
        let letters = match len {
            13 => 4,
            12 => 3,
            _ => return Err(RfcProblem::Format),
        };
        let (initials, rest) = chars[..len].split_at(letters);
        let (date, homoclave) = rest.split_at(6);
        let format_ok = initials.iter().all(|&c| is_rfc_letter(c))
            && date.iter().all(char::is_ascii_digit)
            && homoclave[..2]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (homoclave[2].is_ascii_digit() || homoclave[2] == 'A');
        if !format_ok {
            return Err(RfcProblem::Format);
        }
        let date: [u8; 6] = std::array::from_fn(|i| date[i] as u8);
        if curp_date(&date, false).is_none() && curp_date(&date, true).is_none() {
            return Err(RfcProblem::Date);
        }
        // Initials with `&` or `Ñ` are never inconvenient words (`Ñ` as a byte is not UTF-8).
        let word: [u8; 4] = std::array::from_fn(|i| initials.get(i).map_or(0, |&c| c as u8));
        if letters == 4
            && std::str::from_utf8(&word)
                .is_ok_and(|word| RFC_INCONVENIENT_WORDS.binary_search(&word).is_ok())
        {
            return Err(RfcProblem::InconvenientWord);
        }
        Ok(Rfc(value))
    }

    /// The mod-11 check digit for an RFC without its last character (11 or 12 characters).
    pub fn check_digit(without_check: &str) -> Option<char> {
        let count = without_check.chars().count();
        if !(11..=12).contains(&count) {
            return None;
        }
        let padded = std::iter::repeat_n(' ', 12 - count).chain(without_check.chars());
        let mut sum = 0u32;
        for (i, c) in padded.enumerate() {
            let value = match c {
                ' ' => 37,
                'Ñ' => 38,
                c => alphabet_value(c, '&')?,
            };
            sum += value * (13 - i as u32);
        }
        RFC_ALPHABET.chars().nth(((11 - sum % 11) % 11) as usize)
    }

    pub fn kind(&self) -> RfcKind {
        if self.0.chars().count() == 13 {
            RfcKind::Fisica
        } else {
            RfcKind::Moral
        }
    }

    /// What to tell about an accepted RFC (empty when nothing).
    pub fn warnings(&self) -> Vec<RfcWarning> {
        let mut warnings = Vec::new();
        if GENERIC_RFCS.contains(&self.0.as_str()) {
            warnings.push(RfcWarning::Generic);
        }
        let (body, last) = self.0.split_at(self.0.len() - 1);
        if Rfc::check_digit(body) != last.chars().next() {
            warnings.push(RfcWarning::CheckDigit);
        }
        warnings
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an RFC cannot be the RFC of the person a CURP names
/// (`docs/sat-protocol.md`, "Whose RFC it is").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RfcOwnership {
    /// A legal entity's RFC (12 characters): a person's CURP never goes with one.
    LegalEntity,
    /// The birth date or the name letters contradict the CURP, or the RFC is a generic one.
    Contradicts,
}

impl RfcOwnership {
    pub fn message(self) -> &'static str {
        match self {
            RfcOwnership::LegalEntity => {
                "El RFC es de una persona moral (12 caracteres) y la CURP es de una persona física."
            }
            RfcOwnership::Contradicts => {
                "El RFC no corresponde a la CURP: la fecha de nacimiento o las letras del nombre no coinciden."
            }
        }
    }
}

impl Rfc {
    /// Whether this RFC can be the one of the person `curp` names. For a person both keys are
    /// built from the same birth date (positions 5–10, compared exactly) and the same name
    /// letters (positions 1–4), which the two authorities write differently only in known
    /// ways: an `X` for a replaced letter (inconvenient words, `Ñ` in the CURP, a missing
    /// letter), and the RFC's two-letter forms for one surname or a surname without an inner
    /// vowel. The homoclave is the SAT's and cannot be derived.
    pub fn belongs_to(&self, curp: &Curp) -> Result<(), RfcOwnership> {
        if self.kind() == RfcKind::Moral {
            return Err(RfcOwnership::LegalEntity);
        }
        if GENERIC_RFCS.contains(&self.0.as_str()) {
            return Err(RfcOwnership::Contradicts);
        }
        let rfc: Vec<char> = self.0.chars().collect();
        let curp: Vec<char> = curp.as_str().chars().collect();
        if rfc[4..10] != curp[4..10] {
            return Err(RfcOwnership::Contradicts);
        }
        let (r, c) = (&rfc[..4], &curp[..4]);
        // An `X` stands for any letter, `Ñ` in the CURP included.
        let same = |a: char, b: char| a == b || a == 'X' || b == 'X';
        let letter_by_letter = (0..4).all(|i| same(r[i], c[i]));
        // No second surname: the CURP writes X in its place; the RFC takes two letters of the
        // first surname and two of the given name.
        let one_surname = c[2] == 'X' && same(r[0], c[0]) && same(r[2], c[3]);
        // A first surname without an inner vowel: the CURP writes X for it; the RFC takes the
        // surnames' initials and two letters of the given name.
        let short_surname = c[1] == 'X' && same(r[0], c[0]) && r[1] == c[2] && same(r[2], c[3]);
        if letter_by_letter || one_surname || short_surname {
            Ok(())
        } else {
            Err(RfcOwnership::Contradicts)
        }
    }

    /// Whether many people may share this RFC (the generic ones, which identify nobody).
    pub fn is_generic(&self) -> bool {
        Rfc::is_generic_text(&self.0)
    }

    /// [`Rfc::is_generic`] for an RFC stored as text (stored RFCs are normalized).
    pub fn is_generic_text(text: &str) -> bool {
        GENERIC_RFCS.contains(&text)
    }
}

impl fmt::Display for Rfc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Rfc {
    type Error = RfcProblem;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Rfc::parse(&value)
    }
}

impl From<Rfc> for String {
    fn from(rfc: Rfc) -> String {
        rfc.0
    }
}

/// Upper case without accents or repeated spaces (Ñ is kept): how names are compared and searched.
pub fn plain_upper(text: &str) -> String {
    let upper: String = text
        .to_uppercase()
        .chars()
        .map(|c| match c {
            'Á' | 'À' | 'Ä' | 'Â' => 'A',
            'É' | 'È' | 'Ë' | 'Ê' => 'E',
            'Í' | 'Ì' | 'Ï' | 'Î' => 'I',
            'Ó' | 'Ò' | 'Ö' | 'Ô' => 'O',
            'Ú' | 'Ù' | 'Ü' | 'Û' => 'U',
            other => other,
        })
        .collect();
    upper.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Age in whole years on `on` (for plausibility checks and display).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_warnings_round_trip_their_codes() {
        for warning in RfcWarning::ALL {
            assert_eq!(RfcWarning::parse(warning.code()), Some(warning));
        }
        assert_eq!(RfcWarning::parse("otra"), None);
    }

    /// `rfc` against the CURP of these first 17 characters (the check digit computed).
    fn owns(rfc: &str, curp_17: &str) -> Result<(), RfcOwnership> {
        let check = Curp::check_digit(curp_17).unwrap();
        let curp = Curp::parse(&format!("{curp_17}{check}")).unwrap();
        Rfc::parse(rfc).unwrap().belongs_to(&curp)
    }

    #[test]
    fn a_persons_rfc_belongs_to_the_curp_built_from_the_same_name_and_birth_date() {
        // The SAT's canonical example and its CURP (Enrique González Durán, 31 Dec 1956).
        assert_eq!(owns("GODE561231GR8", "GODE561231HDFRRN0"), Ok(()));
        // Another farmer's RFC: other letters and another date.
        assert_eq!(
            owns("AUUA8510222F6", "CURA021231HVZRVBA"),
            Err(RfcOwnership::Contradicts)
        );
        // The same letters, another birth date.
        assert_eq!(
            owns("GODE561230GR8", "GODE561231HDFRRN0"),
            Err(RfcOwnership::Contradicts)
        );
        // The same date, another surname's initial.
        assert_eq!(
            owns("RODE561231GR8", "GODE561231HDFRRN0"),
            Err(RfcOwnership::Contradicts)
        );
    }

    #[test]
    fn known_differences_between_the_curp_and_rfc_rules_are_not_contradictions() {
        // Inconvenient words: the CURP replaces the second letter (BUEY → BXEY), the RFC the
        // last (BUEY → BUEX).
        assert_eq!(owns("BUEX800101AB1", "BXEY800101HDFNNS0"), Ok(()));
        // One surname: CURP PEXJ (X for the missing surname), RFC PEJU (two and two letters).
        assert_eq!(owns("PEJU800101AB1", "PEXJ800101HDFRNN0"), Ok(()));
        // A first surname without an inner vowel (Ek): CURP EXPJ, RFC EPJU.
        assert_eq!(owns("EPJU800101AB1", "EXPJ800101HYNKRN0"), Ok(()));
        // Ñ: the CURP writes X, the RFC may keep it.
        assert_eq!(owns("MUÑJ800101AB1", "MUXJ800101HDFXXN0"), Ok(()));
    }

    #[test]
    fn a_legal_entitys_or_a_generic_rfc_never_belongs_to_a_person() {
        assert_eq!(
            owns("MAB9307148T4", "GODE561231HDFRRN0"),
            Err(RfcOwnership::LegalEntity)
        );
        assert_eq!(
            owns("XAXX010101000", "XAXX010101HDFXXX0"),
            Err(RfcOwnership::Contradicts)
        );
        assert!(Rfc::parse("XEXX010101000").unwrap().is_generic());
        assert!(!Rfc::parse("GODE561231GR8").unwrap().is_generic());
    }

    #[test]
    fn inconvenient_word_lists_are_sorted_for_binary_search() {
        assert!(CURP_INCONVENIENT_WORDS.is_sorted());
        assert!(RFC_INCONVENIENT_WORDS.is_sorted());
    }

    #[test]
    fn packed_curps_are_distinct_and_fit_in_94_bits() {
        let a = Curp::parse("HEGG560427MVZRRL04").unwrap().packed();
        let b = Curp::parse("BEML920313HMCLNS09").unwrap().packed();
        assert_ne!(a, b);
        let widest = Curp(String::from("ZZZZZZZZZZZZZZZZZZ")).packed();
        assert_eq!(widest[0] >> 30, 0);
    }

    #[test]
    fn packed_keys_sort_as_the_curps_do_and_only_curp_text_packs() {
        let mut curps = [
            "HEGG560427MVZRRL04",
            "BEML920313HMCLNS09",
            "BEML920313HMCLNS0A",
        ];
        let mut keys: Vec<[u32; 3]> = curps.iter().map(|c| Curp::pack(c).unwrap()).collect();
        curps.sort();
        keys.sort();
        assert_eq!(keys, curps.map(|c| Curp::pack(c).unwrap()));
        assert_eq!(Curp::pack("BEML920313HMCLNS0"), None);
        assert_eq!(Curp::pack("beml920313hmclns09"), None);
        assert_eq!(Curp::pack("BEML920313HMCLÑS09"), None);
    }

    /// The published CURP vectors, with the expected outcome.
    #[test]
    fn curp_reference_vectors() {
        let valid = [
            "HEGG560427MVZRRL04",
            "BEML920313HMCLNS09",
            "PEGL890909MJCRMS08",
            "BOXW310820HNERXN09",
            "AAMG890608HDFLJL00",
            "BAAD890419HMNRRV07",
            "MESJ890928HMNZNS00",
            "VIAA900930MMNCLL08",
            "OOMG890727HMNRSR06",
            "SASO750909HDFNNS05",
            "ZUNA540308MNELTN05",
            "SABC560626MDFLRN01",
            "MOTR930411HJCRMN03",
            "PXNE660720HMCXTN06",
        ];
        for curp in valid {
            assert_eq!(
                Curp::parse(curp).map(|c| c.to_string()),
                Ok(curp.to_owned()),
                "{curp}"
            );
        }
        let invalid = [
            ("BOXW310820HNERXN08", CurpProblem::CheckDigit),
            ("PEGL890909MJCRMS09", CurpProblem::CheckDigit),
            ("HEGG560427MVZRRL03", CurpProblem::CheckDigit),
            ("SABC560626MDFLRN09", CurpProblem::CheckDigit),
            ("BACA890909MJCRMS05", CurpProblem::InconvenientWord),
            ("PEGL891313MJCRMS06", CurpProblem::Date),
            ("PEGL890909QJCRMS08", CurpProblem::Sex),
            ("PEGL890909MQQRMS02", CurpProblem::State),
            ("1230", CurpProblem::Format),
            ("123ZZZZZZZZZZZZZ90", CurpProblem::Format),
        ];
        for (curp, problem) in invalid {
            assert_eq!(Curp::parse(curp), Err(problem), "{curp}");
        }
    }

    #[test]
    fn curp_parts_are_read_back() {
        let curp = Curp::parse(" hegg560427mvzrrl04 ").unwrap();
        assert_eq!(curp.as_str(), "HEGG560427MVZRRL04");
        assert_eq!(
            curp.birth_date(),
            NaiveDate::from_ymd_opt(1956, 4, 27).unwrap()
        );
        assert_eq!(curp.sex(), Sex::Female);
        assert_eq!(curp.state(), "VZ");
        assert_eq!(state_name(curp.state()), Some("Veracruz"));
        assert_eq!(Curp::parse("BOXW310820HNERXN09").unwrap().state(), "NE");
    }

    /// Position 17 decides the century: a digit is 19YY, a letter 20YY.
    #[test]
    fn position_17_sets_the_century_of_the_date() {
        let with = |yymmdd: &str, homonym: char| {
            let first_17 = format!("GOAJ{yymmdd}HDFNRN{homonym}");
            format!("{first_17}{}", Curp::check_digit(&first_17).unwrap())
        };
        let born_2004 = Curp::parse(&with("040229", 'A')).unwrap();
        assert_eq!(
            born_2004.birth_date(),
            NaiveDate::from_ymd_opt(2004, 2, 29).unwrap()
        );
        assert_eq!(
            Curp::parse(&with("000229", 'A'))
                .unwrap()
                .birth_date()
                .year(),
            2000,
            "2000 is leap"
        );
        assert_eq!(
            Curp::parse(&with("000229", '0')),
            Err(CurpProblem::Date),
            "1900 is not leap"
        );
        // A letter on '88 means 2088: not born yet. (python-stdnum accepts TOMA880125HMNRRNO2.)
        assert_eq!(Curp::parse(&with("880125", 'O')), Err(CurpProblem::Century));
        assert_eq!(Curp::parse("TOMA880125HMNRRNO2"), Err(CurpProblem::Century));
        // The reference warns this public fixture's digit is wrong: 4, not 6.
        assert_eq!(
            Curp::parse("GOAJ040229HDFNRNA6"),
            Err(CurpProblem::CheckDigit)
        );
        assert!(Curp::parse("GOAJ040229HDFNRNA4").is_ok());
    }

    #[test]
    fn curp_format_checks_vowel_and_consonant_positions() {
        // Position 2 must be a vowel or X; positions 14–16 consonants.
        assert_eq!(Curp::parse("HBGG560427MVZRRL04"), Err(CurpProblem::Format));
        assert_eq!(Curp::parse("HEGG560427MVZARL04"), Err(CurpProblem::Format));
        assert_eq!(Curp::parse("HEGG560427MVZRRL0A"), Err(CurpProblem::Format));
        assert_eq!(Curp::parse("HEGG560427MVZRRL04X"), Err(CurpProblem::Format));
    }

    #[test]
    fn curp_serde_validates_and_problems_have_codes_and_spanish_messages() {
        assert_eq!(
            serde_json::from_str::<Curp>("\"PEGL890909MJCRMS08\"")
                .unwrap()
                .as_str(),
            "PEGL890909MJCRMS08"
        );
        assert!(serde_json::from_str::<Curp>("\"PEGL890909MJCRMS09\"").is_err());
        assert_eq!(
            serde_json::to_string(&CurpProblem::InconvenientWord).unwrap(),
            "\"inconvenient_word\""
        );
        assert_eq!(CurpProblem::CheckDigit.code(), "check_digit");
        assert!(CurpProblem::Date.message().contains("fecha"));
    }

    /// The published RFC vectors.
    #[test]
    fn rfc_reference_vectors() {
        let clean = [
            "GODE561231GR8",
            "CFE010608HC8",
            "AAA390128530",
            "&&&030828PX7",
            "AEL7407151YA",
            "MUÑ110218LJ6",
            "CACX7605101P8",
        ];
        for rfc in clean {
            let parsed = Rfc::parse(rfc).unwrap_or_else(|e| panic!("{rfc}: {e}"));
            assert_eq!(parsed.warnings(), vec![], "{rfc}");
        }
        assert_eq!(Rfc::parse("MAB9307148T4").unwrap().kind(), RfcKind::Moral);
        assert_eq!(Rfc::parse("GODE561231GR8").unwrap().kind(), RfcKind::Fisica);
        assert_eq!(
            Rfc::parse("XEXX010101000").unwrap().warnings(),
            vec![RfcWarning::Generic]
        );
        assert_eq!(
            Rfc::parse("XAXX010101000").unwrap().warnings(),
            vec![RfcWarning::Generic, RfcWarning::CheckDigit]
        );
        for real_but_wrong in ["VACE460910SX6", "SIN9311169P8", "GODE561231GR7"] {
            assert_eq!(
                Rfc::parse(real_but_wrong).unwrap().warnings(),
                vec![RfcWarning::CheckDigit],
                "{real_but_wrong}"
            );
        }
        assert_eq!(Rfc::parse("AABN 821103 8Ñ2"), Err(RfcProblem::Format));
        assert_eq!(
            Rfc::parse("CACA 580710 NF7"),
            Err(RfcProblem::InconvenientWord)
        );
        assert_eq!(
            Rfc::parse("GODE-561231-GR8").unwrap().as_str(),
            "GODE561231GR8"
        );
        assert_eq!(Rfc::parse("GODE561331GR8"), Err(RfcProblem::Date));
        assert_eq!(Rfc::parse("GODE56123GR8"), Err(RfcProblem::Format));
    }

    #[test]
    fn rfc_check_digit_is_mod_11_with_a_for_ten() {
        assert_eq!(Rfc::check_digit("GODE561231GR"), Some('8'));
        assert_eq!(Rfc::check_digit("AEL7407151Y"), Some('A'));
        assert_eq!(Rfc::check_digit("MAB9307148T"), Some('4'));
        assert_eq!(Rfc::check_digit("short"), None);
    }

    #[test]
    fn plain_upper_drops_accents_and_extra_spaces_but_keeps_n_tilde() {
        assert_eq!(
            plain_upper("  María de los   Ángeles Núñez "),
            "MARIA DE LOS ANGELES NUÑEZ"
        );
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = NaiveDate::from_ymd_opt(1956, 4, 27).unwrap();
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 4, 26).unwrap()),
            69
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 4, 27).unwrap()),
            70
        );
    }
}
