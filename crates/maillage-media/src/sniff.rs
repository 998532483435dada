//! What the bytes are, from their content alone: magic numbers for pictures,
//! PDF, video and audio; the entries of a zip for office documents; UTF-8
//! without markup for CSV and plain text. A name or a client's
//! `Content-Type` is never consulted.

use std::io::{Cursor, Read};

use crate::{DocumentFormat, ImageFormat, MediaError, Sniffed};

/// Bytes of the start of a text file searched for markup a browser would
/// render (browsers sniff about that much).
const MARKUP_WINDOW: usize = 1024;
/// Bytes of a text file looked at to tell CSV from plain text.
const CSV_WINDOW: usize = 64 * 1024;
/// Records of a text file looked at to tell CSV from plain text.
const CSV_RECORDS: usize = 50;
/// Entries a zip may list before we stop looking (office documents have a
/// few dozen; the central directory is bounded by the upload size anyway).
const MAX_ZIP_ENTRIES: usize = 10_000;

pub fn sniff(bytes: &[u8]) -> Result<Sniffed, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if let Some(format) = picture(bytes) {
        return Ok(Sniffed::Image(format));
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(Sniffed::Document(DocumentFormat::Pdf));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office(bytes).map(Sniffed::Document).ok_or(MediaError::Unsupported);
    }
    if let Some(refusal) = video_audio_or_other_picture(bytes) {
        return Err(refusal);
    }
    text(bytes).map(Sniffed::Document)
}

/// The four picture formats we decode, by the `image` crate's magic numbers.
fn picture(bytes: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(bytes).ok()? {
        image::ImageFormat::Jpeg => Some(ImageFormat::Jpeg),
        image::ImageFormat::Png => Some(ImageFormat::Png),
        image::ImageFormat::WebP => Some(ImageFormat::WebP),
        image::ImageFormat::Gif => Some(ImageFormat::Gif),
        _ => None,
    }
}

/// ODF (an uncompressed `mimetype` entry naming the kind) or Office Open XML
/// (`[Content_Types].xml` and the parts of a text or a workbook). Only the
/// central directory and, for ODF, a few bytes of one entry are read.
fn office(bytes: &[u8]) -> Option<DocumentFormat> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return None;
    }
    let has = |name: &[u8]| archive.file_names_raw().any(|n| n == name);
    let has_under = |prefix: &[u8]| archive.file_names_raw().any(|n| n.starts_with(prefix));
    if has(b"[Content_Types].xml") {
        if has(b"word/document.xml") {
            return Some(DocumentFormat::Docx);
        }
        if has(b"xl/workbook.xml") && has_under(b"xl/worksheets/") {
            return Some(DocumentFormat::Xlsx);
        }
        return None;
    }
    if has(b"mimetype") && has(b"content.xml") {
        let mut kind = Vec::with_capacity(64);
        // A stored entry; a compressed one (against the ODF rules) fails
        // here, as we build zip without codecs, and is refused.
        archive.by_name("mimetype").ok()?.take(100).read_to_end(&mut kind).ok()?;
        return match kind.trim_ascii() {
            b"application/vnd.oasis.opendocument.text" => Some(DocumentFormat::Odt),
            b"application/vnd.oasis.opendocument.spreadsheet" => Some(DocumentFormat::Ods),
            _ => None,
        };
    }
    None
}

/// Containers of video and audio (refused with their own message for now),
/// and the phone picture formats we do not decode (HEIC, AVIF).
fn video_audio_or_other_picture(bytes: &[u8]) -> Option<MediaError> {
    // ISO base media (MP4, MOV, M4A, 3GP; also HEIF and AVIF pictures).
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        let pictures: [&[u8; 4]; 7] = [b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"];
        return Some(if pictures.iter().any(|p| brand == *p) || brand == b"avis" {
            MediaError::Unsupported
        } else {
            MediaError::VideoOrAudio
        });
    }
    let riff_kind = (bytes.len() >= 12 && bytes.starts_with(b"RIFF")).then(|| &bytes[8..12]);
    if matches!(riff_kind, Some(b"AVI " | b"WAVE")) {
        return Some(MediaError::VideoOrAudio);
    }
    let starts = [
        &b"\x1a\x45\xdf\xa3"[..], // Matroska, WebM
        b"OggS",
        b"fLaC",
        b"ID3", // MP3 with tags
        b"#!AMR",
        b"\x00\x00\x01\xba", // MPEG program stream
        b"\x00\x00\x01\xb3", // MPEG video
        b"FLV\x01",
        b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", // ASF: WMV, WMA
    ];
    if starts.iter().any(|s| bytes.starts_with(s)) {
        return Some(MediaError::VideoOrAudio);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"FORM") && matches!(&bytes[8..12], b"AIFF" | b"AIFC") {
        return Some(MediaError::VideoOrAudio);
    }
    // Audio frames without a container: MP3 (sync bits, layer III) and AAC
    // in ADTS (sync bits, layer 0).
    if bytes.len() >= 4 && bytes[0] == 0xff && ((bytes[1] & 0xe6) == 0xe2 || (bytes[1] & 0xf6) == 0xf0) {
        return Some(MediaError::VideoOrAudio);
    }
    None
}

/// UTF-8 text without NUL or other control characters (tab, line breaks and
/// form feed aside), which a browser would not take for markup: CSV when its
/// first lines are records of the same number of fields, plain text
/// otherwise.
fn text(bytes: &[u8]) -> Result<DocumentFormat, MediaError> {
    let text = std::str::from_utf8(bytes).map_err(|_| MediaError::Unsupported)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x7f'..='\u{9f}')) {
        return Err(MediaError::Unsupported);
    }
    if let Some(markup) = markup(text) {
        return Err(markup);
    }
    Ok(if is_csv(text) { DocumentFormat::Csv } else { DocumentFormat::Text })
}

/// SVG (refused with its own message), HTML, XML or a script, judged on
/// how the text starts and on the tags of its first kilobyte.
fn markup(text: &str) -> Option<MediaError> {
    let mut end = text.len().min(MARKUP_WINDOW);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = text[..end].to_ascii_lowercase();
    let start = head.trim_start();
    if start.contains("<svg") {
        return Some(MediaError::Svg);
    }
    let rendered = ["<html", "<script", "<!doctype", "<head", "<body", "<iframe", "<object", "<embed", "<?xml"];
    if start.starts_with('<') || start.starts_with("#!") || rendered.iter().any(|tag| start.contains(tag)) {
        return Some(MediaError::Unsupported);
    }
    None
}

/// Whether the first records (up to [`CSV_RECORDS`], within
/// [`CSV_WINDOW`]) split on one delimiter into the same number of fields,
/// at least two, with at least two records.
fn is_csv(text: &str) -> bool {
    let window = if text.len() > CSV_WINDOW {
        // Only whole lines: the last one may be cut by the window.
        let mut end = CSV_WINDOW;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        match text[..end].rfind('\n') {
            Some(newline) => &text[..newline],
            None => return false,
        }
    } else {
        text
    };
    [b',', b';', b'\t'].into_iter().any(|delimiter| {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(window.as_bytes());
        let mut fields = None;
        let mut records = 0;
        for record in reader.records().take(CSV_RECORDS) {
            let Ok(record) = record else { return false };
            if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
                continue;
            }
            if record.len() < 2 || *fields.get_or_insert(record.len()) != record.len() {
                return false;
            }
            records += 1;
        }
        records >= 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
    }

    /// A zip of `entries` (name, content), stored without compression.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, content) in entries {
            writer.start_file(*name, stored).unwrap();
            std::io::Write::write_all(&mut writer, content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn pictures_are_known_by_their_magic_numbers_whatever_their_name() {
        assert_eq!(sniff(&fixture("phone-photo-gps.jpg")), Ok(Sniffed::Image(ImageFormat::Jpeg)));
        assert_eq!(sniff(&fixture("animated.gif")), Ok(Sniffed::Image(ImageFormat::Gif)));
        assert_eq!(sniff(&fixture("bomb-20000.png")), Ok(Sniffed::Image(ImageFormat::Png)));
        assert_eq!(sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 "), Ok(Sniffed::Image(ImageFormat::WebP)));
    }

    #[test]
    fn html_named_like_a_jpeg_svg_and_markup_are_refused() {
        assert_eq!(sniff(&fixture("not-a-photo.jpg")), Err(MediaError::Unsupported));
        assert_eq!(sniff(&fixture("logo-with-script.svg")), Err(MediaError::Svg));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(MediaError::Svg)
        );
        assert_eq!(sniff(b"\xef\xbb\xbf  <!DOCTYPE html><p>hi"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><a/>"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"Hello\n<script>alert(1)</script>"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"#!/bin/sh\nrm -rf /\n"), Err(MediaError::Unsupported));
    }

    #[test]
    fn video_audio_and_unknown_binaries_are_refused() {
        assert_eq!(sniff(b""), Err(MediaError::Empty));
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"OggS\x00\x02\x00\x00"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"ID3\x04\x00\x00\x00\x00\x00\x00"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"\xff\xfb\x90\x64\x00\x00"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"\xff\xf1\x50\x80\x00\x1f"), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "), Err(MediaError::VideoOrAudio));
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"text with a NUL\x00 inside"), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"\xff\xfeh\x00i\x00"), Err(MediaError::Unsupported), "UTF-16 is not accepted as text");
        assert_eq!(sniff(b"caf\xe9 au lait"), Err(MediaError::Unsupported), "Latin-1 is not UTF-8");
    }

    #[test]
    fn documents_pdf_office_csv_and_text() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), Ok(Sniffed::Document(DocumentFormat::Pdf)));
        let odt = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")]);
        assert_eq!(sniff(&odt), Ok(Sniffed::Document(DocumentFormat::Odt)));
        let ods = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<x/>")]);
        assert_eq!(sniff(&ods), Ok(Sniffed::Document(DocumentFormat::Ods)));
        let odp = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.presentation"), ("content.xml", b"<x/>")]);
        assert_eq!(sniff(&odp), Err(MediaError::Unsupported));
        let docx = zip_of(&[("[Content_Types].xml", b"<x/>"), ("word/document.xml", b"<x/>")]);
        assert_eq!(sniff(&docx), Ok(Sniffed::Document(DocumentFormat::Docx)));
        let xlsx = zip_of(&[
            ("[Content_Types].xml", b"<x/>"),
            ("xl/workbook.xml", b"<x/>"),
            ("xl/worksheets/sheet1.xml", b"<x/>"),
        ]);
        assert_eq!(sniff(&xlsx), Ok(Sniffed::Document(DocumentFormat::Xlsx)));
        let pptx = zip_of(&[("[Content_Types].xml", b"<x/>"), ("ppt/presentation.xml", b"<x/>")]);
        assert_eq!(sniff(&pptx), Err(MediaError::Unsupported));
        let jar = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n")]);
        assert_eq!(sniff(&jar), Err(MediaError::Unsupported));
        assert_eq!(sniff(b"PK\x03\x04 cut short"), Err(MediaError::Unsupported));

        let csv = "Nom;Région;Année\nCoop A;Estrie;1999\n\"Coop; B\";Montréal;2004\n";
        assert_eq!(sniff(csv.as_bytes()), Ok(Sniffed::Document(DocumentFormat::Csv)));
        assert_eq!(sniff(b"a,b\r\n1,2\r\n"), Ok(Sniffed::Document(DocumentFormat::Csv)));
        assert_eq!(sniff(b"a\tb\n1\t2\n"), Ok(Sniffed::Document(DocumentFormat::Csv)));
        let prose = "Guide de la pratique\n\nÉtape 1, ouvrir le local. Étape 2, accueillir.\nMerci!\n";
        assert_eq!(sniff(prose.as_bytes()), Ok(Sniffed::Document(DocumentFormat::Text)));
        assert_eq!(sniff(b"one line, with a comma"), Ok(Sniffed::Document(DocumentFormat::Text)));
        assert_eq!(sniff("1 < 2 and 3 > 2\n".as_bytes()), Ok(Sniffed::Document(DocumentFormat::Text)));
    }

    #[test]
    fn a_long_csv_is_judged_on_its_first_whole_lines() {
        let mut csv = String::from("id,name\n");
        while csv.len() < 3 * CSV_WINDOW {
            csv.push_str("12345,une coopérative assez longue\n");
        }
        assert_eq!(sniff(csv.as_bytes()), Ok(Sniffed::Document(DocumentFormat::Csv)));
    }
}
