//! Filters: `/api/v2/filters` and their keywords, the v1 view of the same
//! filters (`/api/v1/filters`, one per keyword, as Mastodon shows them to
//! older apps), and their effect on the statuses of each context: `hide`
//! leaves a matching status out, `warn` shows it with its `filtered` results.

use maillage_app::filters as use_case;
use maillage_db::{Filter, FilterFields, FilterKeyword, KeywordChanges, KeywordFields};
use maillage_domain::reading::{FilterAction, FilterContext};

use super::*;

fn filter_id(id: &str) -> Result<i64, HttpError> {
    id.trim().parse().map_err(|_| HttpError::NotFound("Record not found".into()))
}

fn keyword_json(keyword: &FilterKeyword) -> Value {
    json!({ "id": keyword.id.to_string(), "keyword": keyword.keyword, "whole_word": keyword.whole_word })
}

fn contexts_json(filter: &Filter) -> Value {
    json!(filter.contexts.iter().map(|c| c.as_str()).collect::<Vec<_>>())
}

/// Mastodon's Filter (v2).
fn filter_json(filter: &Filter) -> Value {
    json!({
        "id": filter.id.to_string(),
        "title": filter.title,
        "context": contexts_json(filter),
        "expires_at": filter.expires_at.map(entities::iso),
        "filter_action": filter.action.as_str(),
        "keywords": filter.keywords.iter().map(keyword_json).collect::<Vec<_>>(),
        "statuses": [],
    })
}

/// Mastodon's V1::Filter: one keyword of a filter.
fn v1_json(filter: &Filter, keyword: &FilterKeyword) -> Value {
    json!({
        "id": keyword.id.to_string(),
        "phrase": keyword.keyword,
        "context": contexts_json(filter),
        "whole_word": keyword.whole_word,
        "expires_at": filter.expires_at.map(entities::iso),
        "irreversible": filter.action == FilterAction::Hide,
    })
}

/// The filters in force for the signed-in viewer in `context` (none for
/// someone not signed in).
pub(super) async fn in_force(
    state: &AppState,
    viewer: Option<&User>,
    context: FilterContext,
) -> Result<Vec<Filter>, HttpError> {
    match viewer {
        Some(user) => Ok(use_case::in_force(&state.app, &user.acting(), context).await?),
        None => Ok(Vec::new()),
    }
}

/// A status as the filters leave it: `None` when a `hide` filter matches,
/// else with `filtered` naming the `warn` filters that match.
pub(super) fn filtered(filters: &[Filter], mut status: Value) -> Option<Value> {
    if filters.is_empty() {
        return Some(status);
    }
    let content = maillage_domain::html::html_to_text(status["content"].as_str().unwrap_or_default());
    let text = format!("{}\n{content}", status["spoiler_text"].as_str().unwrap_or_default());
    let matches = use_case::matching(filters, &text);
    if matches.iter().any(|(filter, _)| filter.action == FilterAction::Hide) {
        return None;
    }
    let results: Vec<Value> = matches
        .iter()
        .map(|(filter, keywords)| {
            json!({ "filter": filter_json(filter), "keyword_matches": keywords, "status_matches": null })
        })
        .collect();
    status["filtered"] = json!(results);
    Some(status)
}

/// [`filtered`] over a page of statuses.
pub(super) fn apply(filters: &[Filter], statuses: Vec<Value>) -> Vec<Value> {
    statuses.into_iter().filter_map(|status| filtered(filters, status)).collect()
}

/// The fields of a filter from a request, over `current` (a PUT changes
/// what it names).
fn fields(params: &Params, current: Option<&Filter>) -> Result<FilterFields, HttpError> {
    let title = match (params.text("title"), current) {
        (Some(title), _) => title,
        (None, Some(filter)) => filter.title.clone(),
        (None, None) => return Err(HttpError::Unprocessable("the parameter `title` is required".into())),
    };
    let named = params.list("context");
    let contexts = if named.is_empty() && params.0.get("context").is_none() {
        current.map(|f| f.contexts.clone()).unwrap_or_default()
    } else {
        named
            .iter()
            .map(|name| FilterContext::parse(name).map_err(|e| HttpError::Unprocessable(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?
    };
    let action = match params.text("filter_action").filter(|a| !a.is_empty()) {
        Some(name) => FilterAction::parse(&name).map_err(|e| HttpError::Unprocessable(e.to_string()))?,
        None => current.map_or(FilterAction::Warn, |f| f.action),
    };
    let expires_at = match params.0.get("expires_in") {
        None => current.and_then(|f| f.expires_at),
        Some(_) => match params.text("expires_in").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(_) => {
                let seconds = params.number("expires_in")?.unwrap_or_default();
                if seconds <= 0 {
                    return Err(HttpError::Unprocessable("`expires_in` must be a positive number of seconds".into()));
                }
                let at = chrono::Utc::now() + chrono::Duration::seconds(seconds.min(100 * 365 * 86_400));
                Some(UtcTime::from(at))
            }
        },
    };
    Ok(FilterFields { title, contexts, action, expires_at })
}

/// One `keywords_attributes` entry: `keyword`, `whole_word`, `id`, `_destroy`.
struct KeywordAttribute {
    id: Option<i64>,
    fields: KeywordFields,
    destroy: bool,
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1" | "on"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `keywords_attributes` as apps send them: a JSON array of objects, the
/// form fields `keywords_attributes[][keyword]` (repeated, in order) or
/// `keywords_attributes[N][keyword]`.
fn keyword_attributes(params: &Params) -> Result<Vec<KeywordAttribute>, HttpError> {
    let mut entries: Vec<serde_json::Map<String, Value>> = Vec::new();
    if let Some(Value::Array(items)) = params.0.get("keywords_attributes") {
        entries.extend(items.iter().filter_map(|item| item.as_object().cloned()));
    }
    if let Some(Value::Object(indexed)) = params.0.get("keywords_attributes") {
        entries.extend(indexed.values().filter_map(|item| item.as_object().cloned()));
    }
    let mut indexed: std::collections::BTreeMap<String, serde_json::Map<String, Value>> = Default::default();
    for (key, value) in &params.0 {
        let Some(rest) = key.strip_prefix("keywords_attributes[") else { continue };
        let Some((index, field)) = rest.split_once("][") else { continue };
        let field = field.trim_end_matches(']').to_string();
        match value {
            // `keywords_attributes[][field]`, repeated: the n-th value is the n-th keyword's.
            Value::Array(values) if index.is_empty() => {
                for (n, value) in values.iter().enumerate() {
                    indexed.entry(format!("{n:09}")).or_default().insert(field.clone(), value.clone());
                }
            }
            value => {
                let index = if index.is_empty() { "000000000".to_string() } else { format!("{index:0>9}") };
                indexed.entry(index).or_default().insert(field, value.clone());
            }
        }
    }
    entries.extend(indexed.into_values());
    entries
        .into_iter()
        .map(|entry| {
            let id = match text_of(entry.get("id")).filter(|s| !s.is_empty()) {
                Some(id) => Some(filter_id(&id)?),
                None => None,
            };
            Ok(KeywordAttribute {
                id,
                fields: KeywordFields {
                    keyword: text_of(entry.get("keyword")).unwrap_or_default(),
                    whole_word: entry.get("whole_word").is_none_or(|v| truthy(Some(v))),
                },
                destroy: truthy(entry.get("_destroy")),
            })
        })
        .collect()
}

/// `GET /api/v2/filters`
pub async fn filters_v2(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("read:filters")?;
    let filters = use_case::filters(&state.app, &user.acting()).await?;
    Ok(Json(json!(filters.iter().map(filter_json).collect::<Vec<_>>())))
}

/// `GET /api/v1/filters`: each keyword of each filter, as a v1 filter.
pub async fn filters_v1(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("read:filters")?;
    let filters = use_case::filters(&state.app, &user.acting()).await?;
    let shown: Vec<Value> =
        filters.iter().flat_map(|filter| filter.keywords.iter().map(move |keyword| v1_json(filter, keyword))).collect();
    Ok(Json(json!(shown)))
}

/// `POST /api/v2/filters`: `title`, `context[]`, `filter_action`,
/// `expires_in`, `keywords_attributes`.
pub async fn create_filter(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:filters")?;
    let fields = fields(&params, None)?;
    let keywords: Vec<KeywordFields> =
        keyword_attributes(&params)?.into_iter().filter(|k| !k.destroy).map(|k| k.fields).collect();
    let filter = use_case::create(&state.app, &user.acting(), &fields, &keywords).await?;
    Ok(Json(filter_json(&filter)))
}

/// `GET /api/v2/filters/:id`
pub async fn filter(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:filters")?;
    Ok(Json(filter_json(&use_case::filter(&state.app, &user.acting(), filter_id(&id)?).await?)))
}

/// `PUT /api/v2/filters/:id`: the fields given, and keywords added
/// (no `id`), changed (`id`) or removed (`id` and `_destroy`).
pub async fn update_filter(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:filters")?;
    let current = use_case::filter(&state.app, &user.acting(), filter_id(&id)?).await?;
    let fields = fields(&params, Some(&current))?;
    let mut changes = KeywordChanges::default();
    for attribute in keyword_attributes(&params)? {
        match (attribute.id, attribute.destroy) {
            (Some(id), true) => changes.remove.push(id),
            (Some(id), false) => changes.change.push((id, attribute.fields)),
            (None, false) => changes.add.push(attribute.fields),
            (None, true) => {}
        }
    }
    let filter = use_case::update(&state.app, &user.acting(), current.id, &fields, &changes).await?;
    Ok(Json(filter_json(&filter)))
}

/// `DELETE /api/v2/filters/:id`
pub async fn delete_filter(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:filters")?;
    use_case::delete(&state.app, &user.acting(), filter_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/filters/:id/keywords`
pub async fn filter_keywords(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:filters")?;
    let filter = use_case::filter(&state.app, &user.acting(), filter_id(&id)?).await?;
    Ok(Json(json!(filter.keywords.iter().map(keyword_json).collect::<Vec<_>>())))
}

fn keyword_fields(params: &Params, current: Option<&FilterKeyword>) -> Result<KeywordFields, HttpError> {
    let keyword = match (params.text("keyword"), current) {
        (Some(keyword), _) => keyword,
        (None, Some(current)) => current.keyword.clone(),
        (None, None) => return Err(HttpError::Unprocessable("the parameter `keyword` is required".into())),
    };
    let whole_word = params.flag("whole_word")?.or(current.map(|k| k.whole_word)).unwrap_or(true);
    Ok(KeywordFields { keyword, whole_word })
}

/// `POST /api/v2/filters/:id/keywords`: `keyword`, `whole_word`.
pub async fn add_filter_keyword(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:filters")?;
    let fields = keyword_fields(&params, None)?;
    let keyword = use_case::add_keyword(&state.app, &user.acting(), filter_id(&id)?, &fields).await?;
    Ok(Json(keyword_json(&keyword)))
}

/// `GET /api/v2/filters/keywords/:id`
pub async fn filter_keyword(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:filters")?;
    Ok(Json(keyword_json(&use_case::keyword(&state.app, &user.acting(), filter_id(&id)?).await?)))
}

/// `PUT /api/v2/filters/keywords/:id`
pub async fn update_filter_keyword(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:filters")?;
    let current = use_case::keyword(&state.app, &user.acting(), filter_id(&id)?).await?;
    let fields = keyword_fields(&params, Some(&current))?;
    Ok(Json(keyword_json(&use_case::update_keyword(&state.app, &user.acting(), current.id, &fields).await?)))
}

/// `DELETE /api/v2/filters/keywords/:id`
pub async fn delete_filter_keyword(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:filters")?;
    use_case::delete_keyword(&state.app, &user.acting(), filter_id(&id)?).await?;
    Ok(Json(json!({})))
}
