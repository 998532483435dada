//! What a Web Push message says: Mastodon's JSON (`access_token`,
//! `preferred_locale`, `notification_id`, `notification_type`, `icon`,
//! `title`, `body`), the title in French then English as our e-mails are,
//! the body the status's text as the notified member may read it (through
//! the audience check) or the account's handle.

use maillage_db::{Database, QueuedPush};
use maillage_domain::html::{html_to_text, http_url, truncate_text};
use maillage_domain::{NotificationKind, RemoteMediaRole};
use maillage_federation::content::protocol::{media_url, remote_actor_image_url};
use maillage_federation::urls::Urls;
use serde::Serialize;

use crate::AppError;

/// The longest body, in characters (Mastodon's cut).
const BODY_CHARS: usize = 140;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushPayload {
    pub access_token: String,
    pub preferred_locale: &'static str,
    /// A number, as Mastodon sends it (the API's ids are strings).
    pub notification_id: i64,
    pub notification_type: &'static str,
    pub icon: String,
    pub title: String,
    pub body: String,
}

/// Who caused a notification, as a message names and shows them.
struct Sender {
    name: String,
    handle: String,
    icon: Option<String>,
}

/// Its icon is our URL (our copy of a remote avatar, our stored picture),
/// so the device showing the message never contacts another server.
async fn sender(db: &Database, urls: &Urls, ap_id: &str, domain: &str) -> Result<Sender, AppError> {
    if let Some(remote) = db.remote_actor_by_ap_id(ap_id).await? {
        let handle = format!("@{}@{}", remote.username, remote.domain);
        let icon = remote
            .icon_url
            .as_deref()
            .and_then(http_url)
            .map(|_| remote_actor_image_url(urls, remote.id, RemoteMediaRole::Avatar));
        let name = remote.display_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| handle.clone());
        return Ok(Sender { name, handle, icon });
    }
    if let Some(local) = db.local_actor_by_ap_id(ap_id).await? {
        let handle = format!("@{}@{domain}", local.username);
        let icon = local.icon_key.as_deref().map(|key| media_url(urls, key));
        let name = if local.display_name.trim().is_empty() { handle.clone() } else { local.display_name };
        return Ok(Sender { name, handle, icon });
    }
    Ok(Sender { name: ap_id.to_string(), handle: ap_id.to_string(), icon: None })
}

/// The title, French first.
fn title(kind: NotificationKind, name: &str) -> String {
    let (fr, en) = match kind {
        NotificationKind::Mention => (format!("{name} vous a mentionné·e"), format!("{name} mentioned you")),
        NotificationKind::Reblog => {
            (format!("{name} a partagé votre publication"), format!("{name} boosted your post"))
        }
        NotificationKind::Favourite => {
            (format!("{name} a aimé votre publication"), format!("{name} favourited your post"))
        }
        NotificationKind::Follow => (format!("{name} vous suit"), format!("{name} is now following you")),
        NotificationKind::FollowRequest => {
            (format!("{name} demande à vous suivre"), format!("{name} requested to follow you"))
        }
    };
    format!("{fr} / {en}")
}

/// The message of a claimed push; `None` when it should not be sent: the
/// account it is for is gone, or no longer hears from its sender (muted
/// with notifications, blocked).
pub async fn payload(
    db: &Database,
    urls: &Urls,
    push: &QueuedPush,
    default_icon: &str,
) -> Result<Option<PushPayload>, AppError> {
    let Some(account) = db.account_by_user_id(push.user_id).await? else { return Ok(None) };
    let member = &account.actor;
    let hidden = db.hidden_from(member.id, &member.ap_id, true).await?;
    if hidden.ap_ids.iter().any(|id| id == &push.from_ap_id) {
        return Ok(None);
    }
    let domain = member.ap_id.split('/').nth(2).unwrap_or_default().to_string();
    let from = sender(db, urls, &push.from_ap_id, &domain).await?;
    let reader = db.reader_for_member(member).await?;
    let text = match &push.object_ap_id {
        Some(uri) => match db.visible_post_by_ap_id(&reader, uri).await? {
            Some(post) => Some(html_to_text(&post.content_html)),
            None => db
                .visible_remote_object_by_ap_id(&reader, uri)
                .await?
                .and_then(|object| object.content_html)
                .map(|html| html_to_text(&html)),
        },
        None => None,
    };
    let body = match text.filter(|t| !t.trim().is_empty()) {
        Some(text) => truncate_text(&text, BODY_CHARS),
        None => from.handle.clone(),
    };
    Ok(Some(PushPayload {
        access_token: push.access_token.clone(),
        preferred_locale: "fr",
        notification_id: push.notification_id,
        notification_type: push.kind.as_str(),
        icon: from.icon.unwrap_or_else(|| default_icon.to_string()),
        title: title(push.kind, &from.name),
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_the_sender_in_french_then_english() {
        assert_eq!(title(NotificationKind::Mention, "Alice"), "Alice vous a mentionné·e / Alice mentioned you");
        for &kind in NotificationKind::ALL {
            let t = title(kind, "Zoé");
            assert_eq!(t.matches("Zoé").count(), 2, "{t}");
        }
    }
}
