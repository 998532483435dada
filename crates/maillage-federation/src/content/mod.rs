//! Publishing: enterprises' updates (`Note`) and shared practices
//! (`Article`), their edits and deletions, the hub's reshares and featured
//! items, and enterprise profile changes.
//!
//! Who receives what (docs/FEDERATION.md, "Who sees what"):
//! - a post goes to the enterprise's followers (public: `to` Public, `cc`
//!   followers; unlisted: `to` followers, `cc` Public; followers-only: `to`
//!   followers), to mentioned actors, and, when anyone may read it, to the
//!   author of the post it replies to; a direct post goes to the actors it
//!   mentions only;
//! - the hub reshares every public post of a local enterprise: followers that
//!   are `Group`s (other Maillage hubs, Lemmy communities: FEP-1b12 peers) get
//!   `Announce{Create}` (and later `Announce{Update}` / `Announce{Delete}`),
//!   every other follower gets `Announce{object id}`, which is what Mastodon
//!   understands;
//! - a profile change sends `Update{Organization}` to the enterprise's followers.
//!
//! The files: `protocol` (the wire: constants, the documents of our posts,
//! the activity envelope; a leaf), `drafts` (what members write and its
//! checks), `audience` (who hears of a change), `posts`, `hub`, `profiles`
//! and `reactions` (the changes themselves).

mod audience;
mod drafts;
mod hub;
mod posts;
mod profiles;
pub mod protocol;
mod reactions;

pub use drafts::{NOTE_MAX, NoteDraft, PracticeDraft, SUMMARY_MAX, TITLE_MAX, Translation};
pub use hub::{feature, reshare, unreshare};
pub use posts::{delete_post, edit_note, edit_practice, publish_note, publish_practice};
pub use profiles::{current_profile, update_member, update_profile};
pub use protocol::{AS_CONTEXT, DEFAULT_LICENCE, Mention, PUBLIC, object_context, outgoing, post_document};
pub use reactions::react;
