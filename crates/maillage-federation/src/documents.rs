//! The JSON documents of local actors, as other servers read them.

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, EnterpriseProfile};
use serde_json::{Value, json};

use crate::urls::Urls;

/// Our own extension terms (not registered anywhere yet; documented in
/// `docs/FEDERATION.md`).
pub const MAILLAGE_NS: &str = "https://w3id.org/maillage#";

/// The `@context` of actor documents: ActivityStreams, security (for
/// `publicKey`) and the extension terms we use, named as Mastodon names them,
/// plus the enterprise profile's terms (schema.org, ESSGlobal, ours).
pub fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "Hashtag": "as:Hashtag",
            "PostalAddress": "schema:PostalAddress",
            "address": "schema:address",
            "streetAddress": "schema:streetAddress",
            "addressRegion": "schema:addressRegion",
            "addressCountry": "schema:addressCountry",
            "foundingDate": "schema:foundingDate",
            "identifier": "schema:identifier",
            "propertyID": "schema:propertyID",
            "essglobal": "http://purl.org/essglobal/vocab/",
            "legalForm": { "@id": "essglobal:legalForm", "@type": "@id" },
            "economicSector": { "@id": "essglobal:economicSector", "@type": "@id" },
            "qualifier": { "@id": "essglobal:qualifier", "@type": "@id" },
            "maillage": MAILLAGE_NS,
            "enterpriseProfile": { "@id": "maillage:enterpriseProfile", "@type": "@json" },
            "members": { "@id": "maillage:members", "@type": "@id" }
        }
    ])
}

/// Plain text as an HTML paragraph (actor `summary` is HTML on the wire).
pub fn text_to_html(text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    text.split("\n\n")
        .map(|para| format!("<p>{}</p>", html_escape::encode_text(para.trim()).replace('\n', "<br>")))
        .collect()
}

/// The actor document served at the actor's id.
pub fn actor_document(actor: &LocalActor, urls: &Urls) -> Value {
    let id = actor.ap_id.as_str();
    let kind = actor.kind();
    let mut doc = json!({
        "@context": actor_context(),
        "id": id,
        "type": kind.activity_type(),
        "preferredUsername": actor.username,
        "name": actor.display_name,
        "summary": text_to_html(&actor.summary),
        "url": id,
        "inbox": Urls::of_actor(id, "inbox"),
        "outbox": Urls::of_actor(id, "outbox"),
        "followers": Urls::of_actor(id, "followers"),
        "following": Urls::of_actor(id, "following"),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": {
            "id": Urls::key_id(id),
            "owner": id,
            "publicKeyPem": actor.public_key_pem,
        },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "published": actor.created_at.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "attachment": [],
        "featured": Urls::of_actor(id, "featured"),
    });
    if kind == ActorKind::Enterprise
        && let Some(profile) =
            actor.profile_json.as_deref().and_then(|j| serde_json::from_str::<EnterpriseProfile>(j).ok())
    {
        add_profile(&mut doc, &profile, urls);
    }
    add_pictures(&mut doc, actor, urls);
    if kind == ActorKind::Instance {
        // The instance actor is a technical account: not listed, not searchable.
        doc["discoverable"] = json!(false);
        doc["indexable"] = json!(false);
        doc["url"] = json!(urls.base().to_string() + "/");
    } else {
        if kind == ActorKind::Hub {
            // The hub's enterprises, which other hubs list in their directory.
            doc["members"] = json!(Urls::of_actor(id, "members"));
        }
        doc["discoverable"] = json!(actor.discoverable);
        doc["indexable"] = json!(actor.discoverable);
    }
    doc
}

/// The actor's stored pictures as `icon` and `image` (replacing an
/// enterprise's logo or banner given as a URL it was not fetched from),
/// with their `mediaType`; none: no such property.
fn add_pictures(doc: &mut Value, actor: &LocalActor, urls: &Urls) {
    use maillage_domain::profile_image::media_type_of_key;
    for (property, key) in [("icon", &actor.icon_key), ("image", &actor.image_key)] {
        if let Some(key) = key {
            doc[property] = json!({
                "type": "Image",
                "mediaType": media_type_of_key(key),
                "url": crate::content::protocol::media_url(urls, key),
            });
        }
    }
}

/// A `PropertyValue` profile field, as Mastodon shows it.
fn field(name: &str, value: String) -> Value {
    json!({ "type": "PropertyValue", "name": name, "value": value })
}

/// The profile fields of an enterprise, as (name, HTML value): the four
/// headline facts (legal form, sector, region, website with `rel="me"`),
/// in the profile's primary language. Federated as `PropertyValue`s and
/// shown as an Account's `fields`.
pub fn profile_fields(profile: &EnterpriseProfile) -> Vec<(&'static str, String)> {
    use maillage_domain::vocabulary::{LEGAL_FORMS, REGIONS, SECTORS};
    let lang = profile.primary_language.as_str();
    let fr = lang == "fr";
    let mut fields = Vec::new();
    if let Some(term) = profile.legal_form.as_deref().and_then(|c| LEGAL_FORMS.get(c)) {
        fields.push((
            if fr { "Forme juridique" } else { "Legal form" },
            html_escape::encode_text(term.label(lang)).into_owned(),
        ));
    }
    let sectors: Vec<&str> = profile.sectors.iter().filter_map(|c| SECTORS.get(c)).map(|t| t.label(lang)).collect();
    if !sectors.is_empty() {
        fields
            .push((if fr { "Secteur" } else { "Sector" }, html_escape::encode_text(&sectors.join(", ")).into_owned()));
    }
    if let Some(term) = profile.region.as_deref().and_then(|c| REGIONS.get(c)) {
        fields.push((if fr { "Région" } else { "Region" }, html_escape::encode_text(term.label(lang)).into_owned()));
    }
    if let Some(website) = &profile.website {
        let shown = website.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        let link = format!(
            "<a href=\"{}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
            html_escape::encode_double_quoted_attribute(website),
            html_escape::encode_text(shown)
        );
        fields.push((if fr { "Site web" } else { "Website" }, link));
    }
    fields
}

/// Puts an enterprise's profile on its `Organization` document: names and
/// summaries by language (primary first), the four headline facts as profile
/// fields (legal form, sector, region, website with `rel="me"`), hashtags of
/// legal form and sectors, the address as a Mobilizon-style `Place`, logo and
/// banner, ESSGlobal IRIs, the NEQ as a schema.org `identifier`, and the
/// whole profile as `enterpriseProfile`.
pub fn add_profile(doc: &mut Value, profile: &EnterpriseProfile, urls: &Urls) {
    use maillage_domain::vocabulary::{LEGAL_FORMS, QUALIFIERS, REGIONS, SECTORS};
    if let Some(name) = profile.name() {
        doc["name"] = json!(name);
    }
    doc["nameMap"] = Value::Object(profile.names().into_iter().map(|(l, t)| (l.to_string(), json!(t))).collect());
    let summaries = profile.summaries();
    if let Some((_, summary)) = summaries.first() {
        doc["summary"] = json!(text_to_html(summary));
    }
    doc["summaryMap"] =
        Value::Object(summaries.into_iter().map(|(l, t)| (l.to_string(), json!(text_to_html(t)))).collect());

    let fields: Vec<Value> = profile_fields(profile).into_iter().map(|(name, value)| field(name, value)).collect();
    doc["attachment"] = json!(fields);

    let mut tags: Vec<Value> = Vec::new();
    for code in profile.legal_form.iter().chain(profile.sectors.iter()) {
        tags.push(json!({ "type": "Hashtag", "name": format!("#{}", code.replace('_', "")), "href": urls.tag(code) }));
    }
    doc["tag"] = json!(tags);

    if profile.address.is_some() || profile.latitude.is_some() {
        let mut place = json!({ "type": "Place" });
        if let Some(address) = &profile.address {
            place["name"] = json!(address);
            let region = profile.region.as_deref().and_then(|c| REGIONS.get(c)).map(|t| t.fr);
            place["address"] = json!({
                "type": "PostalAddress",
                "streetAddress": address,
                "addressRegion": region,
                "addressCountry": "CA",
            });
        }
        if let (Some(lat), Some(lon)) = (profile.latitude, profile.longitude) {
            place["latitude"] = json!(lat);
            place["longitude"] = json!(lon);
        }
        doc["location"] = place;
    }
    if let Some(logo) = &profile.logo_url {
        doc["icon"] = json!({ "type": "Image", "url": logo });
    }
    if let Some(banner) = &profile.banner_url {
        doc["image"] = json!({ "type": "Image", "url": banner });
    }
    if let Some(iri) = profile.legal_form.as_deref().and_then(|c| LEGAL_FORMS.get(c)).and_then(|t| t.iri) {
        doc["legalForm"] = json!(iri);
    }
    let sector_iris: Vec<&str> = profile.sectors.iter().filter_map(|c| SECTORS.get(c)).filter_map(|t| t.iri).collect();
    if !sector_iris.is_empty() {
        doc["economicSector"] = json!(sector_iris);
    }
    let qualifier_iris: Vec<&str> =
        profile.qualifiers.iter().filter_map(|c| QUALIFIERS.get(c)).filter_map(|t| t.iri).collect();
    if !qualifier_iris.is_empty() {
        doc["qualifier"] = json!(qualifier_iris);
    }
    if let Some(year) = profile.founded {
        doc["foundingDate"] = json!(year.to_string());
    }
    if let Some(neq) = &profile.neq {
        // The Québec enterprise number, as schema.org names an identifier
        // from a register.
        doc["identifier"] = json!({ "type": "PropertyValue", "propertyID": "NEQ", "value": neq });
    }
    doc["enterpriseProfile"] = serde_json::to_value(profile).unwrap_or(Value::Null);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_escaped_html() {
        assert_eq!(text_to_html("a <b> & c\nd\n\ne"), "<p>a &lt;b&gt; &amp; c<br>d</p><p>e</p>");
        assert_eq!(text_to_html("  "), "");
    }
}
