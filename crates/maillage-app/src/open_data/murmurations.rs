//! An enterprise as a Murmurations profile (the `organizations_schema`
//! of the Murmurations library): what a Murmurations index reads at the
//! profile's address (`/enterprises/HANDLE/murmurations.json`).

use maillage_domain::vocabulary::{LEGAL_FORMS, QUALIFIERS, REGIONS, SECTORS, STATUSES};
use serde_json::{Map, Value, json};

use super::{OpenEntry, Publisher};

/// The schema the profile follows.
pub const SCHEMA: &str = "organizations_schema-v1.0.0";

/// Murmurations' `primary_url`: the canonical address without its scheme.
fn without_scheme(url: &str) -> &str {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url);
    rest.trim_end_matches('/')
}

/// The profile of `entry`.
pub fn profile(publisher: &Publisher, entry: &OpenEntry) -> Value {
    let p = &entry.profile;
    let mut doc = Map::new();
    doc.insert("linked_schemas".into(), json!([SCHEMA]));
    doc.insert("name".into(), json!(p.name().unwrap_or(&entry.handle)));
    doc.insert("primary_url".into(), json!(without_scheme(p.website.as_deref().unwrap_or(&entry.page))));
    // Tags: the English labels of its coded facts, as Murmurations indexes match words.
    let mut tags: Vec<&str> = Vec::new();
    tags.extend(p.legal_form.as_deref().and_then(|c| LEGAL_FORMS.get(c)).map(|t| t.en));
    tags.extend(p.sectors.iter().filter_map(|c| SECTORS.get(c)).map(|t| t.en));
    tags.extend(p.qualifiers.iter().filter_map(|c| QUALIFIERS.get(c)).map(|t| t.en));
    doc.insert("tags".into(), json!(tags));
    if let Some(summary) = p.summary() {
        doc.insert("description".into(), json!(summary));
    }
    let mut urls = vec![json!({ "name": publisher.name, "url": entry.page })];
    if let Some(website) = &p.website {
        urls.insert(0, json!({ "name": "Website", "url": website }));
    }
    doc.insert("urls".into(), Value::Array(urls));
    if let Some(logo) = &p.logo_url {
        doc.insert("image".into(), json!(logo));
    }
    if let (Some(lat), Some(lon)) = (p.latitude, p.longitude) {
        doc.insert("geolocation".into(), json!({ "lat": lat, "lon": lon }));
    }
    if let Some(address) = &p.address {
        doc.insert("full_address".into(), json!(address));
    }
    if let Some(region) = p.region.as_deref().and_then(|c| REGIONS.get(c)) {
        doc.insert("region".into(), json!(region.fr));
    }
    doc.insert("country_iso_3166".into(), json!("CA"));
    if let Some(scope) = &p.scope {
        doc.insert("geographic_scope".into(), json!(scope));
    }
    // Murmurations' statuses; our `closed` is its `completed`.
    if let Some(status) = p.status.as_deref().and_then(|c| STATUSES.get(c)) {
        let status = if status.code == "closed" { "completed" } else { status.code };
        doc.insert("status".into(), json!(status));
    }
    doc.insert("license".into(), json!(publisher.licence));
    Value::Object(doc)
}
