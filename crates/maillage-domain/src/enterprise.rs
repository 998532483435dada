//! The profile of a social-economy enterprise, and the rules its fields obey.
//!
//! Coded fields hold stable codes of the controlled lists in
//! [`crate::vocabulary`]; free-text fields have length limits; URLs must be
//! http(s). Every refusal names the field at fault.

use serde::{Deserialize, Serialize};

use crate::vocabulary::{
    COOP_TYPES, LANGUAGES, LEGAL_FORMS, QUALIFIERS, REGIONS, SCOPES, SECTORS, STATUSES, Vocabulary,
};

pub const NAME_MAX: usize = 100;
pub const SUMMARY_MAX: usize = 2000;
pub const TEXT_MAX: usize = 300;
pub const URL_MAX: usize = 2000;

/// Everything an enterprise publishes about itself, beyond its handle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnterpriseProfile {
    pub name_fr: Option<String>,
    pub name_en: Option<String>,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    /// `fr` or `en`: the language shown first.
    pub primary_language: String,
    /// The Québec enterprise number (10 digits), public in the Québec
    /// register; unique among this hub's enterprises.
    pub neq: Option<String>,
    pub legal_form: Option<String>,
    pub coop_type: Option<String>,
    pub sectors: Vec<String>,
    pub qualifiers: Vec<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub scope: Option<String>,
    pub website: Option<String>,
    pub contact: Option<String>,
    pub founded: Option<i32>,
    pub status: Option<String>,
    pub languages: Vec<String>,
    pub logo_url: Option<String>,
    pub banner_url: Option<String>,
}

impl Default for EnterpriseProfile {
    fn default() -> Self {
        EnterpriseProfile {
            name_fr: None,
            name_en: None,
            summary_fr: None,
            summary_en: None,
            primary_language: "fr".to_string(),
            neq: None,
            legal_form: None,
            coop_type: None,
            sectors: Vec::new(),
            qualifiers: Vec::new(),
            region: None,
            address: None,
            latitude: None,
            longitude: None,
            scope: None,
            website: None,
            contact: None,
            founded: None,
            status: None,
            languages: Vec::new(),
            logo_url: None,
            banner_url: None,
        }
    }
}

/// A refused value: `field` is the name users typed (`legal_form`, `website`...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {message}")]
pub struct ProfileError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> ProfileError {
    ProfileError { field, message: message.into() }
}

/// Changes to a profile, as typed on the command line or sent to the API:
/// `None` leaves a field alone; `Some("")` clears a text field; lists replace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub name_fr: Option<String>,
    pub name_en: Option<String>,
    pub summary: Option<String>,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub primary_language: Option<String>,
    pub neq: Option<String>,
    pub legal_form: Option<String>,
    pub coop_type: Option<String>,
    pub sectors: Option<Vec<String>>,
    pub qualifiers: Option<Vec<String>>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub scope: Option<String>,
    pub website: Option<String>,
    pub contact: Option<String>,
    pub founded: Option<i32>,
    pub status: Option<String>,
    pub languages: Option<Vec<String>>,
    pub logo_url: Option<String>,
    pub banner_url: Option<String>,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<Option<String>, ProfileError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(refuse(field, format!("at most {max} characters")));
    }
    Ok((!value.is_empty()).then(|| value.to_string()))
}

/// Applies the changes of a text kept in French and English: the first
/// (`name`) is in the primary language, then the French and the English.
fn bilingual(
    [in_primary, in_fr, in_en]: [(&Option<String>, &'static str); 3],
    primary_en: bool,
    max: usize,
    (fr, en): (&mut Option<String>, &mut Option<String>),
) -> Result<(), ProfileError> {
    if let (Some(value), field) = in_primary {
        let value = text(field, value, max)?;
        if primary_en { *en = value } else { *fr = value }
    }
    if let (Some(value), field) = in_fr {
        *fr = text(field, value, max)?;
    }
    if let (Some(value), field) = in_en {
        *en = text(field, value, max)?;
    }
    Ok(())
}

fn code(field: &'static str, vocabulary: &Vocabulary, value: &str) -> Result<Option<String>, ProfileError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    vocabulary.parse(value).map(|term| Some(term.code.to_string())).map_err(|message| refuse(field, message))
}

fn codes(field: &'static str, vocabulary: &Vocabulary, values: &[String]) -> Result<Vec<String>, ProfileError> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        if let Some(code) = code(field, vocabulary, value)?
            && !out.contains(&code)
        {
            out.push(code);
        }
    }
    Ok(out)
}

/// How many digits a NEQ has.
const NEQ_DIGITS: usize = 10;

/// A Québec enterprise number (NEQ) as people type it (`1143 456 789`,
/// `1143-456-789`): its 10 digits, or nothing for a blank value.
pub fn neq(field: &'static str, value: &str) -> Result<Option<String>, ProfileError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect();
    if digits.len() == NEQ_DIGITS && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(Some(digits))
    } else {
        Err(refuse(
            field,
            format!(
                "{value:?} is not a Québec enterprise number: 10 digits, e.g. 1143456789 (spaces and hyphens allowed)"
            ),
        ))
    }
}

/// An absolute http(s) URL with a host, or nothing.
pub fn web_url(field: &'static str, value: &str) -> Result<Option<String>, ProfileError> {
    let Some(value) = text(field, value, URL_MAX)? else { return Ok(None) };
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !value.contains(char::is_whitespace) => {
            Ok(Some(value))
        }
        _ => Err(refuse(field, format!("{value:?} is not an http(s) address, e.g. https://example.org"))),
    }
}

impl EnterpriseProfile {
    /// The name in the primary language, else the other one.
    pub fn name(&self) -> Option<&str> {
        let (first, second) = self.in_order(&self.name_fr, &self.name_en);
        first.or(second)
    }

    pub fn summary(&self) -> Option<&str> {
        let (first, second) = self.in_order(&self.summary_fr, &self.summary_en);
        first.or(second)
    }

    /// The name in `lang` (`fr` or `en`) when the profile has it, else [`Self::name`].
    pub fn name_in(&self, lang: &str) -> Option<&str> {
        let wanted = if lang == "en" { &self.name_en } else { &self.name_fr };
        wanted.as_deref().or_else(|| self.name())
    }

    /// The summary in `lang` when the profile has it, else [`Self::summary`].
    pub fn summary_in(&self, lang: &str) -> Option<&str> {
        let wanted = if lang == "en" { &self.summary_en } else { &self.summary_fr };
        wanted.as_deref().or_else(|| self.summary())
    }

    /// (primary, other) of a pair of translations.
    fn in_order<'a>(&self, fr: &'a Option<String>, en: &'a Option<String>) -> (Option<&'a str>, Option<&'a str>) {
        if self.primary_language == "en" { (en.as_deref(), fr.as_deref()) } else { (fr.as_deref(), en.as_deref()) }
    }

    /// `(language, text)` pairs, primary language first (for `nameMap`).
    pub fn names(&self) -> Vec<(&'static str, &str)> {
        self.translations(&self.name_fr, &self.name_en)
    }

    pub fn summaries(&self) -> Vec<(&'static str, &str)> {
        self.translations(&self.summary_fr, &self.summary_en)
    }

    fn translations<'a>(&self, fr: &'a Option<String>, en: &'a Option<String>) -> Vec<(&'static str, &'a str)> {
        let mut pairs = vec![("fr", fr.as_deref()), ("en", en.as_deref())];
        if self.primary_language == "en" {
            pairs.reverse();
        }
        pairs.into_iter().filter_map(|(lang, text)| text.map(|t| (lang, t))).collect()
    }

    /// Applies changes, checking each value; on error the profile is unchanged.
    pub fn apply(&mut self, changes: &ProfileChanges) -> Result<(), ProfileError> {
        let mut next = self.clone();
        if let Some(lang) = &changes.primary_language {
            next.primary_language = code("primary_language", &LANGUAGES, lang)?
                .ok_or_else(|| refuse("primary_language", "choose fr or en"))?;
        }
        if let Some(value) = &changes.neq {
            next.neq = neq("neq", value)?;
        }
        let primary_en = next.primary_language == "en";
        let names = [(&changes.name, "name"), (&changes.name_fr, "name_fr"), (&changes.name_en, "name_en")];
        bilingual(names, primary_en, NAME_MAX, (&mut next.name_fr, &mut next.name_en))?;
        let summaries =
            [(&changes.summary, "summary"), (&changes.summary_fr, "summary_fr"), (&changes.summary_en, "summary_en")];
        bilingual(summaries, primary_en, SUMMARY_MAX, (&mut next.summary_fr, &mut next.summary_en))?;
        if let Some(value) = &changes.legal_form {
            next.legal_form = code("legal_form", &LEGAL_FORMS, value)?;
        }
        if let Some(value) = &changes.coop_type {
            next.coop_type = code("coop_type", &COOP_TYPES, value)?;
        }
        if let Some(values) = &changes.sectors {
            next.sectors = codes("sector", &SECTORS, values)?;
        }
        if let Some(values) = &changes.qualifiers {
            next.qualifiers = codes("qualifier", &QUALIFIERS, values)?;
        }
        if let Some(value) = &changes.region {
            next.region = code("region", &REGIONS, value)?;
        }
        if let Some(value) = &changes.address {
            next.address = text("address", value, TEXT_MAX)?;
        }
        if let Some(value) = changes.latitude {
            next.latitude = Some(value);
        }
        if let Some(value) = changes.longitude {
            next.longitude = Some(value);
        }
        if let Some(value) = &changes.scope {
            next.scope = code("scope", &SCOPES, value)?;
        }
        if let Some(value) = &changes.website {
            next.website = web_url("website", value)?;
        }
        if let Some(value) = &changes.contact {
            next.contact = text("contact", value, TEXT_MAX)?;
        }
        if let Some(value) = changes.founded {
            next.founded = Some(value);
        }
        if let Some(value) = &changes.status {
            next.status = code("status", &STATUSES, value)?;
        }
        if let Some(values) = &changes.languages {
            next.languages = codes("language", &LANGUAGES, values)?;
        }
        if let Some(value) = &changes.logo_url {
            next.logo_url = web_url("logo", value)?;
        }
        if let Some(value) = &changes.banner_url {
            next.banner_url = web_url("banner", value)?;
        }
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Rules across fields, and every value re-checked (profiles also come
    /// from other servers).
    pub fn validate(&self) -> Result<(), ProfileError> {
        if LANGUAGES.get(&self.primary_language).is_none() {
            return Err(refuse("primary_language", "choose fr or en"));
        }
        if self.name().is_none() {
            return Err(refuse("name", "an enterprise needs a name in French or English"));
        }
        if let Some(value) = &self.neq
            && neq("neq", value)?.as_deref() != Some(value.as_str())
        {
            return Err(refuse("neq", format!("{value:?} is not 10 digits")));
        }
        for (field, value, max) in [
            ("name_fr", &self.name_fr, NAME_MAX),
            ("name_en", &self.name_en, NAME_MAX),
            ("summary_fr", &self.summary_fr, SUMMARY_MAX),
            ("summary_en", &self.summary_en, SUMMARY_MAX),
            ("address", &self.address, TEXT_MAX),
            ("contact", &self.contact, TEXT_MAX),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                return Err(refuse(field, format!("at most {max} characters")));
            }
        }
        for (field, vocabulary, value) in [
            ("legal_form", &LEGAL_FORMS, &self.legal_form),
            ("coop_type", &COOP_TYPES, &self.coop_type),
            ("region", &REGIONS, &self.region),
            ("scope", &SCOPES, &self.scope),
            ("status", &STATUSES, &self.status),
        ] {
            if let Some(value) = value
                && vocabulary.get(value).is_none()
            {
                return Err(refuse(field, format!("unknown {} {value:?}", vocabulary.name)));
            }
        }
        for (field, vocabulary, values) in [
            ("sector", &SECTORS, &self.sectors),
            ("qualifier", &QUALIFIERS, &self.qualifiers),
            ("language", &LANGUAGES, &self.languages),
        ] {
            if let Some(bad) = values.iter().find(|v| vocabulary.get(v).is_none()) {
                return Err(refuse(field, format!("unknown {} {bad:?}", vocabulary.name)));
            }
        }
        if self.coop_type.is_some() && self.legal_form.as_deref() != Some("cooperative") {
            return Err(refuse("coop_type", "only a co-operative has a co-op type (set legal_form to cooperative)"));
        }
        match (self.latitude, self.longitude) {
            (None, None) => {}
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(refuse("lat", "a latitude is between -90 and 90"));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(refuse("lon", "a longitude is between -180 and 180"));
                }
            }
            _ => return Err(refuse("lat", "give both latitude and longitude, or neither")),
        }
        if let Some(year) = self.founded
            && !(1600..=2200).contains(&year)
        {
            return Err(refuse("founded", "a founding year like 1998"));
        }
        for (field, value) in [("website", &self.website), ("logo", &self.logo_url), ("banner", &self.banner_url)] {
            if let Some(value) = value {
                web_url(field, value)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> EnterpriseProfile {
        let mut profile = EnterpriseProfile::default();
        profile.apply(&ProfileChanges { name: Some("Coop Vélo".into()), ..Default::default() }).unwrap();
        profile
    }

    #[test]
    fn a_full_profile_is_accepted_and_normalised() {
        let mut profile = base();
        profile
            .apply(&ProfileChanges {
                name_en: Some("Bike Co-op".into()),
                summary: Some("Réparation de vélos".into()),
                legal_form: Some("Cooperative".into()),
                coop_type: Some("workers".into()),
                sectors: Some(vec!["transport".into(), "TRANSPORT".into()]),
                region: Some("estrie".into()),
                latitude: Some(45.4),
                longitude: Some(-71.9),
                website: Some("https://velo.example".into()),
                founded: Some(1998),
                languages: Some(vec!["fr".into(), "en".into()]),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(profile.legal_form.as_deref(), Some("cooperative"));
        assert_eq!(profile.sectors, vec!["transport".to_string()], "codes deduplicated");
        assert_eq!(profile.names(), vec![("fr", "Coop Vélo"), ("en", "Bike Co-op")]);
        assert_eq!(profile.name(), Some("Coop Vélo"));
        let json = serde_json::to_string(&profile).unwrap();
        let back: EnterpriseProfile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, profile);
    }

    #[test]
    fn refusals_name_the_field_and_change_nothing() {
        let cases: Vec<(ProfileChanges, &str)> = vec![
            (ProfileChanges { legal_form: Some("corporation".into()), ..Default::default() }, "legal_form"),
            (ProfileChanges { sectors: Some(vec!["nope".into()]), ..Default::default() }, "sector"),
            (ProfileChanges { coop_type: Some("workers".into()), ..Default::default() }, "coop_type"),
            (ProfileChanges { website: Some("javascript:alert(1)".into()), ..Default::default() }, "website"),
            (ProfileChanges { website: Some("ftp://x".into()), ..Default::default() }, "website"),
            (ProfileChanges { latitude: Some(95.0), longitude: Some(0.0), ..Default::default() }, "lat"),
            (ProfileChanges { latitude: Some(45.0), ..Default::default() }, "lat"),
            (ProfileChanges { founded: Some(12), ..Default::default() }, "founded"),
            (ProfileChanges { region: Some("atlantis".into()), ..Default::default() }, "region"),
            (ProfileChanges { name: Some(String::new()), ..Default::default() }, "name"),
            (ProfileChanges { name: Some("x".repeat(101)), ..Default::default() }, "name"),
            (ProfileChanges { primary_language: Some("de".into()), ..Default::default() }, "primary_language"),
            (ProfileChanges { neq: Some("114345678".into()), ..Default::default() }, "neq"),
            (ProfileChanges { neq: Some("11434567890".into()), ..Default::default() }, "neq"),
            (ProfileChanges { neq: Some("NEQ1143456789".into()), ..Default::default() }, "neq"),
        ];
        for (changes, field) in cases {
            let mut profile = base();
            let error = profile.apply(&changes).expect_err(field);
            assert_eq!(error.field, field, "{error}");
            assert_eq!(profile, base(), "a refused change leaves the profile as it was");
        }
    }

    #[test]
    fn a_neq_is_kept_as_its_ten_digits() {
        for typed in ["1143456789", " 1143 456 789 ", "1143-456-789"] {
            let mut profile = base();
            profile.apply(&ProfileChanges { neq: Some(typed.into()), ..Default::default() }).unwrap();
            assert_eq!(profile.neq.as_deref(), Some("1143456789"), "{typed:?}");
        }
        let mut profile = base();
        profile.apply(&ProfileChanges { neq: Some("1143456789".into()), ..Default::default() }).unwrap();
        profile.apply(&ProfileChanges { neq: Some(String::new()), ..Default::default() }).unwrap();
        assert_eq!(profile.neq, None, "an empty value clears it");
        let error = neq("neq", "12-34").unwrap_err();
        assert!(error.message.contains("10 digits"), "{error}");
    }

    #[test]
    fn english_first_profiles() {
        let mut profile = EnterpriseProfile::default();
        profile
            .apply(&ProfileChanges {
                primary_language: Some("en".into()),
                name: Some("Food Co-op".into()),
                name_fr: Some("Coop alimentaire".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(profile.names(), vec![("en", "Food Co-op"), ("fr", "Coop alimentaire")]);
    }
}
