//! The letters the service writes as PDF: the response letter (oficio de respuesta) of a
//! request declared not admissible, with the ticket, folio, requesting unit, reason and date,
//! generated when the sub-directorate rejects the request and attached to it; and
//! the format of the oficio areas fill in to request the service.
//!
//! Text is set in Helvetica, one of the fonts every PDF reader has, with WinAnsiEncoding, which
//! holds every Spanish letter; characters outside it are written as `?`.

use chrono::{DateTime, Datelike, Utc};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::calendar::local_date;

/// What the letter says.
pub struct Letter<'a> {
    pub ticket_number: &'a str,
    pub folio: Option<&'a str>,
    pub unit_name: &'a str,
    pub subject: &'a str,
    pub signer_name: &'a str,
    pub signer_position: &'a str,
    pub requester_name: &'a str,
    pub reason: &'a str,
    pub date: DateTime<Utc>,
}

const PAGE_WIDTH: f32 = 595.0; // A4
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 72.0;
const SIZE: f32 = 11.0;
const LEADING: f32 = 15.0;

/// A line of the letter: its text and whether it is bold.
struct Line {
    text: String,
    bold: bool,
}

fn line(text: impl Into<String>, bold: bool) -> Line {
    Line {
        text: text.into(),
        bold,
    }
}

/// Helvetica's advance width of a character, in thousandths of the font size (the AFM widths
/// of ASCII; accented letters are as wide as their base letters).
fn width(c: char) -> u32 {
    let base = match c {
        'á' | 'à' | 'ä' | 'â' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'ñ' => 'n',
        'Á' | 'À' | 'Ä' => 'A',
        'É' | 'È' | 'Ë' => 'E',
        'Í' | 'Ì' | 'Ï' => 'I',
        'Ó' | 'Ò' | 'Ö' => 'O',
        'Ú' | 'Ù' | 'Ü' => 'U',
        'Ñ' => 'N',
        other => other,
    };
    match base {
        ' ' | '!' | ',' | '.' | '/' | ':' | ';' | 'I' | '[' | ']' | '\\' | 'f' | 't' => 278,
        'i' | 'j' | 'l' => 222,
        '(' | ')' | '-' | '`' | 'r' => 333,
        '"' => 355,
        '0'..='9'
        | '$'
        | '?'
        | '_'
        | 'a'
        | 'b'
        | 'd'
        | 'e'
        | 'g'
        | 'h'
        | 'n'
        | 'o'
        | 'p'
        | 'q'
        | 'u'
        | 'L' => 556,
        'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' | 'J' => 500,
        'F' | 'T' | 'Z' => 611,
        'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' | '&' => 667,
        'C' | 'D' | 'H' | 'N' | 'R' | 'U' => 722,
        'G' | 'O' | 'Q' => 778,
        'M' | 'm' => 833,
        'W' => 944,
        'w' => 722,
        '%' => 889,
        '@' => 1015,
        _ => 584,
    }
}

/// Splits a paragraph into lines that fit the text width (bold runs about 5% wider).
fn wrap(paragraph: &str, bold: bool) -> Vec<Line> {
    let room = ((PAGE_WIDTH - 2.0 * MARGIN) / SIZE * 1000.0 * if bold { 0.95 } else { 1.0 }) as u32;
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for word in paragraph.split_whitespace() {
        let word_width: u32 = word.chars().map(width).sum();
        let space = if current.is_empty() { 0 } else { width(' ') };
        if !current.is_empty() && used + space + word_width > room {
            lines.push(line(std::mem::take(&mut current), bold));
            used = 0;
        }
        if !current.is_empty() {
            current.push(' ');
            used += width(' ');
        }
        // A word longer than a line (a long folio, a URL) is cut where it overflows.
        for c in word.chars() {
            if used + width(c) > room && !current.is_empty() {
                lines.push(line(std::mem::take(&mut current), bold));
                used = 0;
            }
            current.push(c);
            used += width(c);
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(line(current, bold));
    }
    lines
}

/// The text in WinAnsiEncoding (Windows-1252); unmappable characters become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            let mut buffer = [0u8; 4];
            let (bytes, _, unmappable) =
                encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buffer));
            if unmappable || bytes.len() != 1 {
                b'?'
            } else {
                bytes[0]
            }
        })
        .collect()
}

fn long_date(date: DateTime<Utc>) -> String {
    let day = local_date(date);
    format!(
        "{} de {} de {}",
        day.day(),
        confrontas_api::MONTH_NAMES[day.month0() as usize],
        day.year()
    )
}

/// The letterhead of the service.
fn letterhead() -> Vec<Line> {
    vec![
        line("SECRETARÍA DE AGRICULTURA Y DESARROLLO RURAL", true),
        line(
            "Dirección General de Tecnologías de la Información y Comunicaciones",
            false,
        ),
        line(
            "Servicio de Integración de Información de Confrontas (DGTIC/DSSD/003)",
            false,
        ),
        line("", false),
    ]
}

fn response_lines(letter: &Letter) -> Vec<Line> {
    let mut lines = letterhead();
    lines.extend([
        line(
            format!("Ciudad de México, a {}", long_date(letter.date)),
            false,
        ),
        line("", false),
        line("OFICIO DE RESPUESTA", true),
        line(format!("Ticket: {}", letter.ticket_number), false),
        line(
            format!("Folio: {}", letter.folio.unwrap_or("sin folio")),
            false,
        ),
        line("", false),
    ]);
    lines.extend(wrap(letter.unit_name, true));
    lines.extend(wrap(&format!("Atención: {}", letter.requester_name), false));
    lines.push(line("Presente", false));
    lines.push(line("", false));
    lines.extend(wrap(&format!("Asunto: {}", letter.subject), false));
    lines.push(line("", false));
    lines.extend(wrap(
        &format!(
            "En atención a la solicitud registrada con el ticket {}, le informo que no es procedente por el siguiente motivo:",
            letter.ticket_number
        ),
        false,
    ));
    lines.push(line("", false));
    for paragraph in letter.reason.lines() {
        lines.extend(wrap(paragraph, false));
    }
    lines.push(line("", false));
    lines.extend(wrap(
        "Si lo considera pertinente, puede presentar una nueva solicitud que atienda el motivo expuesto.",
        false,
    ));
    lines.push(line("", false));
    lines.push(line("Atentamente,", false));
    lines.push(line("", false));
    lines.extend(wrap(letter.signer_name, true));
    lines.extend(wrap(letter.signer_position, false));
    lines.push(line(
        "Subdirección de Operación y Administración de Sistemas",
        false,
    ));
    lines
}

/// The format of the oficio that requests the service: who it goes to, what it must say and
/// who signs it, with blanks to fill in.
fn oficio_template_lines() -> Vec<Line> {
    let mut lines = vec![
        line("FORMATO DE OFICIO DE SOLICITUD", true),
        line("[Membrete de la Unidad Administrativa]", false),
        line("Oficio núm. ____________________", false),
        line(
            "Ciudad de México, a ____ de ______________ de ______",
            false,
        ),
        line("", false),
    ];
    lines.extend(wrap(
        "Asunto: Solicitud del Servicio de Integración de Información de Confrontas (DGTIC/DSSD/003)",
        true,
    ));
    lines.push(line("", false));
    lines.extend(wrap(
        "Titular de la Dirección General de Tecnologías de la Información y Comunicaciones",
        true,
    ));
    lines.push(line("Presente", false));
    lines.push(line("", false));
    for paragraph in [
        "Por medio del presente solicito su apoyo para confrontar ______ registros del padrón de productores del programa ______________________________ contra:",
        "[  ] RENAPO: acreditar la prueba de vivencia y actualizar los datos personales por CURP.",
        "[  ] SAT: registrar la opinión del cumplimiento de obligaciones fiscales (artículo 32-D del CFF) por RFC.",
        "Se adjunta el layout de CURP con los productores a confrontar, quienes están registrados en el padrón de productores.",
        "Persona de enlace para el seguimiento (nombre, cargo, correo electrónico y extensión): ____________________________________________",
    ] {
        lines.extend(wrap(paragraph, false));
        lines.push(line("", false));
    }
    lines.extend([
        line("Atentamente,", false),
        line("", false),
        line("", false),
        line("______________________________________", false),
        line("Nombre y firma del Director(a) de Área o superior", false),
        line("Cargo y Unidad Administrativa", false),
        line("", false),
    ]);
    lines.extend(wrap(
        "Requisitos: el oficio va dirigido al titular de la DGTIC y lo firma el titular de la Unidad Administrativa adscrita a la Secretaría (Director de Área o superior). Envíelo en PDF junto con el layout de CURP desde «Nueva solicitud».",
        false,
    ));
    lines
}

/// The response letter as a PDF document.
pub fn response_letter(letter: &Letter) -> Vec<u8> {
    render(
        &format!("Oficio de respuesta {}", letter.ticket_number),
        &response_lines(letter),
    )
}

/// The oficio format as a PDF document.
pub fn oficio_template() -> Vec<u8> {
    let mut lines = letterhead();
    lines.extend(oficio_template_lines());
    render("Formato de oficio de solicitud", &lines)
}

/// [`oficio_template`] in a temporary file, ready to send. Blocking.
pub fn oficio_template_file() -> std::io::Result<std::fs::File> {
    use std::io::{Seek, Write};
    let mut file = tempfile::tempfile()?;
    file.write_all(&oficio_template())?;
    file.rewind()?;
    Ok(file)
}

/// Lines of text as a PDF document, as many A4 pages as they need.
fn render(title: &str, lines: &[Line]) -> Vec<u8> {
    let per_page = ((PAGE_HEIGHT - 2.0 * MARGIN) / LEADING) as usize;
    let pages: Vec<&[Line]> = lines.chunks(per_page).collect();

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let regular = Ref::new(4);
    let bold = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Confrontas"));
    for (font, base) in [(regular, &b"Helvetica"[..]), (bold, b"Helvetica-Bold")] {
        pdf.type1_font(font)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (index, page_lines) in pages.iter().enumerate() {
        let page_id = page_ids[index];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), regular);
        fonts.pair(Name(b"F2"), bold);
        fonts.finish();
        resources.finish();
        page.finish();

        let mut content = Content::new();
        content.begin_text();
        content.set_leading(LEADING);
        content.next_line(MARGIN, PAGE_HEIGHT - MARGIN);
        for line in page_lines.iter() {
            let font = if line.bold { Name(b"F2") } else { Name(b"F1") };
            content.set_font(font, SIZE);
            content.show(Str(&win_ansi(&line.text)));
            content.next_line_using_leading();
        }
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_the_page_and_keep_every_word() {
        let text = "La unidad solicitante no pertenece a la Secretaría; WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW ñandú ".repeat(6);
        let room = ((PAGE_WIDTH - 2.0 * MARGIN) / SIZE * 1000.0) as u32;
        let lines = wrap(&text, false);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(l.text.chars().map(width).sum::<u32>() <= room, "{}", l.text);
        }
        let rejoined: String = lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let words = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(words(&rejoined), words(&text));
    }

    #[test]
    fn spanish_letters_are_written_in_win_ansi() {
        assert_eq!(win_ansi("Ñandú ¿sí?"), b"\xd1and\xfa \xbfs\xed?".to_vec());
        assert_eq!(win_ansi("日本"), b"??".to_vec());
    }

    #[test]
    fn a_long_reason_continues_on_another_page() {
        let reason = "Motivo extenso.\n".repeat(80);
        let letter = Letter {
            ticket_number: "MS-2026-000001",
            folio: Some("DGTIC/DSSD/003/2026/000001"),
            unit_name: "Dirección General de Fomento a la Agricultura",
            subject: "Confronta de noviembre",
            signer_name: "Ana Pérez",
            signer_position: "Directora de Área",
            requester_name: "Luis Gómez",
            reason: &reason,
            date: Utc::now(),
        };
        let pdf = response_letter(&letter);
        assert!(pdf.starts_with(b"%PDF-"));
        // About 110 lines at 46 a page.
        assert!(pdf.windows(8).any(|w| w == b"/Count 3"));
    }
}
