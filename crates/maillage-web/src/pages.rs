//! The public pages: home, directory, practice library, themes, the HTML
//! views of actors and posts, and the "follow from your server" redirect.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_db::{LocalActor, PageBounds, Post, PostSource, Reader, RemoteSource, TimelinePosition};
use maillage_domain::vocabulary::{
    COOP_TYPES, LANGUAGES, LEGAL_FORMS, QUALIFIERS, REGIONS, SCOPES, SECTORS, STATUSES, Vocabulary,
};
use maillage_domain::{ActorKind, EnterpriseProfile, PostKind};
use serde::{Deserialize, Serialize};

use crate::WebState;
use crate::directory::{self, DirectoryQuery};
use crate::error::PageError;
use crate::views::{Card, Chrome, Ctx, date, safe_href};

const LIST_SIZE: i64 = 20;

/// Looks up local actors once per page.
struct Actors<'a> {
    state: &'a WebState,
    known: HashMap<i64, Option<LocalActor>>,
}

impl<'a> Actors<'a> {
    fn new(state: &'a WebState) -> Self {
        Actors { state, known: HashMap::new() }
    }

    async fn get(&mut self, id: i64) -> Result<Option<LocalActor>, maillage_db::DbError> {
        if let Some(actor) = self.known.get(&id) {
            return Ok(actor.clone());
        }
        let actor = self.state.shared.db().local_actor_by_id(id).await?;
        self.known.insert(id, actor.clone());
        Ok(actor)
    }

    /// The cards of posts the reader may see (each with its first picture).
    async fn cards(&mut self, ctx: &Ctx, posts: &[Post]) -> Result<Vec<Card>, PageError> {
        let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
        let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        let media = self.state.shared.db().media_of_posts(&ids).await.map_err(internal)?;
        let mut cards = Vec::with_capacity(posts.len());
        for post in posts {
            if let Some(enterprise) = self.get(post.actor_id).await.map_err(internal)? {
                let files: Vec<_> = media.iter().filter(|m| m.post_id == Some(post.id)).cloned().collect();
                let image = crate::attachments::views(ctx, &files).0.into_iter().next();
                cards.push(Card::local(ctx.lang, post, &enterprise).with_image(image));
            }
        }
        Ok(cards)
    }
}

/// The cards of other servers' posts the reader may see, each with its
/// first picture from our cache.
async fn remote_cards(
    state: &WebState,
    ctx: &Ctx,
    objects: &[maillage_db::RemoteObject],
) -> Result<Vec<Card>, PageError> {
    let ids: Vec<i64> = objects.iter().map(|o| o.id).collect();
    let media =
        state.shared.db().attachments_of_remote_objects(&ids).await.map_err(|e| PageError::internal(ctx.lang, e))?;
    Ok(objects
        .iter()
        .map(|object| {
            let files: Vec<_> = media.iter().filter(|m| m.remote_object_id == Some(object.id)).cloned().collect();
            let image = crate::attachments::remote_images(ctx, &files).into_iter().next();
            Card::remote(ctx.lang, object, None).with_image(image)
        })
        .collect())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    hub_name: String,
    hub_summary: String,
    hub_handle: String,
    practices: Vec<Card>,
    updates: Vec<Card>,
    featured: Vec<directory::Entry>,
    network: Vec<Card>,
}

pub async fn home(State(state): State<WebState>, ctx: Ctx) -> Result<Response, PageError> {
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let hub = db.local_actor_of_kind(ActorKind::Hub).await.map_err(internal)?;
    let recent =
        db.posts_page(PostSource::Listed, &Reader::anonymous(), &PageBounds::newest(60)).await.map_err(internal)?;
    let mut actors = Actors::new(&state);
    let practices: Vec<Post> = recent.iter().filter(|p| p.kind == PostKind::Article).take(6).cloned().collect();
    let updates: Vec<Post> =
        recent.iter().filter(|p| p.kind == PostKind::Note && p.in_reply_to.is_none()).take(6).cloned().collect();
    let practices = actors.cards(&ctx, &practices).await?;
    let updates = actors.cards(&ctx, &updates).await?;
    // Only what other servers addressed to the public: our actors also
    // receive followers-only posts, which are not for this page.
    let network = db
        .remote_objects_page(RemoteSource::Listed, &Reader::anonymous(), &PageBounds::newest(6))
        .await
        .map_err(internal)?;
    let network = remote_cards(&state, &ctx, &network).await?;
    let entries = state.directory_entries().await.map_err(internal)?;
    // Enterprises the staff featured, then others of this hub.
    let chosen = match &hub {
        Some(hub) => db.featured_of(hub.id).await.map_err(internal)?,
        None => Vec::new(),
    };
    let mut featured: Vec<directory::Entry> =
        chosen.iter().filter_map(|url| entries.iter().find(|e| e.local && &e.page_url == url)).cloned().collect();
    for entry in entries.iter().filter(|e| e.local) {
        if featured.len() >= 8 {
            break;
        }
        if !featured.iter().any(|f| f.acct == entry.acct) {
            featured.push(entry.clone());
        }
    }
    let hub_handle = format!("@{}@{}", state.shared.config().hub.handle, state.domain());
    let c = ctx
        .chrome(state.shared.config().hub.name.clone())
        .alternate("application/atom+xml", "/feed.atom")
        .og("og:title", &state.shared.config().hub.name)
        .og("og:description", &state.shared.config().hub.summary)
        .og("og:type", "website");
    let page = HomePage {
        c,
        hub_name: hub.as_ref().map(|h| h.display_name.clone()).unwrap_or(state.shared.config().hub.name.clone()),
        hub_summary: hub.map(|h| h.summary).unwrap_or_default(),
        hub_handle,
        practices,
        updates,
        featured,
        network,
    };
    ctx.render(&page)
}

struct FacetView {
    name: &'static str,
    title: String,
    values: Vec<FacetValueView>,
}

struct FacetValueView {
    label: String,
    count: usize,
    selected: bool,
    href: String,
}

struct EntryView {
    name: String,
    acct: String,
    href: String,
    local: bool,
    /// "Hub: NAME" and the hub's page.
    hub: Option<(String, String)>,
    summary: Option<String>,
    tags: Vec<String>,
    position: Option<(f64, f64)>,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    q: String,
    hidden: Vec<(&'static str, String)>,
    filtered: bool,
    clear_url: String,
    facets: Vec<FacetView>,
    results_label: String,
    entries: Vec<EntryView>,
    pages: usize,
    page_label: String,
    prev_url: Option<String>,
    next_url: Option<String>,
    map: Option<MapView>,
}

/// What the directory's map script reads from its box.
struct MapView {
    /// The tile URL template and its credit line.
    tiles: String,
    attribution: String,
    /// Where every matching enterprise's position is (`/directory/map.json?…`).
    points_url: String,
    /// `south,west,north,east` of the region filtered on, framed first.
    region_bounds: Option<String>,
    clustering: bool,
}

fn facet_label(ctx: &Ctx, values: directory::FacetValues, value: &directory::FacetCount) -> String {
    match values {
        directory::FacetValues::Vocabulary(vocabulary) => ctx.t.term(vocabulary, &value.code),
        directory::FacetValues::Scope if value.code == "local" => ctx.t.t("directory-local"),
        directory::FacetValues::Scope => ctx.t.t("directory-network"),
        directory::FacetValues::Hub => value.label.clone().unwrap_or_else(|| value.code.clone()),
    }
}

pub async fn directory(
    State(state): State<WebState>,
    ctx: Ctx,
    query: Result<Query<DirectoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|e| PageError::bad_request(ctx.lang, &e.body_text()))?;
    let query = query.with_codes();
    query.validate().map_err(|reason| PageError::bad_request(ctx.lang, &reason))?;
    let entries = state.directory_entries().await.map_err(|e| PageError::internal(ctx.lang, e))?;
    let results = directory::search(&entries, &query);
    let facets = results
        .facets
        .iter()
        .map(|facet| FacetView {
            name: facet.name,
            title: ctx.t.t(&format!("facet-{}", facet.name)),
            values: facet
                .values
                .iter()
                .map(|value| FacetValueView {
                    label: facet_label(&ctx, facet.kind, value),
                    count: value.count,
                    selected: value.selected,
                    href: query.url_with(
                        Some((facet.name, if value.selected { None } else { Some(value.code.as_str()) })),
                        None,
                    ),
                })
                .collect(),
        })
        .filter(|f| !f.values.is_empty())
        .collect();
    let entry_views = results
        .entries
        .iter()
        .map(|entry| {
            let p = &entry.profile;
            let mut tags: Vec<String> = p.region.iter().map(|c| ctx.t.term(&REGIONS, c)).collect();
            tags.extend(p.legal_form.iter().map(|c| ctx.t.term(&LEGAL_FORMS, c)));
            tags.extend(p.sectors.iter().take(3).map(|c| ctx.t.term(&SECTORS, c)));
            EntryView {
                name: p.name_in(ctx.lang.code()).map(str::to_string).unwrap_or_else(|| entry.name.clone()),
                acct: entry.acct.clone(),
                href: safe_href(&entry.page_url).unwrap_or_else(|| "#".into()),
                local: entry.local,
                hub: entry.hub.as_ref().map(|hub| {
                    (
                        ctx.t.t1("directory-hub", "name", &hub.name),
                        safe_href(&hub.page_url).unwrap_or_else(|| "#".into()),
                    )
                }),
                summary: p.summary_in(ctx.lang.code()).or(entry.summary.as_deref()).map(|s| excerpt(s, 240)),
                tags,
                position: entry.position(),
            }
        })
        .collect();
    let mut hidden = Vec::new();
    for (name, _) in directory::FACETS {
        if let Some(value) = query.facet(name) {
            hidden.push((*name, value.to_string()));
        }
    }
    let filtered = query.text().is_some() || !hidden.is_empty();
    let page_label = ctx.t.n2("page-of", ("page", results.page), ("pages", results.pages));
    let title = match query.text() {
        Some(q) => format!("{} : {q}", ctx.t.t("directory-title")),
        None => ctx.t.t("directory-title"),
    };
    let web = &state.shared.config().web;
    let map = directory_map_enabled(&state).then(|| MapView {
        tiles: web.tile_url.clone(),
        attribution: web.tile_attribution.clone(),
        points_url: query.map_url(),
        region_bounds: query
            .facet("region")
            .and_then(maillage_domain::regions::bounds)
            .map(|b| format!("{},{},{},{}", b.south, b.west, b.north, b.east)),
        clustering: crate::assets::clustering_available(),
    });
    let page = DirectoryPage {
        c: ctx.chrome(title),
        q: query.text().unwrap_or_default().to_string(),
        hidden,
        filtered,
        clear_url: "/directory".into(),
        facets,
        results_label: ctx.t.n("directory-results", "count", results.total),
        entries: entry_views,
        pages: results.pages,
        page_label,
        prev_url: (results.page > 1).then(|| query.url_with(None, Some(results.page - 1))),
        next_url: (results.page < results.pages).then(|| query.url_with(None, Some(results.page + 1))),
        map,
    };
    ctx.render(&page)
}

/// One enterprise on the map.
#[derive(Serialize)]
struct MapPoint {
    lat: f64,
    lon: f64,
    name: String,
    href: String,
    hub: Option<String>,
}

/// Every enterprise that a directory query finds and that has a position
/// (not only the page's twenty), for the map to draw and group: at most
/// [`directory::MAP_MAX_POINTS`], `truncated` saying when there were more.
pub async fn directory_map(
    State(state): State<WebState>,
    ctx: Ctx,
    query: Result<Query<DirectoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let refused = |reason: String| (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": reason })));
    let query = match query {
        Ok(Query(query)) => query.with_codes(),
        Err(e) => return Ok(refused(e.body_text()).into_response()),
    };
    if let Err(reason) = query.validate() {
        return Ok(refused(reason).into_response());
    }
    let entries = state.directory_entries().await.map_err(|e| PageError::internal(ctx.lang, e))?;
    let (found, truncated) = directory::positioned(&entries, &query);
    let points: Vec<MapPoint> = found
        .into_iter()
        .filter_map(|entry| {
            let (lat, lon) = entry.position()?;
            Some(MapPoint {
                lat,
                lon,
                name: entry.profile.name_in(ctx.lang.code()).map(str::to_string).unwrap_or_else(|| entry.name.clone()),
                href: safe_href(&entry.page_url)?,
                hub: entry.hub.as_ref().map(|hub| ctx.t.t1("directory-hub", "name", &hub.name)),
            })
        })
        .collect();
    let body = serde_json::json!({ "points": points, "truncated": truncated });
    Ok(([(header::CACHE_CONTROL, "public, max-age=5")], axum::Json(body)).into_response())
}

fn directory_map_enabled(state: &WebState) -> bool {
    crate::assets::map_available() && !state.shared.config().web.tile_url.is_empty()
}

/// The first `max` characters of a text, cut at a word.
fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(char::is_whitespace).map(|(head, _)| head).unwrap_or(&cut);
    format!("{cut}…")
}

/// `?before=ID`: the next page of a list.
#[derive(Deserialize)]
pub struct ListQuery {
    before: Option<String>,
}

impl ListQuery {
    fn before(&self) -> Option<i64> {
        self.before.as_deref().and_then(|b| b.parse().ok())
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    c: Chrome,
    heading: String,
    items: Vec<Card>,
    next_url: Option<String>,
    feed_url: String,
}

pub async fn practices(
    State(state): State<WebState>,
    ctx: Ctx,
    Query(list): Query<ListQuery>,
) -> Result<Response, PageError> {
    let posts = state
        .shared
        .db()
        .practices_page(None, list.before(), LIST_SIZE)
        .await
        .map_err(|e| PageError::internal(ctx.lang, e))?;
    let posts: Vec<Post> = posts.into_iter().filter(Post::is_public).collect();
    let next_url = (posts.len() as i64 == LIST_SIZE)
        .then(|| posts.last().map(|p| format!("/practices?before={}", p.id)))
        .flatten();
    let items = Actors::new(&state).cards(&ctx, &posts).await?;
    let heading = ctx.t.t("practices-title");
    let c = ctx.chrome(heading.clone()).alternate("application/atom+xml", "/feed.atom");
    ctx.render(&ListPage { c, heading, items, next_url, feed_url: "/feed.atom".into() })
}

/// A theme: a hashtag's display name (lower case, as stored).
pub fn normalise_theme(tag: &str) -> Option<String> {
    maillage_domain::tags::display_name(tag.trim().trim_start_matches('#'))
}

#[derive(Template)]
#[template(path = "theme.html")]
struct ThemePage {
    c: Chrome,
    heading: String,
    practices: Vec<Card>,
    next_url: Option<String>,
    updates: Vec<Card>,
    network: Vec<Card>,
    feed_url: String,
}

/// `/tags/NAME`: the practices on a theme (paged), and the latest updates
/// and network posts with that hashtag (the `href` of our `Hashtag`s).
pub async fn theme(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(tag): Path<String>,
    Query(list): Query<ListQuery>,
) -> Result<Response, PageError> {
    let tag = normalise_theme(&tag).ok_or_else(|| PageError::not_found(ctx.lang))?;
    let key = maillage_domain::tags::key(&tag).ok_or_else(|| PageError::not_found(ctx.lang))?;
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    // Practices page on the tag index like the updates, by (time, id).
    let older_than = match list.before() {
        Some(id) => db
            .visible_post(&Reader::anonymous(), id)
            .await
            .map_err(internal)?
            .map(|p| TimelinePosition { time: p.published, id: p.id }),
        None => None,
    };
    let bounds = PageBounds { older_than, ..PageBounds::newest(LIST_SIZE) };
    let posts = db.tagged_posts_of_kind(&key, Some(PostKind::Article), &bounds).await.map_err(internal)?;
    let encoded = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>();
    let next_url = (posts.len() as i64 == LIST_SIZE)
        .then(|| posts.last().map(|p| format!("/tags/{encoded}?before={}", p.id)))
        .flatten();
    let mut actors = Actors::new(&state);
    let practices = actors.cards(&ctx, &posts).await?;
    let updates =
        db.tagged_posts_of_kind(&key, Some(PostKind::Note), &PageBounds::newest(LIST_SIZE)).await.map_err(internal)?;
    let updates = actors.cards(&ctx, &updates).await?;
    let network = db.tagged_remote_objects_page(&key, &PageBounds::newest(LIST_SIZE)).await.map_err(internal)?;
    let network = remote_cards(&state, &ctx, &network).await?;
    let heading = ctx.t.t1("theme-title", "tag", &format!("#{tag}"));
    let feed_url = format!("/feeds/tags/{encoded}");
    let c = ctx.chrome(heading.clone()).alternate("application/atom+xml", &feed_url);
    ctx.render(&ThemePage { c, heading, practices, next_url, updates, network, feed_url })
}

/// One line of an enterprise's profile.
struct Row {
    label: String,
    value: String,
    href: Option<String>,
    rel_me: bool,
}

#[derive(Template)]
#[template(path = "actor.html")]
struct ActorPage {
    c: Chrome,
    ap_id: String,
    name: String,
    acct: String,
    content_lang: &'static str,
    /// (href, label, lang) of the profile in the other language.
    other_language: Option<(String, String, &'static str)>,
    summary: Option<String>,
    rows: Vec<Row>,
    show_posts: bool,
    /// (url, name) of the hub an enterprise belongs to.
    hub: Option<(String, String)>,
    practices: Vec<Card>,
    updates: Vec<Card>,
    feed_url: String,
    /// For a logged-in member: follow this account from here.
    follow: Option<crate::workspace::follows::FollowButton>,
    /// An enterprise's schema.org `Organization`, escaped for its script element.
    json_ld: Option<String>,
    /// Our URLs of its stored logo (avatar) and banner (header).
    logo: Option<String>,
    banner: Option<String>,
}

fn profile_rows(ctx: &Ctx, profile: &EnterpriseProfile) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |key: &str, value: String, href: Option<String>, rel_me: bool| {
        if !value.is_empty() {
            rows.push(Row { label: ctx.t.t(key), value, href, rel_me });
        }
    };
    let terms = |vocabulary: &Vocabulary, codes: &[String]| {
        codes.iter().map(|c| ctx.t.term(vocabulary, c)).collect::<Vec<_>>().join(", ")
    };
    let one = |vocabulary: &Vocabulary, code: &Option<String>| {
        code.as_deref().map(|c| ctx.t.term(vocabulary, c)).unwrap_or_default()
    };
    push("field-legal_form", one(&LEGAL_FORMS, &profile.legal_form), None, false);
    push("field-coop_type", one(&COOP_TYPES, &profile.coop_type), None, false);
    push("field-sectors", terms(&SECTORS, &profile.sectors), None, false);
    push("field-qualifiers", terms(&QUALIFIERS, &profile.qualifiers), None, false);
    push("field-region", one(&REGIONS, &profile.region), None, false);
    push("field-address", profile.address.clone().unwrap_or_default(), None, false);
    let website = profile.website.as_deref().and_then(safe_href);
    push("field-website", profile.website.clone().unwrap_or_default(), website, true);
    push("field-contact", profile.contact.clone().unwrap_or_default(), None, false);
    push("field-founded", profile.founded.map(|y| y.to_string()).unwrap_or_default(), None, false);
    push("field-neq", profile.neq.clone().unwrap_or_default(), None, false);
    push("field-status", one(&STATUSES, &profile.status), None, false);
    push("field-languages", terms(&LANGUAGES, &profile.languages), None, false);
    push("field-scope", one(&SCOPES, &profile.scope), None, false);
    rows
}

/// `GET /actors/NAME` from a browser: the actor's page.
pub async fn actor(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(username): Path<String>,
) -> Result<Response, PageError> {
    let db = state.shared.db();
    let actor = db
        .local_actor_or_tombstone(&username)
        .await
        .map_err(|e| PageError::internal(ctx.lang, e))?
        .filter(|a| a.kind() != ActorKind::Instance)
        .ok_or_else(|| PageError::not_found(ctx.lang))?;
    // A deleted enterprise is gone, as its ActivityPub document is.
    if actor.is_deleted() {
        return Err(PageError::gone(ctx.lang));
    }
    let acct = format!("{}@{}", actor.username, state.domain());
    let profile: Option<EnterpriseProfile> = actor.profile_json.as_deref().and_then(|j| serde_json::from_str(j).ok());
    // The profile in the reader's language when it has one, the other a click away.
    let (name, summary, content_lang, other_language) = match &profile {
        Some(profile) => {
            let (mine, theirs) = match ctx.lang {
                crate::i18n::Lang::Fr => {
                    ((&profile.name_fr, &profile.summary_fr), (&profile.name_en, &profile.summary_en))
                }
                crate::i18n::Lang::En => {
                    ((&profile.name_en, &profile.summary_en), (&profile.name_fr, &profile.summary_fr))
                }
            };
            let has_mine = mine.0.is_some() || mine.1.is_some();
            let has_theirs = theirs.0.is_some() || theirs.1.is_some();
            let (shown, lang) = if has_mine || !has_theirs { (mine, ctx.lang) } else { (theirs, ctx.lang.other()) };
            let name = shown.0.clone().or(profile.name().map(str::to_string)).unwrap_or(actor.display_name.clone());
            let summary = shown.1.clone().or(profile.summary().map(str::to_string));
            let other = (has_mine && has_theirs).then(|| {
                let other = ctx.lang.other();
                let language = ctx.t.term(&LANGUAGES, other.code());
                (
                    format!("/actors/{}?lang={}", actor.username, other.code()),
                    ctx.t.t1("other-language", "language", &language),
                    other.code(),
                )
            });
            (name, summary, lang.code(), other)
        }
        None => {
            (actor.display_name.clone(), Some(actor.summary.clone()).filter(|s| !s.is_empty()), ctx.lang.code(), None)
        }
    };
    let rows = profile.as_ref().map(|p| profile_rows(&ctx, p)).unwrap_or_default();
    let json_ld = (actor.kind() == ActorKind::Enterprise).then(|| {
        let entry = maillage_app::open_data::local_entry(&actor);
        let block = maillage_app::open_data::linked_data::page_block(&entry);
        maillage_app::open_data::linked_data::script_text(&block)
    });
    let show_posts = matches!(actor.kind(), ActorKind::Enterprise | ActorKind::Hub);
    let (practices, updates) = if show_posts {
        let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
        let practices = db.public_posts_of(actor.id, PostKind::Article, None, 10).await.map_err(internal)?;
        let updates = db.public_posts_of(actor.id, PostKind::Note, None, 10).await.map_err(internal)?;
        let mut actors = Actors::new(&state);
        (actors.cards(&ctx, &practices).await?, actors.cards(&ctx, &updates).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let hub = match actor.kind() {
        ActorKind::Enterprise => db
            .local_actor_of_kind(ActorKind::Hub)
            .await
            .map_err(|e| PageError::internal(ctx.lang, e))?
            .map(|hub| (hub.ap_id, hub.display_name)),
        _ => None,
    };
    let feed_url = format!("/feeds/actors/{}", actor.username);
    let follow = crate::workspace::follows::button(&state, &ctx, &actor).await?;
    let c = ctx
        .chrome(format!("{name} (@{acct})"))
        .alternate("application/activity+json", &actor.ap_id)
        .alternate("application/atom+xml", &feed_url)
        .og("og:title", &name)
        .og("og:description", summary.as_deref().map(|s| excerpt(s, 200)).as_deref().unwrap_or_default())
        .og("og:type", "profile")
        .og("og:url", &actor.ap_id)
        .og(
            "og:image",
            profile.as_ref().and_then(|p| p.logo_url.as_deref()).and_then(safe_href).as_deref().unwrap_or_default(),
        );
    let page = ActorPage {
        c,
        ap_id: actor.ap_id.clone(),
        name,
        acct,
        content_lang,
        other_language,
        summary,
        rows,
        show_posts,
        hub,
        practices,
        updates,
        feed_url,
        follow,
        json_ld,
        logo: actor.icon_key.as_deref().map(|k| format!("/media/{k}")),
        banner: actor.image_key.as_deref().map(|k| format!("/media/{k}")),
    };
    ctx.render(&page)
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    c: Chrome,
    language: String,
    title: Option<String>,
    summary: Option<String>,
    warning: Option<String>,
    /// (href, label, lang) of the same update in the other language.
    other_language: Option<(String, String, &'static str)>,
    by_line: String,
    by_url: String,
    by_acct: String,
    published: String,
    content_html: String,
    licence: Option<String>,
    licence_href: Option<String>,
    /// (shown, url segment)
    themes: Vec<(String, String)>,
    adapted_from: Option<(String, String)>,
    adapted_by: Vec<(String, String)>,
    replies: Vec<crate::replies::ReplyView>,
    images: Vec<crate::attachments::ImageView>,
    documents: Vec<crate::attachments::DocumentView>,
    /// A practice's cover picture.
    cover: Option<crate::attachments::ImageView>,
}

/// `GET /objects/ID` from a browser: a practice or an update.
pub async fn object(State(state): State<WebState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let ap_id = format!("{}/objects/{}", state.base_url(), id);
    let post = db.post_by_ap_id(&ap_id).await.map_err(internal)?.ok_or_else(|| PageError::not_found(ctx.lang))?;
    // Gone, for those who could read it: a deleted post that was not for
    // everyone does not say it existed.
    if post.deleted_at.is_some() && post.visibility().is_open() {
        return Err(PageError::gone(ctx.lang));
    }
    // Shown to its audience only: the logged-in member reads as themself
    // and the enterprises they edit; anyone else sees what anyone may read.
    let reader = match &ctx.account {
        Some(account) => db.reader_for_member(&account.actor).await.map_err(internal)?,
        None => Reader::anonymous(),
    };
    let post = db
        .visible_post_by_ap_id(&reader, &ap_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| PageError::not_found(ctx.lang))?;
    let enterprise =
        db.local_actor_by_id(post.actor_id).await.map_err(internal)?.ok_or_else(|| PageError::not_found(ctx.lang))?;
    let themes: Vec<String> = serde_json::from_str(&post.tags_json).unwrap_or_default();
    let themes = themes
        .into_iter()
        .map(|t| {
            let segment = url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
            (t, segment)
        })
        .collect();
    let adapted_from = match post.adapted_from.as_deref().and_then(safe_href) {
        Some(href) => {
            // The title of what anyone may read; else only the link.
            let anyone = Reader::anonymous();
            let label = match db.visible_post_by_ap_id(&anyone, &href).await.map_err(internal)? {
                Some(original) => original.title.unwrap_or(href.clone()),
                None => match db.visible_remote_object_by_ap_id(&anyone, &href).await.map_err(internal)? {
                    Some(original) => original.name.unwrap_or(href.clone()),
                    None => href.clone(),
                },
            };
            Some((href, label))
        }
        None => None,
    };
    let adapted_by = db
        .adaptations_of(&post.ap_id, 20)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|p| (p.ap_id.clone(), p.title.unwrap_or(p.ap_id)))
        .collect();
    let replies = crate::replies::replies_of(&state, &ctx, &reader, &post.ap_id).await.map_err(internal)?;
    let media = db.media_of_posts(&[post.id]).await.map_err(internal)?;
    let (images, documents) = crate::attachments::views(&ctx, &media);
    let cover = crate::attachments::cover_view(&ctx, &media);
    let author = match post.author_id {
        Some(id) => db.local_actor_by_id(id).await.map_err(internal)?,
        None => None,
    };
    let by_line = match &author {
        Some(author) if author.id != enterprise.id => {
            format!("{} ({})", ctx.t.t1("practice-by", "name", &enterprise.display_name), author.display_name)
        }
        _ => ctx.t.t1("practice-by", "name", &enterprise.display_name),
    };
    let title = post
        .title
        .clone()
        .unwrap_or_else(|| format!("{} · {}", enterprise.display_name, date(ctx.lang, &post.published)));
    let shown_language =
        if post.content_in(ctx.lang.code()).is_some() { ctx.lang.code().to_string() } else { post.language.clone() };
    let shown_html = post.content_in(&shown_language).unwrap_or_else(|| post.content_html.clone());
    let description =
        post.summary.clone().unwrap_or_else(|| excerpt(&maillage_domain::html::html_to_text(&shown_html), 200));
    let c = ctx
        .chrome(title)
        .alternate("application/activity+json", &post.ap_id)
        .og("og:title", post.title.as_deref().unwrap_or(&enterprise.display_name))
        .og("og:description", &description)
        .og("og:type", "article")
        .og("og:url", &post.ap_id);
    let other = ctx.lang.other();
    let other_language =
        (post.content_in(other.code()).is_some() && post.content_in(ctx.lang.code()).is_some()).then(|| {
            let label = ctx.t.t1("other-language", "language", &ctx.t.term(&LANGUAGES, other.code()));
            (format!("?lang={}", other.code()), label, other.code())
        });
    let page = PostPage {
        c,
        language: shown_language.clone(),
        title: post.title.clone(),
        summary: post.summary.clone(),
        warning: post.content_warning.clone(),
        other_language,
        by_line,
        by_url: enterprise.ap_id.clone(),
        by_acct: format!("{}@{}", enterprise.username, state.domain()),
        published: ctx.t.t1("published-on", "date", &date(ctx.lang, &post.published)),
        content_html: shown_html,
        licence_href: post.licence.as_deref().and_then(safe_href),
        licence: post.licence.clone(),
        themes,
        adapted_from,
        adapted_by,
        replies,
        images,
        documents,
        cover,
    };
    ctx.render(&page)
}

#[derive(Deserialize)]
pub struct FollowQuery {
    target: Option<String>,
    handle: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    message: String,
}

/// "Follow from your server": looks up the reader's server's remote-follow
/// template (WebFinger `http://ostatus.org/schema/1.0/subscribe`) and sends
/// the reader there with our account filled in. The lookup obeys the domain
/// policies and the SSRF rules like every request to another server.
pub async fn remote_follow(
    State(state): State<WebState>,
    ctx: Ctx,
    Query(query): Query<FollowQuery>,
) -> Result<Response, PageError> {
    use maillage_federation::webfinger::{self, LookupError};
    let target = query.target.unwrap_or_default();
    let handle = query.handle.unwrap_or_default();
    let fail = |message: String| -> Result<Response, PageError> {
        let mut response = ctx.render(&MessagePage { c: ctx.chrome(ctx.t.t("follow-error-title")), message })?;
        *response.status_mut() = StatusCode::BAD_REQUEST;
        Ok(response)
    };
    if target.is_empty() || target.len() > 300 {
        return Err(PageError::bad_request(ctx.lang, "target"));
    }
    let lookup_failed = || fail(ctx.t.t1("follow-error-lookup", "handle", &format!("@{target}")));
    match webfinger::subscribe_template(state.shared.federation().context(), &handle).await {
        Ok(template) => {
            let uri = url::form_urlencoded::byte_serialize(format!("acct:{target}").as_bytes()).collect::<String>();
            match safe_href(&template.replace("{uri}", &uri)) {
                Some(location) => {
                    let mut response = Redirect::to(&location).into_response();
                    ctx.finish(response.headers_mut());
                    Ok(response)
                }
                None => lookup_failed(),
            }
        }
        Err(LookupError::BadHandle(_)) => fail(ctx.t.t("follow-error-handle")),
        Err(LookupError::NotFederated(reason)) => {
            tracing::info!(%reason, "follow from your server: the reader's server is not federated with");
            let server = handle.rsplit_once('@').map_or("", |(_, server)| server);
            fail(ctx.t.t1("follow-error-blocked", "server", server))
        }
        Err(error) => {
            tracing::info!(%error, "follow from your server: the lookup failed");
            lookup_failed()
        }
    }
}
