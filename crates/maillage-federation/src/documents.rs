//! The JSON documents of local actors, as other servers read them.

use maillage_db::LocalActor;
use maillage_domain::ActorKind;
use serde_json::{Value, json};

use crate::urls::Urls;

/// The `@context` of actor documents: ActivityStreams, security (for
/// `publicKey`) and the extension terms we use, named as Mastodon names them.
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
            "value": "schema:value"
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
    });
    if kind == ActorKind::Instance {
        // The instance actor is a technical account: not listed, not searchable.
        doc["discoverable"] = json!(false);
        doc["indexable"] = json!(false);
        doc["url"] = json!(urls.base().to_string() + "/");
    } else {
        doc["featured"] = json!(Urls::of_actor(id, "featured"));
        doc["discoverable"] = json!(actor.discoverable);
        doc["indexable"] = json!(actor.discoverable);
    }
    doc
}

/// A minimal, escaped HTML profile page for browsers.
pub fn actor_page(actor: &LocalActor, domain: &str) -> String {
    let name = html_escape::encode_text(&actor.display_name);
    let handle = html_escape::encode_text(&actor.username);
    let json_href = html_escape::encode_double_quoted_attribute(&actor.ap_id);
    let domain = html_escape::encode_text(domain);
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{name} (@{handle}@{domain})</title>\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{json_href}\"></head>\
         <body><main><h1>{name}</h1><p>@{handle}@{domain}</p>{summary}</main></body></html>\n",
        summary = text_to_html(&actor.summary),
    )
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
