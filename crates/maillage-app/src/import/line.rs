//! One row of an imported file as profile changes: blank cells leave a
//! field alone, lists are split, numbers read as spreadsheets write them.
//! Values are checked by the profile's own rules afterwards.

use maillage_domain::ProfileChanges;
use maillage_domain::vocabulary::{LANGUAGES, QUALIFIERS, SECTORS, Vocabulary};

use super::columns::{Columns, Field};

/// Why a line is refused: the field at fault (as the file or the profile
/// names it) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub reason: String,
}

impl Refusal {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Refusal { field: field.into(), reason: reason.into() }
    }
}

/// What a row says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub handle: Option<String>,
    /// Non-empty: the entry of another hub, in a network export.
    pub network_origin: Option<String>,
    pub changes: ProfileChanges,
}

/// Reads the cells of one row.
pub fn parse(cells: &[String], columns: &Columns) -> Result<Row, Refusal> {
    let mut row = Row::default();
    for (cell, field) in cells.iter().zip(&columns.fields) {
        let Some(field) = *field else { continue };
        let value = cell.trim();
        if value.is_empty() {
            continue;
        }
        let text = Some(value.to_string());
        let c = &mut row.changes;
        match field {
            Field::Handle => row.handle = text,
            Field::NetworkOrigin => row.network_origin = text,
            Field::Id => {}
            Field::Name => c.name = text,
            Field::NameFr => c.name_fr = text,
            Field::NameEn => c.name_en = text,
            Field::Summary => c.summary = text,
            Field::SummaryFr => c.summary_fr = text,
            Field::SummaryEn => c.summary_en = text,
            Field::PrimaryLanguage => c.primary_language = text,
            Field::Neq => c.neq = text,
            Field::LegalForm => c.legal_form = text,
            Field::CoopType => c.coop_type = text,
            Field::Sectors => c.sectors = Some(list(value, &SECTORS)),
            Field::Qualifiers => c.qualifiers = Some(list(value, &QUALIFIERS)),
            Field::Languages => c.languages = Some(list(value, &LANGUAGES)),
            Field::Region => c.region = text,
            Field::Address => c.address = text,
            Field::Latitude => c.latitude = Some(number(field, value)?),
            Field::Longitude => c.longitude = Some(number(field, value)?),
            Field::Scope => c.scope = text,
            Field::Website => c.website = text,
            Field::Contact => c.contact = text,
            Field::Founded => c.founded = Some(year(value)?),
            Field::Status => c.status = text,
            Field::LogoUrl => c.logo_url = text,
            Field::BannerUrl => c.banner_url = text,
        }
    }
    Ok(row)
}

/// The values of a multi-valued cell, split on `;` and line breaks, and on
/// commas too except inside a label that has one.
fn list(cell: &str, vocabulary: &Vocabulary) -> Vec<String> {
    let mut values = Vec::new();
    for piece in cell.split([';', '\n', '\r']).map(str::trim).filter(|p| !p.is_empty()) {
        if vocabulary.find(piece).is_none() && piece.contains(',') {
            values.extend(piece.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string));
        } else {
            values.push(piece.to_string());
        }
    }
    values
}

/// A decimal number, with a decimal point or comma (`45,4` in French).
fn number(field: Field, value: &str) -> Result<f64, Refusal> {
    let normalised = if value.contains('.') { value.to_string() } else { value.replacen(',', ".", 1) };
    normalised
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| Refusal::new(field.name(), format!("{value:?} is not a number, e.g. 45.4")))
}

/// A year: `1998`, or the year of a date (`1998-05-01`, `01/05/1998`).
fn year(value: &str) -> Result<i32, Refusal> {
    let digits_run = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    let found = if digits_run(value) {
        Some(value)
    } else {
        value.split(|c: char| !c.is_ascii_digit()).find(|part| digits_run(part))
    };
    found
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| Refusal::new("founded", format!("{value:?} is not a year, e.g. 1998")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::columns::Mapping;

    fn row(headers: &[&str], cells: &[&str]) -> Result<Row, Refusal> {
        let headers: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        let cells: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
        parse(&cells, &Columns::of(&headers, &Mapping::default()))
    }

    #[test]
    fn cells_as_people_fill_them() {
        let parsed = row(
            &["Nom", "Secteur(s)", "Langues", "Latitude", "Longitude", "Année de fondation", "Site web", "Couleur"],
            &["Coop Vélo", "Transport; agriculture\nCommerce", "fr, en", "45,4", "-71.9", "1998-05-01", "", "bleu"],
        )
        .unwrap();
        let c = &parsed.changes;
        assert_eq!(c.name.as_deref(), Some("Coop Vélo"));
        assert_eq!(c.sectors.as_deref().unwrap(), ["Transport", "agriculture", "Commerce"]);
        assert_eq!(c.languages.as_deref().unwrap(), ["fr", "en"]);
        assert_eq!((c.latitude, c.longitude), (Some(45.4), Some(-71.9)));
        assert_eq!(c.founded, Some(1998));
        assert_eq!(c.website, None, "a blank cell leaves the field alone");
    }

    #[test]
    fn numbers_and_years_that_are_not() {
        assert_eq!(row(&["lat"], &["nord"]).unwrap_err().field, "latitude");
        assert_eq!(row(&["founded"], &["l'an dernier"]).unwrap_err().field, "founded");
        assert_eq!(row(&["founded"], &["12/03/1987"]).unwrap().changes.founded, Some(1987));
    }
}
