//! The directory as JSON-LD: each enterprise an `Organization` of
//! schema.org and an ESSGlobal `SSEInitiative`, its legal form, sectors and
//! qualifiers as ESSGlobal concepts (`legalForm`, `economicSector`,
//! `qualifier`, the IRIs of `maillage_domain::vocabulary`), the rest in
//! schema.org terms; the document a schema.org `Dataset` naming its licence
//! and publisher. The same `Organization`, in schema.org terms only, is
//! embedded in each enterprise's page for search engines and maps.

use maillage_domain::EnterpriseProfile;
use maillage_domain::vocabulary::{COOP_TYPES, LEGAL_FORMS, QUALIFIERS, REGIONS, SECTORS, Vocabulary};
use serde_json::{Map, Value, json};

use super::{OpenEntry, Publisher};

/// schema.org's context, as search engines expect it.
pub const SCHEMA_ORG: &str = "https://schema.org";
/// The ESSGlobal vocabulary (RIPESS).
pub const ESSGLOBAL: &str = "http://purl.org/essglobal/vocab/";
/// Our own terms (see `docs/FEDERATION.md`).
pub const MAILLAGE: &str = "https://w3id.org/maillage#";

/// The context of the directory document: schema.org's, then ESSGlobal's
/// terms and ours.
pub fn context() -> Value {
    json!([
        SCHEMA_ORG,
        {
            "essglobal": ESSGLOBAL,
            "maillage": MAILLAGE,
            "SSEInitiative": "essglobal:SSEInitiative",
            "legalForm": { "@id": "essglobal:legalForm", "@type": "@id" },
            "economicSector": { "@id": "essglobal:economicSector", "@type": "@id" },
            "qualifier": { "@id": "essglobal:qualifier", "@type": "@id" },
            "coopType": { "@id": "maillage:coopType", "@type": "@id" },
            "networkOrigin": { "@id": "maillage:networkOrigin", "@type": "@id" }
        }
    ])
}

fn iris(vocabulary: &Vocabulary, codes: &[String]) -> Vec<&'static str> {
    codes.iter().filter_map(|code| vocabulary.get(code)?.iri).collect()
}

fn iri(vocabulary: &Vocabulary, code: &Option<String>) -> Option<&'static str> {
    vocabulary.get(code.as_deref()?)?.iri
}

/// An enterprise's schema.org `Organization` properties (no `@context`).
fn organization(entry: &OpenEntry) -> Map<String, Value> {
    let profile: &EnterpriseProfile = &entry.profile;
    let mut node = Map::new();
    node.insert("@id".into(), json!(entry.id));
    node.insert("@type".into(), json!("Organization"));
    node.insert("url".into(), json!(entry.page));
    // Plain strings, as search engines read them: the primary language's
    // name, the other as `alternateName`.
    let names = profile.names();
    if let Some((_, name)) = names.first() {
        node.insert("name".into(), json!(name));
    }
    if let Some((_, name)) = names.get(1) {
        node.insert("alternateName".into(), json!(name));
    }
    if let Some(summary) = profile.summary() {
        node.insert("description".into(), json!(summary));
    }
    if profile.address.is_some() || profile.region.is_some() {
        let mut address = Map::new();
        address.insert("@type".into(), json!("PostalAddress"));
        if let Some(street) = &profile.address {
            address.insert("streetAddress".into(), json!(street));
        }
        if let Some(region) = profile.region.as_deref().and_then(|code| REGIONS.get(code)) {
            address.insert("addressRegion".into(), json!(region.fr));
        }
        address.insert("addressCountry".into(), json!("CA"));
        node.insert("address".into(), Value::Object(address));
    }
    if let (Some(latitude), Some(longitude)) = (profile.latitude, profile.longitude) {
        node.insert("geo".into(), json!({ "@type": "GeoCoordinates", "latitude": latitude, "longitude": longitude }));
    }
    if let Some(website) = &profile.website {
        node.insert("sameAs".into(), json!(website));
    }
    if let Some(logo) = &profile.logo_url {
        node.insert("logo".into(), json!(logo));
    }
    if let Some(year) = profile.founded {
        node.insert("foundingDate".into(), json!(year.to_string()));
    }
    if !profile.languages.is_empty() {
        node.insert("knowsLanguage".into(), json!(profile.languages));
    }
    if let Some(neq) = &profile.neq {
        node.insert("identifier".into(), neq_identifier(neq));
    }
    node
}

/// The Québec enterprise number as schema.org writes a registry's
/// identifier (the same as in the actor document).
fn neq_identifier(neq: &str) -> Value {
    json!({ "@type": "PropertyValue", "propertyID": "NEQ", "value": neq })
}

/// The schema.org `Organization` embedded in an enterprise's page.
pub fn page_block(entry: &OpenEntry) -> Value {
    let mut node = Map::new();
    node.insert("@context".into(), json!(SCHEMA_ORG));
    node.extend(organization(entry));
    Value::Object(node)
}

/// [`page_block`] as the text of a `<script type="application/ld+json">`:
/// `<`, `>` and `&` escaped (`\u003c`...), so that nothing in it can close
/// the element or open a comment; JSON readers see the same strings.
pub fn script_text(value: &Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            other => out.push(other),
        }
    }
    out
}

/// An enterprise of the directory document: schema.org's properties, and
/// ESSGlobal's where it has terms.
fn initiative(entry: &OpenEntry) -> Value {
    let profile = &entry.profile;
    let mut node = organization(entry);
    node.insert("@type".into(), json!(["Organization", "SSEInitiative"]));
    let handle = json!(entry.handle);
    let identifier = match profile.neq.as_deref() {
        Some(neq) => json!([handle, neq_identifier(neq)]),
        None => handle,
    };
    node.insert("identifier".into(), identifier);
    if let Some(legal_form) = iri(&LEGAL_FORMS, &profile.legal_form) {
        node.insert("legalForm".into(), json!(legal_form));
    }
    if let Some(coop_type) = iri(&COOP_TYPES, &profile.coop_type) {
        node.insert("coopType".into(), json!(coop_type));
    }
    let sectors = iris(&SECTORS, &profile.sectors);
    if !sectors.is_empty() {
        node.insert("economicSector".into(), json!(sectors));
    }
    let qualifiers = iris(&QUALIFIERS, &profile.qualifiers);
    if !qualifiers.is_empty() {
        node.insert("qualifier".into(), json!(qualifiers));
    }
    if let Some(origin) = &entry.origin {
        node.insert("networkOrigin".into(), json!(origin.hub));
    }
    Value::Object(node)
}

/// The whole directory document.
pub fn directory(publisher: &Publisher, entries: &[OpenEntry]) -> Value {
    json!({
        "@context": context(),
        "@id": format!("{}/directory.jsonld", publisher.base_url),
        "@type": "Dataset",
        "name": format!("{} — directory", publisher.name),
        "url": format!("{}/directory", publisher.base_url),
        "license": publisher.licence,
        "publisher": { "@id": publisher.hub, "@type": "Organization", "name": publisher.name },
        "mainEntity": entries.iter().map(initiative).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_in_the_script_text_can_end_the_element() {
        let value = json!({ "name": "</script><!-- & -->" });
        let text = script_text(&value);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }
}
