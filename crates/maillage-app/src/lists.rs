//! A member's lists of accounts they follow. A list is its owner's alone:
//! for anyone else it does not exist (NotFound, as Mastodon answers).

use maillage_db::{List, ListFields, ListMember, ListMembers};
use maillage_domain::reading::TITLE_MAX;

use crate::{Acting, App, AppError};

fn checked(fields: &ListFields) -> Result<ListFields, AppError> {
    let title = fields.title.trim();
    if title.is_empty() {
        return Err(AppError::invalid("title", "a list needs a title"));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(AppError::invalid("title", format!("at most {TITLE_MAX} characters")));
    }
    Ok(ListFields { title: title.to_string(), ..fields.clone() })
}

/// The member's lists.
pub async fn lists(app: &App, acting: &Acting) -> Result<Vec<List>, AppError> {
    Ok(app.db().lists_of(acting.require_member()?.1.id).await?)
}

/// One of the member's lists; anyone else's is not found.
pub async fn list(app: &App, acting: &Acting, id: i64) -> Result<List, AppError> {
    let member = acting.require_member()?.1;
    match app.db().list_by_id(id).await? {
        Some(list) if list.actor_id == member.id => Ok(list),
        _ => Err(AppError::NotFound("Record not found".into())),
    }
}

pub async fn create(app: &App, acting: &Acting, fields: &ListFields) -> Result<List, AppError> {
    let member = acting.require_member()?.1;
    Ok(app.db().create_list(member.id, &checked(fields)?).await?)
}

pub async fn update(app: &App, acting: &Acting, id: i64, fields: &ListFields) -> Result<List, AppError> {
    let list = list(app, acting, id).await?;
    Ok(app.db().update_list(list.id, &checked(fields)?).await?)
}

pub async fn delete(app: &App, acting: &Acting, id: i64) -> Result<(), AppError> {
    let list = list(app, acting, id).await?;
    Ok(app.db().delete_list(list.id).await?)
}

/// The accounts on one of the member's lists.
pub async fn members(app: &App, acting: &Acting, id: i64) -> Result<ListMembers, AppError> {
    let list = list(app, acting, id).await?;
    Ok(app.db().list_members(list.id).await?)
}

/// Puts accounts the member follows (or asked to follow) on their list;
/// any other account is refused, as on Mastodon, and nothing is added.
pub async fn add_members(app: &App, acting: &Acting, id: i64, accounts: &[ListMember]) -> Result<(), AppError> {
    let list = list(app, acting, id).await?;
    let member = acting.require_member()?.1;
    for account in accounts {
        let follows = match *account {
            ListMember::Local(followed) => app.db().local_follow(member.id, followed).await?.is_some(),
            ListMember::Remote(followed) => {
                app.db().find_follow(member.id, followed, maillage_db::Direction::Outgoing).await?.is_some()
            }
        };
        if !follows {
            return Err(AppError::invalid("account_ids", "you must follow an account to put it on a list"));
        }
    }
    Ok(app.db().add_list_members(list.id, accounts).await?)
}

/// Takes accounts off one of the member's lists.
pub async fn remove_members(app: &App, acting: &Acting, id: i64, accounts: &[ListMember]) -> Result<(), AppError> {
    let list = list(app, acting, id).await?;
    Ok(app.db().remove_list_members(list.id, accounts).await?)
}

/// The member's lists that hold an account.
pub async fn lists_holding(app: &App, acting: &Acting, account: ListMember) -> Result<Vec<List>, AppError> {
    Ok(app.db().lists_holding(acting.require_member()?.1.id, account).await?)
}
