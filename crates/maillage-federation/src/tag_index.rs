//! Fills the tag index with what was stored before it existed. The
//! migration that created it cannot: keys fold Unicode, and remote tags are
//! read from the stored JSON, neither of which SQL does alike on both
//! backends. It runs once per database, at start-up, and is idempotent, so
//! a start interrupted midway does it again.

use maillage_db::{Database, DbError, InstanceSetting};
use serde_json::Value;

use crate::objects::{hashtags_of, is_public};

/// Bumped when what the index holds changes, to rebuild it.
const VERSION: &str = "1";
const BATCH: i64 = 500;

/// Builds the index unless this database already has it; true when it did.
pub async fn build_if_needed(db: &Database) -> Result<bool, DbError> {
    if db.setting(InstanceSetting::TagIndex).await?.as_deref() == Some(VERSION) {
        return Ok(false);
    }
    let mut after = 0;
    while let Some(last) = db.reindex_posts(after, BATCH).await? {
        after = last;
    }
    let mut after = 0;
    loop {
        let page = db.remote_objects_after(after, BATCH).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let read: Vec<(i64, bool, Vec<String>)> = page
            .iter()
            .map(|object| {
                let json: Value = serde_json::from_str(&object.raw_json).unwrap_or(Value::Null);
                // The stored audience when read already; rows older than it are read here.
                let listed =
                    if object.visibility.is_some() { object.visibility().is_listed() } else { is_public(&json) };
                (object.id, listed, hashtags_of(&json))
            })
            .collect();
        db.reindex_remote_objects(&read).await?;
    }
    db.set_setting(InstanceSetting::TagIndex, VERSION).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use maillage_db::PageBounds;
    use serde_json::json;

    use super::*;
    use crate::objects::parse_remote_object;

    fn fixture(file: &str) -> Value {
        let path = format!("{}/../../tests/fixtures/objects/{file}", env!("CARGO_MANIFEST_DIR"));
        let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        json["object"].clone()
    }

    #[test]
    fn hashtags_and_audience_are_read_as_other_servers_send_them() {
        let mastodon = fixture("mastodon-create-note.json");
        assert_eq!(hashtags_of(&mastodon), vec!["jardinage"]);
        assert!(is_public(&mastodon) && crate::objects::is_sensitive(&mastodon));
        // GoToSocial sends `to` as one string.
        let gotosocial = fixture("gotosocial-create-note.json");
        assert_eq!(hashtags_of(&gotosocial), vec!["seedswap"]);
        assert!(is_public(&gotosocial));
        let unlisted = json!({ "to": ["https://peer.example/followers"], "cc": [crate::content::protocol::PUBLIC],
            "tag": { "type": "Hashtag", "name": "#Vélo" } });
        assert!(!is_public(&unlisted));
        assert_eq!(hashtags_of(&unlisted), vec!["vélo"]);
        let odd = json!({ "to": "as:Public", "tag": [{ "type": "Hashtag", "name": "not a tag" }, { "type": "Hashtag" },
            { "type": "Mention", "name": "#no" }, { "type": "Hashtag", "name": "Velo" }, "#loose"] });
        assert!(is_public(&odd));
        assert_eq!(hashtags_of(&odd), vec!["velo"]);
    }

    #[tokio::test]
    async fn the_index_is_built_once_from_stored_objects() {
        let test_db = maillage_db::testing::TestDatabase::create().await.unwrap();
        let config = maillage_config::DatabaseConfig {
            url: test_db.url().into(),
            max_connections: 2,
            connect_timeout_seconds: 5,
        };
        let db = Database::connect(&config).await.unwrap();
        db.migrate().await.unwrap();
        for file in ["mastodon-create-note.json", "pleroma-create-note.json"] {
            db.store_remote_object(&parse_remote_object(&fixture(file)).unwrap()).await.unwrap();
        }
        let unlisted = json!({ "id": "https://pleroma.example/objects/2", "type": "Note", "content": "x",
            "cc": [crate::content::protocol::PUBLIC], "tag": [{ "type": "Hashtag", "name": "#potager" }] });
        db.store_remote_object(&parse_remote_object(&unlisted).unwrap()).await.unwrap();
        let tagged = |tag: &'static str| {
            let db = db.clone();
            async move { db.tagged_remote_objects_page(tag, &PageBounds::newest(10)).await.unwrap().len() }
        };
        assert_eq!((tagged("jardinage").await, tagged("potager").await), (1, 1), "public ones only");
        assert!(build_if_needed(&db).await.unwrap());
        assert_eq!((tagged("jardinage").await, tagged("potager").await), (1, 1), "the same rows once rebuilt");
        assert!(!build_if_needed(&db).await.unwrap(), "once per database");
    }
}
