//! A member's content filters (Mastodon's filters v2): which statuses
//! their keywords match, where, and whether those are hidden or shown
//! behind a warning. A filter is its owner's alone: for anyone else it
//! does not exist (NotFound, as Mastodon answers).

use maillage_db::{Filter, FilterFields, FilterKeyword, KeywordChanges, KeywordFields, UtcTime};
use maillage_domain::reading::{FilterContext, TITLE_MAX, keyword_matches};

use crate::{Acting, App, AppError};

fn checked(fields: &FilterFields) -> Result<FilterFields, AppError> {
    let title = fields.title.trim();
    if title.is_empty() {
        return Err(AppError::invalid("title", "a filter needs a title"));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(AppError::invalid("title", format!("at most {TITLE_MAX} characters")));
    }
    if fields.contexts.is_empty() {
        return Err(AppError::invalid("context", format!("name at least one of {}", FilterContext::choices())));
    }
    let mut contexts = fields.contexts.clone();
    contexts.dedup();
    Ok(FilterFields { title: title.to_string(), contexts, ..fields.clone() })
}

fn checked_keyword(keyword: &KeywordFields) -> Result<KeywordFields, AppError> {
    let text = keyword.keyword.trim();
    if text.is_empty() {
        return Err(AppError::invalid("keyword", "a keyword cannot be empty"));
    }
    if text.chars().count() > TITLE_MAX {
        return Err(AppError::invalid("keyword", format!("at most {TITLE_MAX} characters")));
    }
    Ok(KeywordFields { keyword: text.to_string(), whole_word: keyword.whole_word })
}

/// The member's filters, expired ones included (apps show them).
pub async fn filters(app: &App, acting: &Acting) -> Result<Vec<Filter>, AppError> {
    Ok(app.db().filters_of(acting.require_member()?.1.id).await?)
}

/// One of the member's filters; anyone else's is not found.
pub async fn filter(app: &App, acting: &Acting, id: i64) -> Result<Filter, AppError> {
    let member = acting.require_member()?.1;
    match app.db().filter_by_id(id).await? {
        Some(filter) if filter.actor_id == member.id => Ok(filter),
        _ => Err(AppError::NotFound("Record not found".into())),
    }
}

pub async fn create(
    app: &App,
    acting: &Acting,
    fields: &FilterFields,
    keywords: &[KeywordFields],
) -> Result<Filter, AppError> {
    let member = acting.require_member()?.1;
    let fields = checked(fields)?;
    let keywords = keywords.iter().map(checked_keyword).collect::<Result<Vec<_>, _>>()?;
    Ok(app.db().create_filter(member.id, &fields, &keywords).await?)
}

/// Changes one of the member's filters and, in the same transaction, its
/// keywords (those of other filters are never touched).
pub async fn update(
    app: &App,
    acting: &Acting,
    id: i64,
    fields: &FilterFields,
    keywords: &KeywordChanges,
) -> Result<Filter, AppError> {
    let filter = filter(app, acting, id).await?;
    let fields = checked(fields)?;
    let own = |id: &i64| filter.keywords.iter().any(|k| k.id == *id);
    if !keywords.change.iter().all(|(id, _)| own(id)) || !keywords.remove.iter().all(own) {
        return Err(AppError::NotFound("Record not found".into()));
    }
    let changes = KeywordChanges {
        add: keywords.add.iter().map(checked_keyword).collect::<Result<_, _>>()?,
        change: keywords.change.iter().map(|(id, k)| checked_keyword(k).map(|k| (*id, k))).collect::<Result<_, _>>()?,
        remove: keywords.remove.clone(),
    };
    Ok(app.db().update_filter(filter.id, &fields, &changes).await?)
}

pub async fn delete(app: &App, acting: &Acting, id: i64) -> Result<(), AppError> {
    let filter = filter(app, acting, id).await?;
    Ok(app.db().delete_filter(filter.id).await?)
}

/// One keyword of one of the member's filters; anyone else's is not found.
pub async fn keyword(app: &App, acting: &Acting, id: i64) -> Result<FilterKeyword, AppError> {
    let missing = || AppError::NotFound("Record not found".into());
    let keyword = app.db().filter_keyword_by_id(id).await?.ok_or_else(missing)?;
    filter(app, acting, keyword.filter_id).await?;
    Ok(keyword)
}

/// Adds a keyword to one of the member's filters.
pub async fn add_keyword(
    app: &App,
    acting: &Acting,
    filter_id: i64,
    keyword: &KeywordFields,
) -> Result<FilterKeyword, AppError> {
    let filter = filter(app, acting, filter_id).await?;
    let fields = FilterFields {
        title: filter.title.clone(),
        contexts: filter.contexts.clone(),
        action: filter.action,
        expires_at: filter.expires_at,
    };
    let changes = KeywordChanges { add: vec![checked_keyword(keyword)?], ..KeywordChanges::default() };
    let changed = app.db().update_filter(filter.id, &fields, &changes).await?;
    let before: Vec<i64> = filter.keywords.iter().map(|k| k.id).collect();
    changed
        .keywords
        .into_iter()
        .find(|k| !before.contains(&k.id))
        .ok_or_else(|| AppError::Internal("the keyword added was not found".into()))
}

pub async fn update_keyword(
    app: &App,
    acting: &Acting,
    id: i64,
    fields: &KeywordFields,
) -> Result<FilterKeyword, AppError> {
    let keyword = keyword(app, acting, id).await?;
    Ok(app.db().update_filter_keyword(keyword.id, &checked_keyword(fields)?).await?)
}

pub async fn delete_keyword(app: &App, acting: &Acting, id: i64) -> Result<(), AppError> {
    let keyword = keyword(app, acting, id).await?;
    Ok(app.db().delete_filter_keyword(keyword.id).await?)
}

/// The member's filters in force in `context` now.
pub async fn in_force(app: &App, acting: &Acting, context: FilterContext) -> Result<Vec<Filter>, AppError> {
    let now = UtcTime::now();
    let mut filters = filters(app, acting).await?;
    filters.retain(|f| f.contexts.contains(&context) && f.expires_at.is_none_or(|at| at > now));
    Ok(filters)
}

/// The filters whose keywords `text` matches, each with the keywords found.
pub fn matching<'a>(filters: &'a [Filter], text: &str) -> Vec<(&'a Filter, Vec<String>)> {
    filters
        .iter()
        .filter_map(|filter| {
            let found: Vec<String> = filter
                .keywords
                .iter()
                .filter(|k| keyword_matches(text, &k.keyword, k.whole_word))
                .map(|k| k.keyword.clone())
                .collect();
            (!found.is_empty()).then_some((filter, found))
        })
        .collect()
}
