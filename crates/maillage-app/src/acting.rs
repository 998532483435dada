//! Who asks for a change, and the rights that come with it. Every use case
//! takes an [`Acting`] and checks it here, whichever front end it came from.

use maillage_db::{Account, Database, LocalActor};
use maillage_domain::TeamRole;

use crate::AppError;

/// The hub-wide role of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Staff {
    /// No hub-wide right.
    None,
    /// Handles reports, suspends remote actors, removes remote posts.
    Moderator,
    /// Runs the hub: every right a member can have.
    Admin,
}

/// Who asks.
#[derive(Debug, Clone)]
pub enum Acting {
    /// The hub's operator, at the command line on the server: every right.
    Operator,
    /// A member, from the web or an API.
    Member { user_id: i64, actor: Box<LocalActor>, staff: Staff },
}

impl Acting {
    /// A logged-in member, with the role their account has now.
    pub fn member(account: &Account) -> Self {
        let staff = if account.is_admin {
            Staff::Admin
        } else if account.is_moderator {
            Staff::Moderator
        } else {
            Staff::None
        };
        Acting::Member { user_id: account.user_id, actor: Box::new(account.actor.clone()), staff }
    }

    /// The member's own actor (none for the operator).
    pub fn actor(&self) -> Option<&LocalActor> {
        match self {
            Acting::Operator => None,
            Acting::Member { actor, .. } => Some(actor),
        }
    }

    fn staff(&self) -> Staff {
        match self {
            Acting::Operator => Staff::Admin,
            Acting::Member { staff, .. } => *staff,
        }
    }

    /// The member who acts, with their account id, for what is a member's
    /// own (bookmarks, lists, markers, filters, read marks): the operator at
    /// the command line has none.
    pub fn require_member(&self) -> Result<(i64, &LocalActor), AppError> {
        match self {
            Acting::Member { user_id, actor, .. } => Ok((*user_id, actor)),
            Acting::Operator => {
                Err(AppError::Forbidden("only members keep bookmarks, lists, markers, filters and read marks".into()))
            }
        }
    }

    pub fn is_admin(&self) -> bool {
        self.staff() == Staff::Admin
    }

    /// Runs the hub: admins and the operator.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() { Ok(()) } else { Err(AppError::Forbidden("only the hub's admins may do this".into())) }
    }

    /// Moderates: moderators, admins and the operator.
    pub fn require_moderator(&self) -> Result<(), AppError> {
        if self.staff() >= Staff::Moderator {
            Ok(())
        } else {
            Err(AppError::Forbidden("only the hub's moderators and admins may do this".into()))
        }
    }

    /// Publishes for `enterprise`: its editors and owners now (a former
    /// editor no longer may), admins and the operator.
    pub async fn require_editor(&self, db: &Database, enterprise: &LocalActor) -> Result<(), AppError> {
        match self {
            _ if self.is_admin() => Ok(()),
            Acting::Member { actor, .. } if db.is_editor(enterprise.id, actor.id).await? => Ok(()),
            _ => Err(AppError::Forbidden(format!("you are not an editor of {}", enterprise.username))),
        }
    }

    /// Manages `enterprise`'s team: its owners, admins and the operator.
    pub async fn require_owner(&self, db: &Database, enterprise: &LocalActor) -> Result<(), AppError> {
        match self {
            _ if self.is_admin() => Ok(()),
            Acting::Member { actor, .. }
                if db.team_role(enterprise.id, actor.id).await?.as_deref() == Some(TeamRole::Owner.as_str()) =>
            {
                Ok(())
            }
            _ => Err(AppError::Forbidden(format!(
                "only {}'s owners and the hub's admins manage its team",
                enterprise.username
            ))),
        }
    }
}
