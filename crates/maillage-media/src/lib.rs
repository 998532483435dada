//! What an uploaded file is, and what we keep of it.
//!
//! Bytes in, bytes out: the type is decided by sniffing the bytes (never by
//! a name or a client's `Content-Type`); pictures are decoded within limits
//! (refused from their header when too big), turned upright, re-encoded
//! without any metadata, scaled to a bounded original and a preview, and
//! given a blurhash; documents are checked and kept as uploaded.
//! **Invariant:** no I/O, no async: callers run this on a bounded pool.

mod picture;
mod sniff;

use thiserror::Error;

/// Why a file is refused. Each names the limit or the reason, for the person
/// who sent it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    /// Front ends answer 413.
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// Front ends answer 422 (the rest too).
    #[error("the picture is {width}×{height} pixels; the limit is {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("SVG pictures are not accepted: send a PNG, JPEG, WebP or GIF")]
    Svg,
    #[error("video and audio are not accepted yet")]
    VideoOrAudio,
    #[error("this file is not a picture (JPEG, PNG, WebP, GIF) or a document (PDF, ODT, ODS, DOCX, XLSX, CSV, text)")]
    Unsupported,
    #[error("this kind of file is not accepted here: {0}")]
    NotAccepted(&'static str),
    #[error("the picture cannot be read: {0}")]
    Corrupt(String),
    #[error("focus must be two numbers between -1 and 1, as \"x,y\"")]
    BadFocus,
}

impl MediaError {
    /// Whether the refusal is about size (413) rather than content (422).
    pub fn is_too_large(&self) -> bool {
        matches!(self, MediaError::TooLarge { .. })
    }
}

/// Picture formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    WebP,
    Gif,
}

/// Documents a practice can carry, kept as uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Odt,
    Ods,
    Docx,
    Xlsx,
    Csv,
    Text,
}

impl DocumentFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "application/pdf",
            DocumentFormat::Odt => "application/vnd.oasis.opendocument.text",
            DocumentFormat::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            DocumentFormat::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            DocumentFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            DocumentFormat::Csv => "text/csv",
            DocumentFormat::Text => "text/plain",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Odt => "odt",
            DocumentFormat::Ods => "ods",
            DocumentFormat::Docx => "docx",
            DocumentFormat::Xlsx => "xlsx",
            DocumentFormat::Csv => "csv",
            DocumentFormat::Text => "txt",
        }
    }
}

/// What the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Image(ImageFormat),
    Document(DocumentFormat),
}

/// Sizes a picture may have, from `[media]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    pub max_bytes: u64,
    pub max_pixels: u64,
    /// The kept original fits in this many pixels a side.
    pub original_side: u32,
    /// The preview fits in this many pixels a side.
    pub preview_side: u32,
}

/// One encoded picture we keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    /// `image/jpeg`, or `image/png` for pictures with transparency.
    pub media_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// A picture as we keep it: upright, without metadata, bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedImage {
    pub original: Encoded,
    pub preview: Encoded,
    pub blurhash: String,
}

/// A focal point, Mastodon's way: x and y from -1 to 1, (0, 0) the centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Focus {
    pub x: f32,
    pub y: f32,
}

impl Focus {
    /// Parses Mastodon's `focus` parameter, `"x,y"`.
    pub fn parse(text: &str) -> Result<Focus, MediaError> {
        let (x, y) = text.split_once(',').ok_or(MediaError::BadFocus)?;
        let x: f32 = x.trim().parse().map_err(|_| MediaError::BadFocus)?;
        let y: f32 = y.trim().parse().map_err(|_| MediaError::BadFocus)?;
        if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
            return Err(MediaError::BadFocus);
        }
        Ok(Focus { x, y })
    }
}

/// What the bytes are, from their content alone. Refuses SVG, HTML, video,
/// audio and anything unknown.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, MediaError> {
    sniff::sniff(bytes)
}

/// Decodes a picture within `limits` (refused from its header when it
/// declares too many pixels), applies its orientation, drops every metadata,
/// and re-encodes a bounded original and a preview.
pub fn process_image(bytes: &[u8], limits: &ImageLimits) -> Result<ProcessedImage, MediaError> {
    picture::process_image(bytes, limits)
}

/// Checks that `bytes` are a document we accept, within `max_bytes`.
pub fn check_document(bytes: &[u8], max_bytes: u64) -> Result<DocumentFormat, MediaError> {
    let size = bytes.len() as u64;
    if size > max_bytes {
        return Err(MediaError::TooLarge { size, limit: max_bytes });
    }
    match sniff(bytes)? {
        Sniffed::Document(format) => Ok(format),
        Sniffed::Image(_) => Err(MediaError::NotAccepted(
            "a picture is not a document: attach PDF, ODT, ODS, DOCX, XLSX, CSV or text files here, and pictures as images",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_checked_for_size_then_kind() {
        assert_eq!(check_document(b"%PDF-1.7\n", 100), Ok(DocumentFormat::Pdf));
        assert_eq!(check_document(b"a;b\n1;2\n", 100), Ok(DocumentFormat::Csv));
        assert_eq!(check_document(b"%PDF-1.7\n", 5), Err(MediaError::TooLarge { size: 9, limit: 5 }));
        assert_eq!(check_document(b"", 5), Err(MediaError::Empty));
        let photo = include_bytes!("../tests/fixtures/phone-photo-gps.jpg");
        let refusal = check_document(photo, 1 << 20).unwrap_err();
        assert!(matches!(refusal, MediaError::NotAccepted(_)), "{refusal:?}");
        assert!(refusal.to_string().contains("picture"), "{refusal}");
        assert_eq!(
            check_document(include_bytes!("../tests/fixtures/logo-with-script.svg"), 1 << 20),
            Err(MediaError::Svg)
        );
        assert_eq!(
            check_document(include_bytes!("../tests/fixtures/not-a-photo.jpg"), 1 << 20),
            Err(MediaError::Unsupported)
        );
        assert_eq!(check_document(b"\x00\x00\x00\x18ftypmp42\x00\x00", 1 << 20), Err(MediaError::VideoOrAudio));
    }

    #[test]
    fn types_and_extensions_of_documents() {
        assert_eq!(DocumentFormat::Docx.extension(), "docx");
        assert_eq!(DocumentFormat::Text.media_type(), "text/plain");
    }

    #[test]
    fn focus_is_two_numbers_from_minus_one_to_one() {
        assert_eq!(Focus::parse("0.5,-0.25"), Ok(Focus { x: 0.5, y: -0.25 }));
        assert_eq!(Focus::parse(" -1 , 1 "), Ok(Focus { x: -1.0, y: 1.0 }));
        for bad in ["", "0.5", "1.5,0", "0,-2", "a,b", "NaN,0", "0,inf"] {
            assert_eq!(Focus::parse(bad), Err(MediaError::BadFocus), "{bad:?}");
        }
    }
}
