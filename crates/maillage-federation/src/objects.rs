//! Our actors as the library sees them: remote actors fetched and cached,
//! and local actors (which sign requests).

use activitypub_federation::config::Data;
use activitypub_federation::traits::{Actor, Object};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maillage_db::NewRemoteActor;
use maillage_domain::audience::Addressing;
use serde_json::Value;
use url::Url;

pub use crate::actor_object::{LocalActorObject, RemoteActorObject};
use crate::context::Context;
use crate::error::FederationError;
use crate::remote_body::excerpt;
pub use crate::urls::authority;

/// The actor types we follow and accept activities from.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

fn string_at<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A link given as a string, an object with `href`/`url`, or a list of those.
fn first_href(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map.get("href").or_else(|| map.get("url")).and_then(first_href),
        Value::Array(items) => items.iter().find_map(first_href),
        _ => None,
    }
}

/// [`first_href`], for readers of stored documents.
pub fn first_link(value: &Value) -> Option<String> {
    first_href(value)
}

fn url_at(json: &Value, key: &str) -> Result<Option<Url>, FederationError> {
    match string_at(json, key) {
        None => Ok(None),
        Some(s) => Url::parse(s)
            .map(Some)
            .map_err(|_| FederationError::invalid(format!("`{key}` is not a URL: {}", excerpt(s)))),
    }
}

/// An actor's inbox must be on the actor's own server: otherwise anyone's
/// actor document could make us POST wherever it likes.
fn on_actor_server(id: &Url, inbox: Url, key: &str) -> Result<Url, FederationError> {
    if authority(&inbox) != authority(id) {
        return Err(FederationError::invalid(format!(
            "the {key} {} of {} is not on the actor's server",
            excerpt(inbox.as_str()),
            excerpt(id.as_str())
        )));
    }
    Ok(inbox)
}

/// Reads an actor document from any server into what we keep.
pub fn parse_actor_document(json: &Value) -> Result<NewRemoteActor, FederationError> {
    let id = url_at(json, "id")?.ok_or_else(|| FederationError::invalid("the actor has no `id`"))?;
    let actor_type = match json.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).next().unwrap_or_default().to_string(),
        _ => String::new(),
    };
    if !ACTOR_TYPES.contains(&actor_type.as_str()) {
        return Err(FederationError::invalid(format!("{id} is not an actor (type {})", excerpt(&actor_type))));
    }
    let username = string_at(json, "preferredUsername")
        .ok_or_else(|| FederationError::invalid(format!("the actor {id} has no `preferredUsername`")))?
        .to_string();
    let inbox =
        url_at(json, "inbox")?.ok_or_else(|| FederationError::invalid(format!("the actor {id} has no `inbox`")))?;
    let inbox = on_actor_server(&id, inbox, "inbox")?;
    let shared_inbox = json.get("endpoints").map(|e| url_at(e, "sharedInbox")).transpose()?.flatten();
    let shared_inbox = shared_inbox.map(|url| on_actor_server(&id, url, "shared inbox")).transpose()?;
    let keys = match json.get("publicKey") {
        Some(Value::Array(keys)) => keys.iter().collect::<Vec<_>>(),
        Some(key @ Value::Object(_)) => vec![key],
        _ => Vec::new(),
    };
    // Prefer the key the actor owns; servers that list several name the owner.
    let key = keys
        .iter()
        .find(|k| string_at(k, "owner") == Some(id.as_str()))
        .or_else(|| keys.first())
        .ok_or_else(|| FederationError::invalid(format!("the actor {id} has no `publicKey`")))?;
    let key_id = string_at(key, "id").ok_or_else(|| FederationError::invalid("the public key has no `id`"))?;
    let pem = string_at(key, "publicKeyPem")
        .ok_or_else(|| FederationError::invalid("the public key has no `publicKeyPem`"))?;
    if let Some(owner) = string_at(key, "owner")
        && owner != id.as_str()
    {
        return Err(FederationError::invalid(format!("the public key of {id} is owned by {}", excerpt(owner))));
    }
    let key_url = Url::parse(key_id)
        .map_err(|_| FederationError::invalid(format!("the key id is not a URL: {}", excerpt(key_id))))?;
    if authority(&key_url) != authority(&id) {
        return Err(FederationError::invalid(format!("the key {} is not on the actor's server", excerpt(key_id))));
    }
    let profile_json = if actor_type == "Organization" { enterprise_profile_of(json) } else { None };
    Ok(NewRemoteActor {
        profile_json,
        domain: authority(&id),
        ap_id: id.to_string(),
        actor_type,
        username,
        display_name: string_at(json, "name").map(str::to_string),
        summary: string_at(json, "summary").map(str::to_string),
        url: json.get("url").and_then(first_href),
        icon_url: json.get("icon").and_then(first_href),
        inbox_url: inbox.to_string(),
        shared_inbox_url: shared_inbox.map(|u| u.to_string()),
        outbox_url: url_at(json, "outbox")?.map(|u| u.to_string()),
        followers_url: url_at(json, "followers")?.map(|u| u.to_string()),
        public_key_id: key_id.to_string(),
        public_key_pem: pem.to_string(),
        manually_approves_followers: json.get("manuallyApprovesFollowers").and_then(Value::as_bool).unwrap_or(false),
        raw_json: json.to_string(),
    })
}

/// The profile a Maillage enterprise publishes (`enterpriseProfile`), when
/// present and valid; other servers' actors have none.
fn enterprise_profile_of(json: &Value) -> Option<String> {
    let profile: maillage_domain::EnterpriseProfile =
        serde_json::from_value(json.get("enterpriseProfile")?.clone()).ok()?;
    profile.validate().ok()?;
    serde_json::to_string(&profile).ok()
}

fn time_at(json: &Value, key: &str) -> Option<maillage_db::UtcTime> {
    let text = string_at(json, key)?;
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| maillage_db::UtcTime::from(t.to_utc()))
}

/// The first value of a language map, with its language.
fn first_of_map<'a>(json: &'a Value, key: &str) -> Option<(&'a str, &'a str)> {
    json.get(key)?.as_object()?.iter().find_map(|(lang, v)| v.as_str().map(|t| (lang.as_str(), t)))
}

/// The entries of a property that may be one value or a list.
fn values_at<'a>(json: &'a Value, key: &str) -> Vec<&'a Value> {
    match json.get(key) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

/// The ids an object is addressed to: `to`, and `cc` with `bto` and `bcc`
/// (each a string, an object with an `id`, or a list of those).
pub fn addressing_of(json: &Value) -> Addressing {
    let ids = |keys: &[&str]| -> Vec<String> {
        keys.iter()
            .flat_map(|key| values_at(json, key))
            .filter_map(|value| crate::inbound::activity::id_of(Some(value)))
            .map(str::to_string)
            .collect()
    };
    Addressing { to: ids(&["to"]), cc: ids(&["cc", "bto", "bcc"]) }
}

/// Whether an object is public in Mastodon's sense: the public collection
/// is in its `to` (only in `cc`, it is unlisted: kept off tag timelines).
pub fn is_public(json: &Value) -> bool {
    addressing_of(json).to.iter().any(|to| maillage_domain::audience::is_public_collection(to))
}

/// The display names of an object's `Hashtag` tags (`#Vélo` → `vélo`),
/// without duplicates; names that are no tag name are left out.
pub fn hashtags_of(json: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for tag in values_at(json, "tag") {
        if tag.get("type").and_then(Value::as_str) != Some("Hashtag") {
            continue;
        }
        if let Some(name) = tag.get("name").and_then(Value::as_str).and_then(maillage_domain::tags::display_name)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// The actors an object's `Mention` tags name, by ActivityPub id, without duplicates.
pub fn mentions_of(json: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for tag in values_at(json, "tag") {
        if tag.get("type").and_then(Value::as_str) != Some("Mention") {
            continue;
        }
        if let Some(href) = tag.get("href").and_then(Value::as_str)
            && !ids.iter().any(|id| id == href)
        {
            ids.push(href.to_string());
        }
    }
    ids
}

/// The profile fields (`PropertyValue` attachments) of an actor document,
/// as (plain-text name, sanitised HTML value).
pub fn profile_fields_of(json: &Value) -> Vec<(String, String)> {
    values_at(json, "attachment")
        .into_iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("PropertyValue"))
        .filter_map(|item| {
            let name = maillage_domain::html::html_to_text(item.get("name")?.as_str()?);
            let value = maillage_domain::html::sanitize_remote_html(item.get("value")?.as_str()?);
            Some((name, value))
        })
        .collect()
}

/// Whether an object is marked `sensitive` (to be shown behind a warning).
pub fn is_sensitive(json: &Value) -> bool {
    json.get("sensitive").and_then(Value::as_bool).unwrap_or(false)
}

/// Reads any object (Note, Article, Page, or a type we do not know yet)
/// into what we keep; HTML is sanitised here, before anything stores it.
pub fn parse_remote_object(json: &Value) -> Result<maillage_db::NewRemoteObject, FederationError> {
    use maillage_domain::html::sanitize_remote_html;
    let (id, kind, attributed_to) = check_remote_object(json)?;
    let content = string_at(json, "content").or_else(|| first_of_map(json, "contentMap").map(|(_, t)| t));
    // contentMap (Mastodon & co.), Lemmy's `language.identifier`, Mobilizon's `inLanguage`.
    let language = first_of_map(json, "contentMap")
        .or_else(|| first_of_map(json, "nameMap"))
        .map(|(l, _)| l.to_string())
        .or_else(|| json.get("language").and_then(|l| string_at(l, "identifier")).map(str::to_string))
        .or_else(|| string_at(json, "inLanguage").map(str::to_string));
    Ok(maillage_db::NewRemoteObject {
        ap_id: id.to_string(),
        kind,
        attributed_to,
        name: string_at(json, "name").map(maillage_domain::html::html_to_text),
        // A long-form object may give its excerpt only by language (ours do).
        summary: string_at(json, "summary")
            .or_else(|| first_of_map(json, "summaryMap").map(|(_, t)| t))
            .map(sanitize_remote_html),
        content_html: content.map(sanitize_remote_html),
        url: json.get("url").and_then(first_href),
        in_reply_to: crate::inbound::activity::id_of(json.get("inReplyTo")).map(str::to_string),
        language,
        published: time_at(json, "published"),
        updated: time_at(json, "updated"),
        raw_json: json.to_string(),
        addressing: addressing_of(json),
        hashtags: hashtags_of(json),
        attachments: crate::remote_media::attachments_of(json),
    })
}

/// The part of [`parse_remote_object`] that can refuse an object: its id,
/// type and author (on the object's server). The inbox checks this before
/// storing; the rest (sanitising) happens when the activity is processed.
pub fn check_remote_object(json: &Value) -> Result<(Url, String, Option<String>), FederationError> {
    let id = url_at(json, "id")?.ok_or_else(|| FederationError::invalid("the object has no `id`"))?;
    let kind = match json.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).next().unwrap_or("Object").to_string(),
        _ => return Err(FederationError::invalid(format!("the object {id} has no `type`"))),
    };
    if ACTOR_TYPES.contains(&kind.as_str()) {
        return Err(FederationError::invalid(format!("{id} is an actor, not a post")));
    }
    let attributed_to = match json.get("attributedTo") {
        Some(Value::Array(items)) => {
            items.iter().find_map(|i| crate::inbound::activity::id_of(Some(i))).map(str::to_string)
        }
        other => crate::inbound::activity::id_of(other).map(str::to_string),
    };
    if let Some(author) = &attributed_to {
        let author_url = Url::parse(author).map_err(|_| FederationError::invalid("`attributedTo` is not a URL"))?;
        if authority(&author_url) != authority(&id) {
            return Err(FederationError::invalid(format!("{id} claims an author on another server")));
        }
    }
    Ok((id, kind, attributed_to))
}

/// A remote post (or other object), cached in the database.
#[derive(Debug, Clone)]
pub struct RemoteObjectHandle {
    pub row: maillage_db::RemoteObject,
    id: Url,
}

impl TryFrom<maillage_db::RemoteObject> for RemoteObjectHandle {
    type Error = FederationError;
    fn try_from(row: maillage_db::RemoteObject) -> Result<Self, Self::Error> {
        let id = Url::parse(&row.ap_id)
            .map_err(|_| FederationError::invalid(format!("stored object id is not a URL: {}", row.ap_id)))?;
        Ok(RemoteObjectHandle { row, id })
    }
}

#[async_trait]
impl Object for RemoteObjectHandle {
    type DataType = Context;
    type Kind = Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.updated_at.as_datetime())
    }

    async fn read_from_id(id: Url, data: &Data<Context>) -> Result<Option<Self>, FederationError> {
        data.db.remote_object(id.as_str()).await?.filter(|o| !o.deleted).map(Self::try_from).transpose()
    }

    async fn delete(&self, data: &Data<Context>) -> Result<(), FederationError> {
        Ok(data.db.tombstone_remote_object(&self.row.ap_id, &self.row.kind).await?)
    }

    async fn into_json(self, _data: &Data<Context>) -> Result<Value, FederationError> {
        serde_json::from_str(&self.row.raw_json).map_err(|e| FederationError::invalid(e.to_string()))
    }

    async fn verify(json: &Value, expected_domain: &Url, _data: &Data<Context>) -> Result<(), FederationError> {
        let object = parse_remote_object(json)?;
        let id = Url::parse(&object.ap_id).map_err(|_| FederationError::invalid("bad id"))?;
        if authority(&id) != authority(expected_domain) {
            return Err(FederationError::invalid(format!("the object {id} was served by another server")));
        }
        Ok(())
    }

    async fn from_json(json: Value, data: &Data<Context>) -> Result<Self, FederationError> {
        let object = parse_remote_object(&json)?;
        refuse_shunned(data, &object.ap_id, object.attributed_to.as_deref()).await?;
        if data.db.store_remote_object(&object).await? == maillage_db::StoreOutcome::Tombstoned {
            return Err(FederationError::NotFound(format!("{} was deleted", object.ap_id)));
        }
        let row = data
            .db
            .remote_object(&object.ap_id)
            .await?
            .ok_or_else(|| FederationError::NotFound(format!("{} vanished", object.ap_id)))?;
        Self::try_from(row)
    }
}

/// Refuses (403) an object of a server we do not federate with, or by an
/// actor our moderators suspended: however it reaches us (a reshare, a
/// search, a reply), it is neither stored nor shown.
async fn refuse_shunned(ctx: &Context, object_id: &str, author: Option<&str>) -> Result<(), FederationError> {
    for url in std::iter::once(object_id).chain(author).filter_map(|u| Url::parse(u).ok()) {
        if let Some(reason) = ctx.policies.url_refusal(&url).await {
            return Err(FederationError::Forbidden(reason));
        }
    }
    if let Some(author) = author
        && ctx.db.remote_actor_by_ap_id(author).await?.is_some_and(|a| a.suspended)
    {
        return Err(FederationError::Forbidden(format!("{author} is suspended by this instance's moderators")));
    }
    Ok(())
}

/// Fetches an object from its origin (signed GET) and stores it; also caches
/// its author (a remote enterprise joins the network directory only when a
/// hub we follow lists it, see `directory`). Objects of blocked servers or
/// suspended actors are refused (403).
pub async fn fetch_remote_object(
    federation: &crate::context::Federation,
    url: &str,
) -> Result<maillage_db::RemoteObject, FederationError> {
    use activitypub_federation::fetch::object_id::ObjectId;
    let data = federation.data();
    let url = Url::parse(url).map_err(|_| FederationError::invalid(format!("not a URL: {url}")))?;
    if authority(&url) == data.config.instance.domain {
        return Err(FederationError::invalid(format!("{url} is on this instance")));
    }
    let object = ObjectId::<RemoteObjectHandle>::from(url).dereference_forced(&data).await?;
    refuse_shunned(&data, &object.row.ap_id, object.row.attributed_to.as_deref()).await?;
    if let Some(author) = object.row.attributed_to.as_deref().and_then(|a| Url::parse(a).ok()) {
        // Failing to fetch the author does not lose the object.
        if let Err(error) = ObjectId::<RemoteActorObject>::from(author).dereference(&data).await {
            tracing::info!(%error, object = %object.row.ap_id, "cannot fetch the author of an object");
        }
    }
    Ok(object.row)
}

/// Reads a remote actor again from its origin (a relayed profile change),
/// whatever the age of our copy.
pub async fn refetch_actor(
    federation: &crate::context::Federation,
    url: &str,
) -> Result<maillage_db::RemoteActor, FederationError> {
    use activitypub_federation::fetch::object_id::ObjectId;
    let url = Url::parse(url).map_err(|_| FederationError::invalid(format!("not a URL: {url}")))?;
    Ok(ObjectId::<RemoteActorObject>::from(url).dereference_forced(&federation.data()).await?.row)
}

#[async_trait]
impl Object for RemoteActorObject {
    type DataType = Context;
    type Kind = Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.fetched_at.as_datetime())
    }

    async fn read_from_id(id: Url, data: &Data<Context>) -> Result<Option<Self>, FederationError> {
        if let Some(actor) = data.remote_actors.get(id.as_str()) {
            return Ok(Some(actor));
        }
        let actor = data.db.remote_actor_by_ap_id(id.as_str()).await?.map(Self::try_from).transpose()?;
        if let Some(actor) = &actor {
            data.remote_actors.insert(actor.row.ap_id.clone(), actor.clone());
        }
        Ok(actor)
    }

    async fn into_json(self, _data: &Data<Context>) -> Result<Value, FederationError> {
        serde_json::from_str(&self.row.raw_json).map_err(|e| FederationError::invalid(e.to_string()))
    }

    async fn verify(json: &Value, expected_domain: &Url, _data: &Data<Context>) -> Result<(), FederationError> {
        let actor = parse_actor_document(json)?;
        if actor.domain != authority(expected_domain) {
            return Err(FederationError::invalid(format!("the actor {} was served by another server", actor.ap_id)));
        }
        Ok(())
    }

    async fn from_json(json: Value, data: &Data<Context>) -> Result<Self, FederationError> {
        let actor = parse_actor_document(&json)?;
        let actor = Self::try_from(data.db.upsert_remote_actor(&actor).await?)?;
        data.db.set_remote_actor_images(actor.row.id, &crate::remote_media::actor_images_of(&json)).await?;
        data.remote_actors.insert(actor.row.ap_id.clone(), actor.clone());
        // The sizes of its collections, read apart: whoever waits for the
        // actor (an inbox checking a signature) does not wait for them.
        let data = data.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::collections::read_actor_counts(&data, &json).await {
                tracing::debug!(%error, "cannot read the sizes of an actor's collections");
            }
        });
        Ok(actor)
    }
}

impl Actor for RemoteActorObject {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.row.inbox_url).unwrap_or_else(|_| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row.shared_inbox_url.as_deref().and_then(|u| Url::parse(u).ok())
    }
}

#[async_trait]
impl Object for LocalActorObject {
    type DataType = Context;
    type Kind = Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<Context>) -> Result<Option<Self>, FederationError> {
        let Some(name) = data.urls.local_username(&id) else { return Ok(None) };
        let actor = match name {
            None => data.db.local_actor_of_kind(maillage_domain::ActorKind::Instance).await?,
            Some(name) => data.db.local_actor_by_username(&name).await?,
        };
        actor.filter(|a| a.ap_id == id.as_str()).map(Self::try_from).transpose()
    }

    async fn into_json(self, data: &Data<Context>) -> Result<Value, FederationError> {
        let row = crate::actors::ensure_keys(&data.db, self.row).await?;
        Ok(crate::documents::actor_document(&row, &data.urls))
    }

    async fn verify(_json: &Value, _expected: &Url, _data: &Data<Context>) -> Result<(), FederationError> {
        Err(FederationError::invalid("local actors are never received from elsewhere"))
    }

    async fn from_json(_json: Value, _data: &Data<Context>) -> Result<Self, FederationError> {
        Err(FederationError::invalid("local actors are never received from elsewhere"))
    }
}

impl Actor for LocalActorObject {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.row.private_key_pem.clone())
    }

    fn inbox(&self) -> Url {
        Url::parse(&format!("{}/inbox", self.row.ap_id)).unwrap_or_else(|_| self.id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/actors");
    const GOTOSOCIAL: &str = "fixtures/gotosocial/actor-person.json";

    fn load(path: &str) -> Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    /// The key parses: a verification fails on the signature, not on the key.
    fn key_parses(pem: &str) -> bool {
        let headers = http::HeaderMap::new();
        let parts = crate::signature::RequestParts {
            method: &http::Method::GET,
            path_and_query: "/",
            headers: &headers,
            body: None,
        };
        let params = crate::signature::SignatureParams {
            key_id: "k".into(),
            algorithm: None,
            headers: vec!["(request-target)".into()],
            signature: vec![0; 256],
            created: None,
            expires: None,
        };
        crate::signature::verify(&params, &parts, pem) == Err(crate::signature::SignatureError::BadSignature)
    }

    #[test]
    fn recorded_actor_documents_parse() {
        // (file, type, id, shared inbox, key id, username)
        let cases = [
            (
                "mastodon-person.json",
                "Person",
                "https://mastodon.example/users/alice",
                Some("https://mastodon.example/inbox"),
                "https://mastodon.example/users/alice#main-key",
                "alice",
            ),
            (
                "mastodon-service.json",
                "Service",
                "https://mastodon.example/users/weatherbot",
                Some("https://mastodon.example/inbox"),
                "https://mastodon.example/users/weatherbot#main-key",
                "weatherbot",
            ),
            (
                "mastodon-application.json",
                "Application",
                "https://mastodon.example/actor",
                Some("https://mastodon.example/inbox"),
                "https://mastodon.example/actor#main-key",
                "mastodon.example",
            ),
            (
                "lemmy-group.json",
                "Group",
                "https://lemmy.example/c/rustaceans",
                Some("https://lemmy.example/inbox"),
                "https://lemmy.example/c/rustaceans#main-key",
                "rustaceans",
            ),
            (
                "lemmy-group-legacy.json",
                "Group",
                "https://lemmy.example/c/cyclisme",
                Some("https://lemmy.example/inbox"),
                "https://lemmy.example/c/cyclisme#main-key",
                "cyclisme",
            ),
            (
                "mobilizon-group.json",
                "Group",
                "https://mobilizon.example/@jardin_partage",
                Some("https://mobilizon.example/inbox"),
                "https://mobilizon.example/@jardin_partage#main-key",
                "jardin_partage",
            ),
            (
                "mobilizon-group-pkcs1.json",
                "Group",
                "https://mobilizon.example/@jardin_partage",
                Some("https://mobilizon.example/inbox"),
                "https://mobilizon.example/@jardin_partage#main-key",
                "jardin_partage",
            ),
            (
                "pleroma-person.json",
                "Person",
                "https://pleroma.example/users/bob",
                Some("https://pleroma.example/inbox"),
                "https://pleroma.example/users/bob#main-key",
                "bob",
            ),
            (
                "akkoma-person.json",
                "Person",
                "https://akkoma.example/users/carol",
                Some("https://akkoma.example/inbox"),
                "https://akkoma.example/users/carol#main-key",
                "carol",
            ),
        ];
        for (file, kind, id, shared, key_id, username) in cases {
            let json = load(&format!("{FIXTURES}/{file}"));
            let actor = parse_actor_document(&json).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(actor.actor_type, kind, "{file}");
            assert_eq!(actor.ap_id, id, "{file}");
            assert_eq!(actor.shared_inbox_url.as_deref(), shared, "{file}");
            assert_eq!(actor.inbox_url, format!("{id}/inbox"), "{file}");
            assert_eq!(actor.public_key_id, key_id, "{file}");
            assert_eq!(actor.username, username, "{file}");
            assert_eq!(actor.domain, Url::parse(id).unwrap().host_str().unwrap(), "{file}");
            assert!(key_parses(&actor.public_key_pem), "{file}: the public key does not parse");
        }
    }

    #[test]
    fn a_captured_gotosocial_actor_parses() {
        // The capture wraps the document with how it was served.
        let Some(path) = crate::shared_material(GOTOSOCIAL) else { return };
        let json = load(&path.to_string_lossy())["body"].clone();
        let actor = parse_actor_document(&json).unwrap();
        assert_eq!(actor.actor_type, "Person");
        assert_eq!(actor.shared_inbox_url, None, "GoToSocial has no shared inbox");
        assert!(actor.public_key_id.ends_with("/main-key"), "GoToSocial's key id is a path: {}", actor.public_key_id);
        assert!(key_parses(&actor.public_key_pem));
    }

    const OBJECTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/objects");

    #[test]
    fn recorded_objects_parse_and_their_html_is_sanitised() {
        // (file, where the object is, type, id, language)
        let cases = [
            (
                "mastodon-create-note.json",
                "/object",
                "Note",
                "https://mastodon.example/users/alice/statuses/113834528379842108",
                Some("fr"),
            ),
            (
                "gotosocial-create-note.json",
                "/object",
                "Note",
                "https://gotosocial.example/users/carol/statuses/01JHQ3V6Z8K4M2N7P9R5T0W1XY",
                Some("en"),
            ),
            (
                "lemmy-announce-create-page.json",
                "/object/object",
                "Page",
                "https://lemmy.example/post/4242",
                Some("en"),
            ),
            ("lemmy-page.json", "", "Page", "https://lemmy.example/post/5120", Some("fr")),
            (
                "mobilizon-create-event.json",
                "/object",
                "Event",
                "https://mobilizon.example/events/2b8f4c1e-7d3a-4e9b-8c6f-1a2b3c4d5e6f",
                Some("fr"),
            ),
            (
                "pleroma-create-note.json",
                "/object",
                "Note",
                "https://pleroma.example/objects/e4a1b2c3-d5f6-4789-a0b1-c2d3e4f5a6b7",
                Some("fr"),
            ),
            (
                "peertube-or-writefreely-article.json",
                "/object",
                "Article",
                "https://writefreely.example/api/posts/k3j9x2m7q1",
                Some("en"),
            ),
            ("hostile-note.json", "/object", "Note", "https://evil.example/users/mallory/statuses/1", Some("en")),
        ];
        for (file, pointer, kind, id, language) in cases {
            let json = load(&format!("{OBJECTS}/{file}"));
            let object = json.pointer(pointer).unwrap_or_else(|| panic!("{file}: nothing at {pointer}"));
            let parsed = parse_remote_object(object).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(parsed.kind, kind, "{file}");
            assert_eq!(parsed.ap_id, id, "{file}");
            assert_eq!(parsed.language.as_deref(), language, "{file}");
            let html = format!("{}{}", parsed.content_html.unwrap_or_default(), parsed.summary.unwrap_or_default());
            assert!(!html.is_empty() || kind == "Event", "{file}: no content");
            for bad in ["<script", "javascript:", "onerror", "onclick", "style=", "<iframe", "<img", "data:", "<svg"] {
                assert!(!html.to_ascii_lowercase().contains(bad), "{file}: {bad} survived in {html}");
            }
        }
    }

    #[tokio::test]
    async fn recorded_objects_are_stored() {
        let test_db = maillage_db::testing::TestDatabase::create().await.unwrap();
        let config = maillage_config::DatabaseConfig {
            url: test_db.url().into(),
            max_connections: 2,
            connect_timeout_seconds: 5,
        };
        let db = maillage_db::Database::connect(&config).await.unwrap();
        db.migrate().await.unwrap();
        for (file, pointer) in [
            ("mastodon-create-note.json", "/object"),
            ("gotosocial-create-note.json", "/object"),
            ("lemmy-announce-create-page.json", "/object/object"),
            ("mobilizon-create-event.json", "/object"),
            ("pleroma-create-note.json", "/object"),
            ("hostile-note.json", "/object"),
        ] {
            let json = load(&format!("{OBJECTS}/{file}"));
            let parsed = parse_remote_object(json.pointer(pointer).unwrap()).unwrap();
            assert_eq!(db.store_remote_object(&parsed).await.unwrap(), maillage_db::StoreOutcome::Stored, "{file}");
            let stored = db.remote_object(&parsed.ap_id).await.unwrap().unwrap();
            assert_eq!(stored.kind, parsed.kind, "{file}");
            assert_eq!(stored.content_html, parsed.content_html, "{file}");
            let raw: Value = serde_json::from_str(&stored.raw_json).unwrap();
            assert_eq!(raw["id"], parsed.ap_id.as_str(), "{file}: the raw document is kept");
        }
    }

    #[test]
    fn recorded_activities_name_their_objects() {
        use crate::inbound::activity::id_of;
        let announce = load(&format!("{OBJECTS}/mastodon-announce.json"));
        assert_eq!(id_of(announce.get("object")), Some("https://other.example/users/bob/statuses/113834590011223344"));
        let delete = load(&format!("{OBJECTS}/mastodon-delete-note.json"));
        assert_eq!(
            id_of(delete.get("object")),
            Some("https://mastodon.example/users/alice/statuses/113834528379842108")
        );
        let undo = load(&format!("{OBJECTS}/mastodon-undo-like.json"));
        assert_eq!(undo["object"]["type"], "Like");
        assert_eq!(
            id_of(undo["object"].get("object")),
            Some("https://mastodon.example/users/carol/statuses/113830004455667788")
        );
        let lemmy = load(&format!("{OBJECTS}/lemmy-announce-create-page.json"));
        assert_eq!(lemmy["object"]["type"], "Create");
        assert_eq!(id_of(lemmy["object"].get("actor")), Some("https://lemmy.example/u/ferris"));
    }

    #[test]
    fn broken_actor_documents_are_refused_with_a_reason() {
        let base = load(&format!("{FIXTURES}/mastodon-person.json"));
        let broken = |change: &dyn Fn(&mut Value)| {
            let mut json = base.clone();
            change(&mut json);
            parse_actor_document(&json).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(broken(&|j| j["type"] = "Note".into()).contains("not an actor"));
        assert!(
            broken(&|j| {
                j.as_object_mut().unwrap().remove("preferredUsername");
            })
            .contains("preferredUsername")
        );
        assert!(
            broken(&|j| {
                j.as_object_mut().unwrap().remove("inbox");
            })
            .contains("inbox")
        );
        assert!(
            broken(&|j| {
                j.as_object_mut().unwrap().remove("publicKey");
            })
            .contains("publicKey")
        );
        assert!(broken(&|j| j["publicKey"]["owner"] = "https://evil.example/users/x".into()).contains("owned by"));
        assert!(
            broken(&|j| j["publicKey"]["id"] = "https://evil.example/key".into()).contains("not on the actor's server")
        );
        assert!(broken(&|j| j["id"] = "not a url".into()).contains("not a URL"));
    }

    #[test]
    fn an_actor_whose_inboxes_are_elsewhere_is_refused() {
        let base = load(&format!("{FIXTURES}/mastodon-person.json"));
        let with = |key: &str, url: &str| {
            let mut json = base.clone();
            match key {
                "inbox" => json["inbox"] = url.into(),
                _ => json["endpoints"]["sharedInbox"] = url.into(),
            }
            parse_actor_document(&json)
        };
        for key in ["inbox", "sharedInbox"] {
            for elsewhere in [
                "http://127.0.0.1:2375/containers/create",
                "https://mastodon.example.evil.example/inbox",
                "https://mastodon.example:8443/inbox",
                "https://other.example/inbox",
                "https://[::1]/inbox",
            ] {
                let error = with(key, elsewhere).expect_err(elsewhere).to_string();
                assert!(error.contains("is not on the actor's server"), "{key} {elsewhere}: {error}");
                assert!(error.contains(elsewhere), "the reason names the inbox: {error}");
            }
            // The actor's own server, at any path, is fine.
            let actor = with(key, "https://mastodon.example/some/inbox").unwrap_or_else(|e| panic!("{key}: {e}"));
            assert!(
                [actor.inbox_url, actor.shared_inbox_url.unwrap_or_default()]
                    .contains(&"https://mastodon.example/some/inbox".to_string())
            );
        }
    }

    #[test]
    fn refusals_quote_remote_text_shortened_and_escaped() {
        let base = load(&format!("{FIXTURES}/mastodon-person.json"));
        let mut json = base.clone();
        json["type"] = format!("\u{1b}[2J{}", "x".repeat(100_000)).into();
        let error = parse_actor_document(&json).unwrap_err().to_string();
        assert!(error.len() < 600 && !error.contains('\u{1b}'), "{error}");
        let mut json = base;
        json["inbox"] = format!("not a URL\n{}", "y".repeat(100_000)).into();
        let error = parse_actor_document(&json).unwrap_err().to_string();
        assert!(error.len() < 600 && !error.contains('\n'), "{error}");
    }
}
