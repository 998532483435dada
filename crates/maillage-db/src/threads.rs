//! The replies below a post, from every server, in thread order, each
//! through the audience check ([`crate::audience`]) for the reader.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audience::{visible_posts, visible_remote_objects};
use crate::schema::{posts, remote_objects};
use crate::{Database, DbError, Post, Reader, RemoteObject, UtcTime};

/// How deep a thread is read below the post asked for.
const MAX_DEPTH: usize = 64;

/// A reply: one of our posts or a post stored from another server.
#[derive(Debug, Clone)]
pub enum ThreadReply {
    Local(Post),
    Remote(RemoteObject),
}

impl ThreadReply {
    pub fn ap_id(&self) -> &str {
        match self {
            ThreadReply::Local(post) => &post.ap_id,
            ThreadReply::Remote(object) => &object.ap_id,
        }
    }

    pub fn in_reply_to(&self) -> Option<&str> {
        match self {
            ThreadReply::Local(post) => post.in_reply_to.as_deref(),
            ThreadReply::Remote(object) => object.in_reply_to.as_deref(),
        }
    }

    pub fn published(&self) -> UtcTime {
        match self {
            ThreadReply::Local(post) => post.published,
            ThreadReply::Remote(object) => object.published.unwrap_or(object.created_at),
        }
    }
}

/// Puts replies in thread order below `root`: depth first, each reply
/// right after its parent, siblings oldest first (as Mastodon's context).
pub fn thread_order(root: &str, replies: Vec<ThreadReply>) -> Vec<ThreadReply> {
    let mut children: HashMap<String, Vec<ThreadReply>> = HashMap::new();
    for reply in replies {
        let parent = reply.in_reply_to().unwrap_or_default().to_string();
        children.entry(parent).or_default().push(reply);
    }
    for siblings in children.values_mut() {
        // Reversed: the stack below pops the oldest first.
        siblings.sort_by(|a, b| (b.published(), b.ap_id()).cmp(&(a.published(), a.ap_id())));
    }
    let mut ordered = Vec::new();
    let mut stack = children.remove(root).unwrap_or_default();
    while let Some(reply) = stack.pop() {
        if let Some(mut below) = children.remove(reply.ap_id()) {
            stack.append(&mut below);
        }
        ordered.push(reply);
    }
    ordered
}

impl Database {
    /// The replies below `root` (an ActivityPub id) that `reader` may see,
    /// at most `limit`, in [`thread_order`]. A reply hidden from the reader
    /// hides what answers it too.
    pub async fn thread_replies(&self, reader: &Reader, root: &str, limit: usize) -> Result<Vec<ThreadReply>, DbError> {
        let mut found: Vec<ThreadReply> = Vec::new();
        let mut seen: HashSet<String> = HashSet::from([root.to_string()]);
        let mut parents = vec![root.to_string()];
        let mut conn = self.conn().await?;
        for _ in 0..MAX_DEPTH {
            if parents.is_empty() || found.len() >= limit {
                break;
            }
            let room = i64::try_from(limit - found.len()).unwrap_or(i64::MAX);
            let (local, remote) = with_conn!(&mut conn, |c| {
                let local: Vec<Post> = visible_posts!(
                    posts::table.filter(posts::in_reply_to.eq_any(parents.clone())).into_boxed(),
                    reader
                )
                .order((posts::published, posts::id))
                .limit(room)
                .select(Post::as_select())
                .load(c)
                .await?;
                let remote: Vec<RemoteObject> = visible_remote_objects!(
                    remote_objects::table.filter(remote_objects::in_reply_to.eq_any(parents.clone())).into_boxed(),
                    reader
                )
                .order((remote_objects::created_at, remote_objects::id))
                .limit(room)
                .select(RemoteObject::as_select())
                .load(c)
                .await?;
                Ok::<_, diesel::result::Error>((local, remote))
            })?;
            parents.clear();
            let level = local.into_iter().map(ThreadReply::Local).chain(remote.into_iter().map(ThreadReply::Remote));
            for reply in level {
                if found.len() < limit && seen.insert(reply.ap_id().to_string()) {
                    parents.push(reply.ap_id().to_string());
                    found.push(reply);
                }
            }
        }
        Ok(thread_order(root, found))
    }
}
