//! The workspace's forms as browsers post them, and what they are read
//! into: an update's draft, a practice's draft, an enterprise profile's
//! changes. Reading a form checks nothing the use case checks.

use maillage_domain::{EnterpriseProfile, ProfileChanges};
use serde::Deserialize;

/// The update form's text fields (`POST /workspace/updates`; the CSRF
/// token and the photos are read by `attachments`).
#[derive(Deserialize, Default)]
pub struct UpdateForm {
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    followers_only: Option<String>,
    #[serde(default)]
    content_warning: String,
    #[serde(default)]
    second_text: String,
}

impl UpdateForm {
    /// What was typed, as the form shows it again.
    pub(super) fn draft(&self) -> UpdateDraft {
        UpdateDraft {
            enterprise: self.enterprise.trim().to_string(),
            text: self.text.clone(),
            content_warning: self.content_warning.clone(),
            second_text: self.second_text.clone(),
            language: self.language.trim().to_string(),
            followers_only: self.followers_only.as_deref() == Some("true"),
        }
    }
}

/// What the update form shows (kept after a refusal).
#[derive(Default)]
pub(super) struct UpdateDraft {
    pub(super) enterprise: String,
    pub(super) text: String,
    /// The same update in the other language (optional).
    pub(super) second_text: String,
    pub(super) content_warning: String,
    pub(super) language: String,
    pub(super) followers_only: bool,
}

/// The practice form, to publish (`publish`) or edit (`edit`; its
/// enterprise, licence and "adapted from" stay those of the practice).
#[derive(Deserialize, Default)]
pub struct PracticeForm {
    #[serde(default)]
    pub(super) enterprise: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) summary: String,
    #[serde(default)]
    pub(super) body: String,
    #[serde(default)]
    pub(super) tags: String,
    #[serde(default)]
    pub(super) licence: String,
    #[serde(default)]
    pub(super) adapted_from: String,
    #[serde(default)]
    pub(super) language: String,
    #[serde(default)]
    pub(super) action: String,
}

/// The tags field: comma-separated, with or without `#`.
pub(super) fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',').map(|t| t.trim().trim_start_matches('#').to_string()).filter(|t| !t.is_empty()).collect()
}

/// An enterprise's profile form (`POST /workspace/enterprises/{handle}`;
/// the CSRF token and the pictures are read by `attachments`).
#[derive(Deserialize, Default)]
pub struct ProfileForm {
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    summary_fr: String,
    #[serde(default)]
    summary_en: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    founded: String,
    #[serde(default)]
    neq: String,
    #[serde(default)]
    legal_form: String,
    #[serde(default)]
    coop_type: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sectors: Vec<String>,
    #[serde(default)]
    qualifiers: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    /// Ticked: the logo goes back to the default picture.
    #[serde(default)]
    pub(super) logo_remove: Option<String>,
    /// Ticked: the banner is removed.
    #[serde(default)]
    pub(super) banner_remove: Option<String>,
}

fn parse_number<T: std::str::FromStr>(field: &str, value: &str) -> Result<Option<T>, String> {
    let value = value.trim().replace(',', ".");
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| format!("invalid {field}: {value:?} is not a number"))
}

impl ProfileForm {
    /// The changes it asks for; an error names a number that is not one.
    pub(super) fn changes(&self) -> Result<ProfileChanges, String> {
        Ok(ProfileChanges {
            name_fr: Some(self.name_fr.clone()),
            name_en: Some(self.name_en.clone()),
            summary_fr: Some(self.summary_fr.clone()),
            summary_en: Some(self.summary_en.clone()),
            address: Some(self.address.clone()),
            latitude: parse_number("latitude", &self.latitude)?,
            longitude: parse_number("longitude", &self.longitude)?,
            website: Some(self.website.clone()),
            contact: Some(self.contact.clone()),
            founded: parse_number("founded", &self.founded)?,
            neq: Some(self.neq.clone()),
            legal_form: Some(self.legal_form.clone()),
            coop_type: Some(self.coop_type.clone()),
            region: Some(self.region.clone()),
            status: Some(self.status.clone()),
            sectors: Some(self.sectors.clone()),
            qualifiers: Some(self.qualifiers.clone()),
            languages: Some(self.languages.clone()),
            ..ProfileChanges::default()
        })
    }

    /// What was typed, over the current profile, to show the form again.
    pub(super) fn typed(&self, current: EnterpriseProfile) -> EnterpriseProfile {
        EnterpriseProfile {
            name_fr: Some(self.name_fr.clone()),
            name_en: Some(self.name_en.clone()),
            summary_fr: Some(self.summary_fr.clone()),
            summary_en: Some(self.summary_en.clone()),
            address: Some(self.address.clone()),
            website: Some(self.website.clone()),
            contact: Some(self.contact.clone()),
            neq: Some(self.neq.clone()),
            legal_form: Some(self.legal_form.clone()),
            coop_type: Some(self.coop_type.clone()),
            region: Some(self.region.clone()),
            status: Some(self.status.clone()),
            sectors: self.sectors.clone(),
            qualifiers: self.qualifiers.clone(),
            languages: self.languages.clone(),
            ..current
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_on_commas_without_their_hash() {
        assert_eq!(split_tags(" #Vélo, compost ,, #"), vec!["Vélo".to_string(), "compost".to_string()]);
        assert!(split_tags("").is_empty());
    }

    #[test]
    fn profile_numbers_take_a_decimal_comma_and_name_the_field() {
        let form = ProfileForm { latitude: "45,4".into(), founded: "1998".into(), ..ProfileForm::default() };
        let changes = form.changes().unwrap();
        assert_eq!((changes.latitude, changes.longitude, changes.founded), (Some(45.4), None, Some(1998)));
        let form = ProfileForm { longitude: "west".into(), ..ProfileForm::default() };
        assert_eq!(form.changes().unwrap_err(), "invalid longitude: \"west\" is not a number");
    }

    #[test]
    fn an_update_form_keeps_what_was_typed() {
        let form = UpdateForm {
            enterprise: " ferme ".into(),
            text: " Paniers ".into(),
            followers_only: Some("true".into()),
            ..UpdateForm::default()
        };
        let draft = form.draft();
        assert_eq!(
            (draft.enterprise.as_str(), draft.text.as_str(), draft.followers_only),
            ("ferme", " Paniers ", true)
        );
        assert!(!UpdateForm::default().draft().followers_only);
    }
}
