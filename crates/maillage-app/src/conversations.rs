//! A member's conversations (the direct statuses of one thread): marked
//! read, or removed from their list until a newer status arrives. Only a
//! conversation whose root status the member may read (the audience check
//! of `maillage_db::audience`) can be marked.

use maillage_db::LocalActor;

use crate::{App, AppError};

/// What a member does with a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationChange {
    /// Read up to now.
    Read,
    /// Removed from their list (and read).
    Removed,
}

/// Marks the conversation whose root status is `root_ap_id`; not found
/// when the member may not read that status.
pub async fn mark(
    app: &App,
    member: &LocalActor,
    root_ap_id: &str,
    change: ConversationChange,
) -> Result<(), AppError> {
    let reader = app.db().reader_for_member(member).await?;
    let readable = app.db().visible_post_by_ap_id(&reader, root_ap_id).await?.is_some()
        || app.db().visible_remote_object_by_ap_id(&reader, root_ap_id).await?.is_some();
    if !readable {
        return Err(AppError::NotFound("no such conversation".into()));
    }
    Ok(app.db().mark_conversation(member.id, root_ap_id, change == ConversationChange::Removed).await?)
}
