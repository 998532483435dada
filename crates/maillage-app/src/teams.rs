//! An enterprise's team: the members who publish for it (editors) and
//! those who also manage the team (owners).

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, TeamRole};

use crate::{Acting, App, AppError};

/// A member of a team and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub username: String,
    pub role: TeamRole,
}

/// The team of `enterprise`, owners and editors alike.
pub async fn team(app: &App, enterprise: &LocalActor) -> Result<Vec<TeamMember>, AppError> {
    Ok(app
        .db()
        .editors_of(enterprise.id)
        .await?
        .into_iter()
        .map(|(username, role)| TeamMember { username, role: TeamRole::parse(&role).unwrap_or(TeamRole::Editor) })
        .collect())
}

/// Adds a member to an enterprise's team, or changes their role (its
/// owners, admins).
pub async fn add_member(
    app: &App,
    acting: &Acting,
    enterprise: &str,
    username: &str,
    role: TeamRole,
) -> Result<(), AppError> {
    let enterprise = app.local_actor_of(ActorKind::Enterprise, enterprise).await?;
    acting.require_owner(app.db(), &enterprise).await?;
    let member = app.local_actor_of(ActorKind::Member, username).await?;
    app.db().add_editor(enterprise.id, member.id, role.as_str()).await?;
    Ok(())
}

/// Takes a member off an enterprise's team (its owners, admins).
pub async fn remove_member(app: &App, acting: &Acting, enterprise: &str, username: &str) -> Result<(), AppError> {
    let enterprise = app.local_actor_of(ActorKind::Enterprise, enterprise).await?;
    acting.require_owner(app.db(), &enterprise).await?;
    let member = app.local_actor_of(ActorKind::Member, username).await?;
    if !app.db().remove_editor(enterprise.id, member.id).await? {
        return Err(AppError::NotFound(format!("{username} is not on {}'s team", enterprise.username)));
    }
    Ok(())
}
