//! Reads the audience of what was stored before audiences were kept: the
//! visibility and local addressees of remote objects, from their stored
//! JSON, and the addressees of our posts, from their mentions. The
//! migration that added them cannot (it would parse JSON in SQL, unalike on
//! both backends). It runs at start-up, before serving, and only touches
//! rows whose audience was never read, so an interrupted start resumes it;
//! until then such an object is shown to nobody.

use maillage_db::{Database, DbError, InstanceSetting};
use serde_json::Value;

use crate::content::protocol::Mention;
use crate::inbound::activity::id_of;
use crate::objects::addressing_of;

const BATCH: i64 = 500;

/// Fills what is missing; returns how many remote objects were read.
pub async fn fill_if_needed(db: &Database) -> Result<usize, DbError> {
    let mut read = 0;
    let mut after = 0;
    loop {
        let page = db.remote_objects_without_audience(after, BATCH).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        let audiences: Vec<_> = page
            .iter()
            .map(|(id, raw)| {
                let json: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
                let author = match json.get("attributedTo") {
                    Some(Value::Array(items)) => items.iter().find_map(|i| id_of(Some(i))),
                    other => id_of(other),
                };
                (*id, author.map(str::to_string), addressing_of(&json))
            })
            .collect();
        read += audiences.len();
        db.set_remote_audiences(&audiences).await?;
    }
    if db.setting(InstanceSetting::PostAddressees).await?.is_none() {
        let mut after = 0;
        loop {
            let page = db.post_mentions_after(after, BATCH).await?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            let addressees: Vec<(i64, Vec<String>)> = page
                .into_iter()
                .map(|(id, mentions)| {
                    let mentions: Vec<Mention> = serde_json::from_str(&mentions).unwrap_or_default();
                    (id, mentions.into_iter().map(|m| m.href).collect())
                })
                .collect();
            db.set_post_addressees(&addressees).await?;
        }
        db.set_setting(InstanceSetting::PostAddressees, "1").await?;
    }
    Ok(read)
}
