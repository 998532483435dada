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
//! the activity envelope; a leaf), `drafts` (what members write, its checks,
//! and the stored content it becomes), `mentions` (whom a text names),
//! `audience` (who hears of a change) and `profiles` (an enterprise's
//! profile as stored). The changes themselves, and who may make them, are
//! the use cases' (`maillage_app`), which store each with the activities
//! built here.

pub mod audience;
mod drafts;
mod mentions;
mod profiles;
pub mod protocol;

pub use drafts::{
    NOTE_MAX, NoteDraft, PracticeDraft, SUMMARY_MAX, TITLE_MAX, Translation, note_content, practice_content,
};
pub use mentions::mentions_of;
pub use profiles::current_profile;
pub use protocol::{
    AS_CONTEXT, DEFAULT_LICENCE, Mention, PUBLIC, object_context, outgoing, post_document, with_attachments,
};
