//! The replies shown under a post: from every server, in thread order,
//! each one the reader may see (the storage's audience check).

use maillage_db::{Reader, ThreadReply};

use crate::WebState;
use crate::attachments::{ImageView, remote_images};
use crate::views::{Ctx, date, safe_href};

/// How many replies a post's page shows.
const SHOWN: usize = 100;

/// One reply as the page shows it.
pub struct ReplyView {
    pub author: String,
    /// The author's page, when it is a web address.
    pub author_url: Option<String>,
    pub published: String,
    /// Sanitised when stored (remote) or made by us (local).
    pub content_html: String,
    pub url: Option<String>,
    /// 0 for a direct reply, more for replies to replies.
    pub depth: usize,
    /// Its pictures, from our own `/media/` (the remote cache for another server's).
    pub images: Vec<ImageView>,
}

/// The replies below the post `ap_id` that `reader` may see.
pub async fn replies_of(
    state: &WebState,
    ctx: &Ctx,
    reader: &Reader,
    ap_id: &str,
) -> Result<Vec<ReplyView>, maillage_db::DbError> {
    let db = state.shared.db();
    let replies = db.thread_replies(reader, ap_id, SHOWN).await?;
    let mut depths: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut views = Vec::with_capacity(replies.len());
    for reply in &replies {
        let depth = reply.in_reply_to().and_then(|parent| depths.get(parent)).map_or(0, |d| d + 1);
        depths.insert(reply.ap_id().to_string(), depth);
        let published = date(ctx.lang, &reply.published());
        views.push(match reply {
            ThreadReply::Local(post) => {
                let author = db.local_actor_by_id(post.author_id.unwrap_or(post.actor_id)).await?;
                ReplyView {
                    author: author.as_ref().map(|a| a.display_name.clone()).unwrap_or_default(),
                    author_url: author.map(|a| a.ap_id),
                    published,
                    content_html: post.content_html.clone(),
                    url: Some(post.ap_id.clone()),
                    depth,
                    images: crate::attachments::views(ctx, &db.media_of_posts(&[post.id]).await?).0,
                }
            }
            ThreadReply::Remote(object) => {
                let author = match &object.attributed_to {
                    Some(id) => db.remote_actor_by_ap_id(id).await?,
                    None => None,
                };
                let name = author.as_ref().map(|a| {
                    let handle = format!("@{}@{}", a.username, a.domain);
                    match a.display_name.as_deref().filter(|n| !n.is_empty()) {
                        Some(name) => format!("{name} ({handle})"),
                        None => handle,
                    }
                });
                ReplyView {
                    author: name.or_else(|| object.attributed_to.clone()).unwrap_or_default(),
                    author_url: author.and_then(|a| a.url.as_deref().or(Some(&a.ap_id)).and_then(safe_href)),
                    published,
                    content_html: object.content_html.clone().unwrap_or_default(),
                    url: object.url.as_deref().or(Some(&object.ap_id)).and_then(safe_href),
                    depth,
                    images: remote_images(ctx, &db.attachments_of_remote_objects(&[object.id]).await?),
                }
            }
        });
    }
    Ok(views)
}
