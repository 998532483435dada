//! Reading collections other servers serve (a followed hub's `members`):
//! one document at a time, through the library's fetch, so signed by the
//! instance actor, within the address rules and the domain policies, the
//! size limit, and only when the document's `id` is the URL asked for.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use serde_json::Value;
use url::Url;

use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::inbound::id_of;

/// What one document of a collection gives: its items (ids), and where to
/// read on.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CollectionPage {
    pub items: Vec<String>,
    pub next: Option<String>,
}

/// Reads the collection or collection page at `url`.
pub async fn fetch_collection_page(federation: &Federation, url: &str) -> Result<CollectionPage, FederationError> {
    let url = Url::parse(url).map_err(|_| FederationError::invalid(format!("not a URL: {url}")))?;
    let fetched = fetch_object_http::<Context, Value>(&url, &federation.data()).await?;
    Ok(page_of(&fetched.object))
}

/// The `totalItems` of an actor's collection: embedded in its document, or
/// read from its URL (on the actor's server only); `None` when not said.
async fn total_items(data: &Data<Context>, actor: &Url, value: Option<&Value>) -> Option<i64> {
    let document = match value? {
        Value::Object(_) => value?.clone(),
        Value::String(url) => {
            let url = Url::parse(url).ok()?;
            if url.host_str() != actor.host_str() || url.port_or_known_default() != actor.port_or_known_default() {
                return None;
            }
            fetch_object_http::<Context, Value>(&url, data).await.ok()?.object
        }
        _ => return None,
    };
    document.get("totalItems")?.as_i64().filter(|n| *n >= 0)
}

/// Reads the sizes of a remote actor's followers, following and outbox
/// from its document `actor` (each collection that does not answer or says
/// no size stays unknown) and stores them.
pub async fn read_actor_counts(data: &Data<Context>, actor: &Value) -> Result<(), FederationError> {
    let Some(id) = id_of(actor.get("id")).and_then(|id| Url::parse(id).ok()) else { return Ok(()) };
    let counts = maillage_db::CollectionCounts {
        followers: total_items(data, &id, actor.get("followers")).await,
        following: total_items(data, &id, actor.get("following")).await,
        statuses: total_items(data, &id, actor.get("outbox")).await,
    };
    data.db.set_remote_actor_counts(id.as_str(), counts).await?;
    Ok(())
}

/// The items and the next page of a collection or of one of its pages. A
/// collection whose items are on pages gives its first page to read next
/// (or, embedded, that page's items and next).
pub fn page_of(document: &Value) -> CollectionPage {
    let listed = document.get("orderedItems").or_else(|| document.get("items"));
    if let Some(Value::Array(items)) = listed {
        return CollectionPage {
            items: items.iter().filter_map(|item| id_of(Some(item)).map(str::to_string)).collect(),
            next: id_of(document.get("next")).map(str::to_string),
        };
    }
    match document.get("first") {
        Some(first @ Value::Object(_)) => page_of(first),
        first => CollectionPage { items: Vec::new(), next: id_of(first).map(str::to_string) },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn collections_and_their_pages() {
        let collection =
            json!({"type": "OrderedCollection", "totalItems": 2, "first": "https://a.example/m?page=true"});
        assert_eq!(
            page_of(&collection),
            CollectionPage { items: vec![], next: Some("https://a.example/m?page=true".into()) }
        );
        let page = json!({"type": "OrderedCollectionPage", "orderedItems": ["https://a.example/actors/x", {"id": "https://a.example/actors/y"}, 3],
            "next": "https://a.example/m?page=true&max_id=2"});
        assert_eq!(
            page_of(&page),
            CollectionPage {
                items: vec!["https://a.example/actors/x".into(), "https://a.example/actors/y".into()],
                next: Some("https://a.example/m?page=true&max_id=2".into()),
            }
        );
        let embedded =
            json!({"type": "Collection", "first": {"type": "CollectionPage", "items": ["https://a.example/actors/z"]}});
        assert_eq!(page_of(&embedded), CollectionPage { items: vec!["https://a.example/actors/z".into()], next: None });
        assert_eq!(page_of(&json!({"type": "Note"})), CollectionPage::default());
    }
}
