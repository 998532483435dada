//! The directory as CSV: one line per enterprise, one column per public
//! profile field, named as the API names it (`name_fr`, `legal_form`...),
//! controlled values as their codes, lists joined with `"; "`. The import
//! reads the same columns back.

use maillage_domain::EnterpriseProfile;

use super::OpenEntry;
use crate::AppError;

/// What joins the values of a list in a cell.
pub const LIST_SEPARATOR: &str = "; ";

type Cell = fn(&OpenEntry) -> String;

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn list(values: &[String]) -> String {
    values.join(LIST_SEPARATOR)
}

fn number<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn profile(entry: &OpenEntry) -> &EnterpriseProfile {
    &entry.profile
}

/// The columns, in order: a column is one line here.
pub const COLUMNS: &[(&str, Cell)] = &[
    ("id", |e| e.id.clone()),
    ("network_origin", |e| e.origin.as_ref().map(|o| o.hub.clone()).unwrap_or_default()),
    ("handle", |e| e.handle.clone()),
    ("name_fr", |e| text(&profile(e).name_fr)),
    ("name_en", |e| text(&profile(e).name_en)),
    ("summary_fr", |e| text(&profile(e).summary_fr)),
    ("summary_en", |e| text(&profile(e).summary_en)),
    ("primary_language", |e| profile(e).primary_language.clone()),
    ("neq", |e| text(&profile(e).neq)),
    ("legal_form", |e| text(&profile(e).legal_form)),
    ("coop_type", |e| text(&profile(e).coop_type)),
    ("sectors", |e| list(&profile(e).sectors)),
    ("qualifiers", |e| list(&profile(e).qualifiers)),
    ("region", |e| text(&profile(e).region)),
    ("address", |e| text(&profile(e).address)),
    ("latitude", |e| number(profile(e).latitude)),
    ("longitude", |e| number(profile(e).longitude)),
    ("scope", |e| text(&profile(e).scope)),
    ("website", |e| text(&profile(e).website)),
    ("contact", |e| text(&profile(e).contact)),
    ("founded", |e| number(profile(e).founded)),
    ("status", |e| text(&profile(e).status)),
    ("languages", |e| list(&profile(e).languages)),
    ("logo_url", |e| text(&profile(e).logo_url)),
    ("banner_url", |e| text(&profile(e).banner_url)),
];

/// The header line's names.
pub fn header() -> Vec<&'static str> {
    COLUMNS.iter().map(|(name, _)| *name).collect()
}

/// The entries as CSV (UTF-8, comma-separated, RFC 4180 quoting), with a
/// header line.
///
/// # Errors
///
/// Only if writing to memory fails (`Internal`).
pub fn write(entries: &[OpenEntry]) -> Result<Vec<u8>, AppError> {
    let internal = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header()).map_err(internal)?;
    for entry in entries {
        writer.write_record(COLUMNS.iter().map(|(_, cell)| cell(entry))).map_err(internal)?;
    }
    writer.into_inner().map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
}

/// Rows of (label, numbers...) as CSV with the given header: the numbers
/// behind a statistics chart.
///
/// # Errors
///
/// Only if writing to memory fails (`Internal`).
pub fn write_rows(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let internal = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(internal)?;
    for row in rows {
        writer.write_record(row).map_err(internal)?;
    }
    writer.into_inner().map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open_data::Origin;

    fn entry() -> OpenEntry {
        let profile = EnterpriseProfile {
            name_fr: Some("Café « Le Sémaphore »; coop".into()),
            summary_fr: Some("Il dit \"bonjour\",\npuis s'en va".into()),
            legal_form: Some("cooperative".into()),
            coop_type: Some("workers".into()),
            sectors: vec!["food".into(), "retail".into()],
            latitude: Some(45.5),
            longitude: Some(-73.25),
            founded: Some(1998),
            ..EnterpriseProfile::default()
        };
        OpenEntry {
            id: "https://nord.example/actors/cafe".into(),
            handle: "cafe@nord.example".into(),
            page: "https://nord.example/actors/cafe".into(),
            origin: Some(Origin { hub: "https://nord.example/actors/hub".into(), name: "Nord".into() }),
            profile,
        }
    }

    #[test]
    fn quotes_semicolons_and_accents_read_back_as_written() {
        let bytes = write(&[entry()]).unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header, header_names());
        let row = reader.records().next().unwrap().unwrap();
        let cell = |name: &str| row.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_string();
        assert_eq!(cell("name_fr"), "Café « Le Sémaphore »; coop");
        assert_eq!(cell("summary_fr"), "Il dit \"bonjour\",\npuis s'en va");
        assert_eq!(cell("sectors"), "food; retail");
        assert_eq!(cell("network_origin"), "https://nord.example/actors/hub");
        assert_eq!(cell("latitude"), "45.5");
        assert_eq!(cell("founded"), "1998");
        assert_eq!(cell("coop_type"), "workers");
        assert_eq!(cell("name_en"), "");
    }

    fn header_names() -> Vec<String> {
        header().into_iter().map(str::to_string).collect()
    }
}
