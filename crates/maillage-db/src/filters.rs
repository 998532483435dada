//! A member's content filters (Mastodon's filters v2) and their keywords.
//! Filters are private: the use cases check that the reader owns them.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use maillage_domain::reading::{FilterAction, FilterContext, contexts_from_text, contexts_to_text};

use crate::schema::{filter_keywords, filters};
use crate::{Database, DbError, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = filters)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct FilterRow {
    id: i64,
    actor_id: i64,
    title: String,
    contexts: String,
    #[diesel(deserialize_as = String)]
    action: FilterAction,
    expires_at: Option<UtcTime>,
    created_at: UtcTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = filter_keywords)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct FilterKeyword {
    pub id: i64,
    pub filter_id: i64,
    pub keyword: String,
    pub whole_word: bool,
    pub created_at: UtcTime,
}

/// A filter with its keywords.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub id: i64,
    /// The member whose filter it is.
    pub actor_id: i64,
    pub title: String,
    pub contexts: Vec<FilterContext>,
    pub action: FilterAction,
    /// None: it never expires.
    pub expires_at: Option<UtcTime>,
    pub created_at: UtcTime,
    pub keywords: Vec<FilterKeyword>,
}

impl Filter {
    fn of(row: FilterRow, keywords: Vec<FilterKeyword>) -> Filter {
        Filter {
            id: row.id,
            actor_id: row.actor_id,
            title: row.title,
            contexts: contexts_from_text(&row.contexts),
            action: row.action,
            expires_at: row.expires_at,
            created_at: row.created_at,
            keywords,
        }
    }
}

/// A filter's own fields, new or changed.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterFields {
    pub title: String,
    pub contexts: Vec<FilterContext>,
    pub action: FilterAction,
    pub expires_at: Option<UtcTime>,
}

/// A keyword to add, or to change when it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordFields {
    pub keyword: String,
    pub whole_word: bool,
}

/// What changes in a filter's keywords, in one transaction with the filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordChanges {
    pub add: Vec<KeywordFields>,
    /// Keywords of the filter to change, by id.
    pub change: Vec<(i64, KeywordFields)>,
    /// Keywords of the filter to remove, by id.
    pub remove: Vec<i64>,
}

macro_rules! load_filters {
    ($c:expr, $query:expr) => {{
        let rows: Vec<FilterRow> =
            $query.order(filters::id.asc()).select(FilterRow::as_select()).load(&mut *$c).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let keywords: Vec<FilterKeyword> = filter_keywords::table
            .filter(filter_keywords::filter_id.eq_any(ids))
            .order(filter_keywords::id.asc())
            .select(FilterKeyword::as_select())
            .load(&mut *$c)
            .await?;
        Ok::<_, diesel::result::Error>(
            rows.into_iter()
                .map(|row| {
                    let own = keywords.iter().filter(|k| k.filter_id == row.id).cloned().collect();
                    Filter::of(row, own)
                })
                .collect::<Vec<Filter>>(),
        )
    }};
}

/// Applies keyword changes to filter `$id` inside a transaction; changes
/// and removals only touch that filter's own keywords.
macro_rules! change_keywords {
    ($c:expr, $id:expr, $changes:expr, $now:expr) => {{
        let id: i64 = $id;
        let changes: &KeywordChanges = $changes;
        for keyword in &changes.add {
            diesel::insert_into(filter_keywords::table)
                .values((
                    filter_keywords::filter_id.eq(id),
                    filter_keywords::keyword.eq(&keyword.keyword),
                    filter_keywords::whole_word.eq(keyword.whole_word),
                    filter_keywords::created_at.eq($now),
                ))
                .execute(&mut *$c)
                .await?;
        }
        for (keyword_id, keyword) in &changes.change {
            diesel::update(
                filter_keywords::table
                    .filter(filter_keywords::id.eq(*keyword_id))
                    .filter(filter_keywords::filter_id.eq(id)),
            )
            .set((filter_keywords::keyword.eq(&keyword.keyword), filter_keywords::whole_word.eq(keyword.whole_word)))
            .execute(&mut *$c)
            .await?;
        }
        if !changes.remove.is_empty() {
            diesel::delete(
                filter_keywords::table
                    .filter(filter_keywords::id.eq_any(changes.remove.clone()))
                    .filter(filter_keywords::filter_id.eq(id)),
            )
            .execute(&mut *$c)
            .await?;
        }
    }};
}

impl Database {
    /// A member's filters with their keywords, oldest first, expired ones included.
    pub async fn filters_of(&self, actor_id: i64) -> Result<Vec<Filter>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| load_filters!(c, filters::table.filter(filters::actor_id.eq(actor_id))))?;
        Ok(rows)
    }

    pub async fn filter_by_id(&self, id: i64) -> Result<Option<Filter>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| load_filters!(c, filters::table.filter(filters::id.eq(id))))?;
        Ok(rows.into_iter().next())
    }

    pub async fn filter_keyword_by_id(&self, id: i64) -> Result<Option<FilterKeyword>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| filter_keywords::table
            .find(id)
            .select(FilterKeyword::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// A new filter and its keywords.
    pub async fn create_filter(
        &self,
        actor_id: i64,
        fields: &FilterFields,
        keywords: &[KeywordFields],
    ) -> Result<Filter, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let changes = KeywordChanges { add: keywords.to_vec(), ..KeywordChanges::default() };
        let id = with_write_tx!(self, &mut conn, |c| {
            let id: i64 = diesel::insert_into(filters::table)
                .values((
                    filters::actor_id.eq(actor_id),
                    filters::title.eq(&fields.title),
                    filters::contexts.eq(contexts_to_text(&fields.contexts)),
                    filters::action.eq(fields.action.as_str()),
                    filters::expires_at.eq(fields.expires_at),
                    filters::created_at.eq(now),
                ))
                .returning(filters::id)
                .get_result(c)
                .await?;
            change_keywords!(c, id, &changes, now);
            Ok(id)
        })?;
        self.filter_by_id(id).await?.ok_or(DbError::Query(diesel::result::Error::NotFound))
    }

    /// Changes a filter's fields and keywords in one transaction.
    pub async fn update_filter(
        &self,
        id: i64,
        fields: &FilterFields,
        keywords: &KeywordChanges,
    ) -> Result<Filter, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            diesel::update(filters::table.find(id))
                .set((
                    filters::title.eq(&fields.title),
                    filters::contexts.eq(contexts_to_text(&fields.contexts)),
                    filters::action.eq(fields.action.as_str()),
                    filters::expires_at.eq(fields.expires_at),
                ))
                .execute(c)
                .await?;
            change_keywords!(c, id, keywords, now);
            Ok(())
        })?;
        self.filter_by_id(id).await?.ok_or(DbError::Query(diesel::result::Error::NotFound))
    }

    pub async fn delete_filter(&self, id: i64) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            diesel::delete(filter_keywords::table.filter(filter_keywords::filter_id.eq(id))).execute(c).await?;
            diesel::delete(filters::table.find(id)).execute(c).await?;
            Ok(())
        })
    }

    /// Changes one keyword of a filter.
    pub async fn update_filter_keyword(&self, id: i64, fields: &KeywordFields) -> Result<FilterKeyword, DbError> {
        let mut conn = self.write_conn().await?;
        let row = with_conn!(&mut conn, |c| diesel::update(filter_keywords::table.find(id))
            .set((filter_keywords::keyword.eq(&fields.keyword), filter_keywords::whole_word.eq(fields.whole_word)))
            .returning(FilterKeyword::as_returning())
            .get_result(c)
            .await)?;
        Ok(row)
    }

    pub async fn delete_filter_keyword(&self, id: i64) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::delete(filter_keywords::table.find(id)).execute(c).await)?;
        Ok(())
    }
}
