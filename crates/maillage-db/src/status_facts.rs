//! What a page of statuses shows besides its own rows (authors, their
//! counts, reactions, the posts replied to), read with one query per kind
//! for the whole page rather than a few per status. `replies` counts the
//! direct replies anyone may read (public or unlisted), as `replies_count`.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audience::OPEN;
use crate::schema::{
    bookmarks, follows, local_actors, local_follows, oauth_apps, post_applications, posts, reactions, remote_actors,
    remote_objects,
};
use crate::{Database, DbError, Direction, FollowState, LocalActor, RemoteActor};

/// What to read for a page.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusFactsWanted<'a> {
    /// Local authors (with their follower, following and post counts).
    pub local_actors: &'a [i64],
    /// Remote authors, by ActivityPub id.
    pub remote_actors: &'a [String],
    /// The statuses themselves, by ActivityPub id (for their reactions).
    pub objects: &'a [String],
    /// The ActivityPub ids the statuses reply to.
    pub parents: &'a [String],
    /// The member who reads the page, for what they did to its statuses.
    pub viewer: Option<&'a LocalActor>,
    /// Every status of the page, by ActivityPub id (for the viewer's facts).
    pub shown: &'a [String],
    /// Local actors the statuses mention, by ActivityPub id (remote ones
    /// are read with `remote_actors`).
    pub mentioned: &'a [String],
    /// Our posts among the statuses, by row id (for their application).
    pub posts: &'a [i64],
}

/// What [`Database::status_facts`] found; anything absent is unknown here.
#[derive(Debug, Clone, Default)]
pub struct StatusFacts {
    pub local_actors: HashMap<i64, LocalActor>,
    /// Accepted followers of local actors.
    pub followers: HashMap<i64, i64>,
    /// Accepted follows made by local actors.
    pub following: HashMap<i64, i64>,
    /// Live posts of local actors.
    pub post_counts: HashMap<i64, i64>,
    pub remote_actors: HashMap<String, RemoteActor>,
    /// Likes of an object.
    pub likes: HashMap<String, i64>,
    /// Reshares of an object.
    pub reshares: HashMap<String, i64>,
    /// Our posts among the parents: ActivityPub id → row id.
    pub parent_posts: HashMap<String, i64>,
    /// Remote objects among the parents: ActivityPub id → row id.
    pub parent_remote_objects: HashMap<String, i64>,
    /// The statuses the viewer liked, by ActivityPub id.
    pub favourited: HashSet<String>,
    /// The statuses the viewer reshared.
    pub reblogged: HashSet<String>,
    /// The statuses the viewer bookmarked.
    pub bookmarked: HashSet<String>,
    /// The authors of parents that are our posts: ActivityPub id → local actor id.
    pub parent_post_authors: HashMap<String, i64>,
    /// The authors of parents from other servers that we hold: ActivityPub id → remote actor id.
    pub parent_remote_authors: HashMap<String, i64>,
    /// Direct replies anyone may read (public or unlisted, live), from any server.
    pub replies: HashMap<String, i64>,
    /// Mentioned local actors, by ActivityPub id.
    pub mentioned_local: HashMap<String, LocalActor>,
    /// The OAuth application each post was published with: post id → (name, website).
    pub applications: HashMap<i64, (String, Option<String>)>,
}

impl Database {
    pub async fn status_facts(&self, wanted: StatusFactsWanted<'_>) -> Result<StatusFacts, DbError> {
        let mut facts = StatusFacts::default();
        let mut conn = self.conn().await?;
        with_conn!(&mut conn, |c| {
            if !wanted.local_actors.is_empty() {
                let ids = wanted.local_actors.to_vec();
                let actors: Vec<LocalActor> = local_actors::table
                    .filter(local_actors::id.eq_any(&ids))
                    .select(LocalActor::as_select())
                    .load(c)
                    .await?;
                facts.local_actors = actors.into_iter().map(|a| (a.id, a)).collect();
                let counts: Vec<(i64, String, i64)> = follows::table
                    .filter(follows::local_actor_id.eq_any(&ids))
                    .filter(follows::state.eq(FollowState::Accepted.as_str()))
                    .group_by((follows::local_actor_id, follows::direction))
                    .select((follows::local_actor_id, follows::direction, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                for (actor, direction, n) in counts {
                    let map = if direction == Direction::Incoming.as_str() {
                        &mut facts.followers
                    } else {
                        &mut facts.following
                    };
                    map.insert(actor, n);
                }
                // Follows between two accounts of this instance count too.
                let here: Vec<(i64, i64)> = local_follows::table
                    .filter(local_follows::followed_id.eq_any(&ids))
                    .filter(local_follows::state.eq(FollowState::Accepted.as_str()))
                    .group_by(local_follows::followed_id)
                    .select((local_follows::followed_id, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                for (actor, n) in here {
                    *facts.followers.entry(actor).or_default() += n;
                }
                let here: Vec<(i64, i64)> = local_follows::table
                    .filter(local_follows::follower_id.eq_any(&ids))
                    .filter(local_follows::state.eq(FollowState::Accepted.as_str()))
                    .group_by(local_follows::follower_id)
                    .select((local_follows::follower_id, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                for (actor, n) in here {
                    *facts.following.entry(actor).or_default() += n;
                }
                let counts: Vec<(i64, i64)> = posts::table
                    .filter(posts::actor_id.eq_any(&ids))
                    .filter(posts::deleted_at.is_null())
                    .group_by(posts::actor_id)
                    .select((posts::actor_id, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                facts.post_counts = counts.into_iter().collect();
            }
            if !wanted.remote_actors.is_empty() {
                let actors: Vec<RemoteActor> = remote_actors::table
                    .filter(remote_actors::ap_id.eq_any(wanted.remote_actors))
                    .select(RemoteActor::as_select())
                    .load(c)
                    .await?;
                facts.remote_actors = actors.into_iter().map(|a| (a.ap_id.clone(), a)).collect();
            }
            if !wanted.objects.is_empty() {
                let counts: Vec<(String, String, i64)> = reactions::table
                    .filter(reactions::object_ap_id.eq_any(wanted.objects))
                    .group_by((reactions::object_ap_id, reactions::kind))
                    .select((reactions::object_ap_id, reactions::kind, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                for (object, kind, n) in counts {
                    let map = if kind == "like" { &mut facts.likes } else { &mut facts.reshares };
                    map.insert(object, n);
                }
                let ours: Vec<(Option<String>, i64)> = posts::table
                    .filter(posts::in_reply_to.eq_any(wanted.objects))
                    .filter(posts::deleted_at.is_null())
                    .filter(posts::visibility.eq_any(OPEN))
                    .group_by(posts::in_reply_to)
                    .select((posts::in_reply_to, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                let theirs: Vec<(Option<String>, i64)> = remote_objects::table
                    .filter(remote_objects::in_reply_to.eq_any(wanted.objects))
                    .filter(remote_objects::deleted.eq(false))
                    .filter(remote_objects::visibility.eq_any(OPEN))
                    .group_by(remote_objects::in_reply_to)
                    .select((remote_objects::in_reply_to, diesel::dsl::count_star()))
                    .load(c)
                    .await?;
                for (parent, n) in ours.into_iter().chain(theirs) {
                    *facts.replies.entry(parent.unwrap_or_default()).or_default() += n;
                }
            }
            if !wanted.posts.is_empty() {
                let rows: Vec<(i64, String, Option<String>)> = post_applications::table
                    .inner_join(oauth_apps::table)
                    .filter(post_applications::post_id.eq_any(wanted.posts))
                    .select((post_applications::post_id, oauth_apps::name, oauth_apps::website))
                    .load(c)
                    .await?;
                facts.applications = rows.into_iter().map(|(post, name, website)| (post, (name, website))).collect();
            }
            if !wanted.mentioned.is_empty() {
                let actors: Vec<LocalActor> = local_actors::table
                    .filter(local_actors::ap_id.eq_any(wanted.mentioned))
                    .select(LocalActor::as_select())
                    .load(c)
                    .await?;
                facts.mentioned_local = actors.into_iter().map(|a| (a.ap_id.clone(), a)).collect();
            }
            if !wanted.parents.is_empty() {
                let ours: Vec<(String, i64, i64)> = posts::table
                    .filter(posts::ap_id.eq_any(wanted.parents))
                    .select((posts::ap_id, posts::id, posts::actor_id))
                    .load(c)
                    .await?;
                for (ap_id, id, author) in ours {
                    facts.parent_post_authors.insert(ap_id.clone(), author);
                    facts.parent_posts.insert(ap_id, id);
                }
                let theirs: Vec<(String, i64, Option<i64>)> = remote_objects::table
                    .left_join(
                        remote_actors::table.on(remote_actors::ap_id.nullable().eq(remote_objects::attributed_to)),
                    )
                    .filter(remote_objects::ap_id.eq_any(wanted.parents))
                    .select((remote_objects::ap_id, remote_objects::id, remote_actors::id.nullable()))
                    .load(c)
                    .await?;
                for (ap_id, id, author) in theirs {
                    if let Some(author) = author {
                        facts.parent_remote_authors.insert(ap_id.clone(), author);
                    }
                    facts.parent_remote_objects.insert(ap_id, id);
                }
            }
            if let Some(viewer) = wanted.viewer.filter(|_| !wanted.shown.is_empty()) {
                let reacted: Vec<(String, String)> = reactions::table
                    .filter(reactions::actor_ap_id.eq(&viewer.ap_id))
                    .filter(reactions::object_ap_id.eq_any(wanted.shown))
                    .select((reactions::object_ap_id, reactions::kind))
                    .load(c)
                    .await?;
                for (object, kind) in reacted {
                    let set = if kind == "like" { &mut facts.favourited } else { &mut facts.reblogged };
                    set.insert(object);
                }
                facts.bookmarked = bookmarks::table
                    .filter(bookmarks::actor_id.eq(viewer.id))
                    .filter(bookmarks::object_ap_id.eq_any(wanted.shown))
                    .select(bookmarks::object_ap_id)
                    .load::<String>(c)
                    .await?
                    .into_iter()
                    .collect();
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        Ok(facts)
    }
}
