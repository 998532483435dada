//! The network directory: this hub's enterprises and those it has reason to
//! trust (listed by a hub it follows, on that hub's server, at most
//! `directory.max_per_server` per server; see
//! `maillage_db::Database::listed_remote_enterprises_with_hubs`), each with
//! the hub that lists it (ours for our own), searched and faceted in memory.
//!
//! A hub's directory holds hundreds to a few tens of thousands of
//! enterprises; filtering a snapshot of them takes well under a millisecond,
//! so the snapshot is rebuilt from the database at most every
//! [`SNAPSHOT_MAX_AGE`] (several processes sharing one PostgreSQL database see
//! each other's changes within that delay) and only when someone looks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use maillage_db::{Database, DbError};
use maillage_domain::EnterpriseProfile;
use maillage_domain::vocabulary::{COOP_TYPES, LANGUAGES, LEGAL_FORMS, QUALIFIERS, REGIONS, SECTORS, Vocabulary};
use serde::Deserialize;
use tokio::sync::Mutex;
use unicode_normalization::UnicodeNormalization;

pub const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(5);
pub const PAGE_SIZE: usize = 20;
/// Positions the map is given for one query, at most.
pub const MAP_MAX_POINTS: usize = 10_000;
/// Remote enterprises read into the directory, at most.
const REMOTE_MAX: i64 = 50_000;

/// The hub that lists an entry: ours, or a hub ours follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    /// `name@domain`: the value of the `hub` filter.
    pub handle: String,
    pub name: String,
    pub page_url: String,
}

/// One enterprise as the directory shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub summary: Option<String>,
    /// `handle@domain`.
    pub acct: String,
    /// Where its page is: ours for local ones, its hub's for the others.
    pub page_url: String,
    pub local: bool,
    /// `None` only for our enterprises while our hub's actor does not exist.
    pub hub: Option<Hub>,
    pub profile: EnterpriseProfile,
    /// Folded (lower case, no accents) text that the search matches.
    search_text: String,
}

impl Entry {
    pub fn new(
        name: String,
        acct: String,
        page_url: String,
        local: bool,
        hub: Option<Hub>,
        profile: EnterpriseProfile,
    ) -> Self {
        let summary = profile.summary().map(str::to_string);
        let mut text = vec![name.clone(), acct.clone()];
        text.extend(profile.name_fr.iter().chain(&profile.name_en).cloned());
        text.extend(profile.summary_fr.iter().chain(&profile.summary_en).cloned());
        text.extend(profile.address.iter().cloned());
        let labels = |vocabulary: &Vocabulary, code: &str| {
            vocabulary.get(code).map(|t| format!("{} {}", t.fr, t.en)).unwrap_or_default()
        };
        text.extend(profile.sectors.iter().map(|c| labels(&SECTORS, c)));
        text.extend(profile.qualifiers.iter().map(|c| labels(&QUALIFIERS, c)));
        text.extend(profile.region.iter().map(|c| labels(&REGIONS, c)));
        text.extend(profile.legal_form.iter().map(|c| labels(&LEGAL_FORMS, c)));
        text.extend(profile.coop_type.iter().map(|c| labels(&COOP_TYPES, c)));
        let search_text = fold(&text.join(" "));
        Entry { name, summary, acct, page_url, local, hub, profile, search_text }
    }

    pub fn position(&self) -> Option<(f64, f64)> {
        self.profile.latitude.zip(self.profile.longitude)
    }
}

/// Lower case without accents: "Coopérative" and "cooperative" meet.
pub fn fold(text: &str) -> String {
    text.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// A directory query, exactly as its shareable URL carries it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct DirectoryQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub sector: Option<String>,
    #[serde(default)]
    pub legal_form: Option<String>,
    #[serde(default)]
    pub coop_type: Option<String>,
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// A hub's handle (`name@domain`): the entries it lists.
    #[serde(default)]
    pub hub: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

/// Where a facet's values come from.
#[derive(Debug, Clone, Copy)]
pub enum FacetValues {
    /// `local` or `network`.
    Scope,
    /// The hubs of the entries, by handle.
    Hub,
    /// The codes of a controlled list.
    Vocabulary(&'static Vocabulary),
}

/// The facets, in display order: (query parameter, values).
pub const FACETS: &[(&str, FacetValues)] = &[
    ("scope", FacetValues::Scope),
    ("hub", FacetValues::Hub),
    ("region", FacetValues::Vocabulary(&REGIONS)),
    ("sector", FacetValues::Vocabulary(&SECTORS)),
    ("legal_form", FacetValues::Vocabulary(&LEGAL_FORMS)),
    ("coop_type", FacetValues::Vocabulary(&COOP_TYPES)),
    ("qualifier", FacetValues::Vocabulary(&QUALIFIERS)),
    ("language", FacetValues::Vocabulary(&LANGUAGES)),
];

impl DirectoryQuery {
    fn nonempty(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn text(&self) -> Option<&str> {
        Self::nonempty(&self.q)
    }

    /// The selected value of a facet.
    pub fn facet(&self, name: &str) -> Option<&str> {
        Self::nonempty(match name {
            "scope" => &self.scope,
            "hub" => &self.hub,
            "region" => &self.region,
            "sector" => &self.sector,
            "legal_form" => &self.legal_form,
            "coop_type" => &self.coop_type,
            "qualifier" => &self.qualifier,
            "language" => &self.language,
            _ => return None,
        })
    }

    fn set_facet(&mut self, name: &str, value: Option<String>) {
        let slot = match name {
            "scope" => &mut self.scope,
            "hub" => &mut self.hub,
            "region" => &mut self.region,
            "sector" => &mut self.sector,
            "legal_form" => &mut self.legal_form,
            "coop_type" => &mut self.coop_type,
            "qualifier" => &mut self.qualifier,
            "language" => &mut self.language,
            _ => return,
        };
        *slot = value;
    }

    /// The 1-based page asked for; nonsense reads as page 1.
    pub fn page(&self) -> usize {
        Self::nonempty(&self.page).and_then(|p| p.parse::<usize>().ok()).filter(|p| *p >= 1).unwrap_or(1)
    }

    /// The same query with each controlled value as its code, whether it
    /// was given so or by its French or English name (`region=Montréal`).
    pub fn with_codes(mut self) -> Self {
        for (name, values) in FACETS {
            let FacetValues::Vocabulary(vocabulary) = values else { continue };
            if let Some(term) = self.facet(name).and_then(|value| vocabulary.find(value)) {
                self.set_facet(name, Some(term.code.to_string()));
            }
        }
        self
    }

    /// Refuses values outside the controlled lists, naming the parameter.
    pub fn validate(&self) -> Result<(), String> {
        for (name, values) in FACETS {
            let Some(value) = self.facet(name) else { continue };
            let known = match values {
                FacetValues::Vocabulary(vocabulary) => vocabulary.get(value).is_some(),
                FacetValues::Scope => value == "local" || value == "network",
                FacetValues::Hub => maillage_domain::is_account_address(value),
            };
            if !known {
                return Err(format!("{name}={value:?} is not a known value"));
            }
        }
        if self.text().is_some_and(|q| q.chars().count() > 200) {
            return Err("q is longer than 200 characters".into());
        }
        Ok(())
    }

    /// This query's URL (relative, starting with `/directory`), with a facet
    /// changed and back on page 1, or on another page.
    pub fn url_with(&self, facet: Option<(&str, Option<&str>)>, page: Option<usize>) -> String {
        let mut query = self.clone();
        query.page = None;
        if let Some((name, value)) = facet {
            query.set_facet(name, value.map(str::to_string));
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            query.page = Some(page.to_string());
        }
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(q) = query.text() {
            pairs.append_pair("q", q);
        }
        for (name, _) in FACETS {
            if let Some(value) = query.facet(name) {
                pairs.append_pair(name, value);
            }
        }
        if let Some(page) = &query.page {
            pairs.append_pair("page", page);
        }
        let encoded = pairs.finish();
        if encoded.is_empty() { "/directory".to_string() } else { format!("/directory?{encoded}") }
    }

    /// Where the map finds every position this query matches.
    pub fn map_url(&self) -> String {
        let url = self.url_with(None, None);
        url.replacen("/directory", "/directory/map.json", 1)
    }

    fn matches(&self, entry: &Entry, skip_facet: Option<&str>) -> bool {
        if let Some(text) = self.text() {
            let folded = fold(text);
            if !folded.split_whitespace().all(|word| entry.search_text.contains(word)) {
                return false;
            }
        }
        FACETS.iter().filter(|(name, _)| Some(*name) != skip_facet).all(|(name, values)| match self.facet(name) {
            None => true,
            Some(value) => facet_values(entry, name).iter().any(|v| match values {
                FacetValues::Vocabulary(vocabulary) => vocabulary.get(value).is_some_and(|t| t.code == v),
                // Handles are compared as typed, but without case.
                FacetValues::Hub => v.eq_ignore_ascii_case(value),
                FacetValues::Scope => v == value,
            }),
        })
    }
}

/// The values an entry has for a facet.
fn facet_values(entry: &Entry, facet: &str) -> Vec<String> {
    let p = &entry.profile;
    match facet {
        "scope" => vec![if entry.local { "local" } else { "network" }.to_string()],
        "hub" => entry.hub.iter().map(|h| h.handle.clone()).collect(),
        "region" => p.region.iter().cloned().collect(),
        "sector" => p.sectors.clone(),
        "legal_form" => p.legal_form.iter().cloned().collect(),
        "coop_type" => p.coop_type.iter().cloned().collect(),
        "qualifier" => p.qualifiers.clone(),
        "language" => p.languages.clone(),
        _ => Vec::new(),
    }
}

/// One value of a facet with the number of results it would give.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetCount {
    pub code: String,
    pub count: usize,
    pub selected: bool,
    /// The value's own label, for values outside controlled lists (a
    /// hub's name); the page labels the others.
    pub label: Option<String>,
}

/// A facet's values with counts: each facet counts the entries that match
/// every other criterion, so choosing another value of it is one click.
#[derive(Debug, Clone)]
pub struct Facet {
    pub name: &'static str,
    pub kind: FacetValues,
    pub values: Vec<FacetCount>,
}

/// What a query finds.
#[derive(Debug)]
pub struct Results {
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub entries: Vec<Entry>,
    pub facets: Vec<Facet>,
}

/// Runs a query over the entries (sorted by name).
pub fn search(entries: &[Entry], query: &DirectoryQuery) -> Results {
    let matching: Vec<&Entry> = entries.iter().filter(|e| query.matches(e, None)).collect();
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page().min(pages);
    let shown = matching.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE).map(|e| (*e).clone()).collect();
    let facets = FACETS
        .iter()
        .map(|(name, kind)| {
            let selected = query.facet(name);
            let mut counts: Vec<(String, usize, Option<String>)> = match kind {
                FacetValues::Vocabulary(vocabulary) => {
                    vocabulary.terms.iter().map(|t| (t.code.to_string(), 0, None)).collect()
                }
                FacetValues::Scope => vec![("local".to_string(), 0, None), ("network".to_string(), 0, None)],
                FacetValues::Hub => hubs(entries, selected),
            };
            for entry in entries.iter().filter(|e| query.matches(e, Some(name))) {
                for value in facet_values(entry, name) {
                    if let Some(slot) = counts.iter_mut().find(|(code, _, _)| *code == value) {
                        slot.1 += 1;
                    }
                }
            }
            let is_selected = |code: &str| selected.is_some_and(|s| s.eq_ignore_ascii_case(code));
            let values = counts
                .into_iter()
                .filter(|(code, count, _)| *count > 0 || is_selected(code))
                .map(|(code, count, label)| FacetCount { selected: is_selected(&code), code, count, label })
                .collect();
            Facet { name, kind: *kind, values }
        })
        .collect();
    Results { total, page, pages, entries: shown, facets }
}

/// The entries a query finds that have a position, for the map (every page
/// of them, up to [`MAP_MAX_POINTS`]), and whether some were left out.
pub fn positioned<'a>(entries: &'a [Entry], query: &DirectoryQuery) -> (Vec<&'a Entry>, bool) {
    let mut found = entries.iter().filter(|e| e.position().is_some() && query.matches(e, None));
    let points: Vec<&Entry> = found.by_ref().take(MAP_MAX_POINTS).collect();
    (points, found.next().is_some())
}

/// The hubs of the entries, ours first, then by name: (handle, 0, name);
/// a selected handle that no entry has is kept, named by itself.
fn hubs(entries: &[Entry], selected: Option<&str>) -> Vec<(String, usize, Option<String>)> {
    let mut seen: HashMap<&str, (bool, &Hub)> = HashMap::new();
    for entry in entries {
        if let Some(hub) = &entry.hub {
            seen.entry(hub.handle.as_str()).or_insert((entry.local, hub));
        }
    }
    let mut hubs: Vec<(bool, &Hub)> = seen.into_values().collect();
    hubs.sort_by(|(a_local, a), (b_local, b)| {
        b_local.cmp(a_local).then_with(|| fold(&a.name).cmp(&fold(&b.name))).then_with(|| a.handle.cmp(&b.handle))
    });
    let mut out: Vec<_> = hubs.into_iter().map(|(_, hub)| (hub.handle.clone(), 0, Some(hub.name.clone()))).collect();
    if let Some(selected) = selected
        && !out.iter().any(|(handle, _, _)| handle.eq_ignore_ascii_case(selected))
    {
        out.push((selected.to_string(), 0, Some(selected.to_string())));
    }
    out
}

/// The latest snapshot of the directory, rebuilt when older than [`SNAPSHOT_MAX_AGE`].
#[derive(Default)]
pub struct DirectoryCache {
    snapshot: Mutex<Option<(Instant, Arc<Vec<Entry>>)>>,
}

impl DirectoryCache {
    pub async fn entries(&self, db: &Database, domain: &str, max_per_server: u32) -> Result<Arc<Vec<Entry>>, DbError> {
        let mut snapshot = self.snapshot.lock().await;
        if let Some((at, entries)) = snapshot.as_ref()
            && at.elapsed() < SNAPSHOT_MAX_AGE
        {
            return Ok(entries.clone());
        }
        let entries = Arc::new(load(db, domain, max_per_server).await?);
        *snapshot = Some((Instant::now(), entries.clone()));
        Ok(entries)
    }
}

async fn load(db: &Database, domain: &str, max_per_server: u32) -> Result<Vec<Entry>, DbError> {
    let mut entries: Vec<Entry> = db
        .directory_rows(i64::from(max_per_server), REMOTE_MAX)
        .await?
        .into_iter()
        .filter_map(|row| {
            let profile: Option<EnterpriseProfile> =
                row.profile_json.as_deref().and_then(|j| serde_json::from_str(j).ok());
            // Another hub's actor is an enterprise of the directory only
            // when it publishes a profile.
            let profile = match (&row.domain, profile) {
                (None, profile) => profile.unwrap_or_default(),
                (Some(_), Some(profile)) => profile,
                (Some(_), None) => return None,
            };
            let name =
                profile.name().map(str::to_string).or(row.display_name.clone()).unwrap_or_else(|| row.username.clone());
            let acct = format!("{}@{}", row.username, row.domain.as_deref().unwrap_or(domain));
            let hub =
                row.hub.map(|hub| Hub { handle: hub.handle(domain), name: hub.name().to_string(), page_url: hub.page });
            Some(Entry::new(name, acct, row.page, row.domain.is_none(), hub, profile))
        })
        .collect();
    entries.sort_by(|a, b| fold(&a.name).cmp(&fold(&b.name)).then(a.acct.cmp(&b.acct)));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(handle: &str, name: &str) -> Option<Hub> {
        Some(Hub { handle: handle.into(), name: name.into(), page_url: format!("https://{handle}") })
    }

    fn entry(name: &str, local: bool, region: &str, sectors: &[&str], legal_form: &str) -> Entry {
        let profile = EnterpriseProfile {
            name_fr: Some(name.to_string()),
            region: Some(region.to_string()),
            sectors: sectors.iter().map(|s| s.to_string()).collect(),
            legal_form: Some(legal_form.to_string()),
            ..EnterpriseProfile::default()
        };
        let hub = if local { hub("hub@x", "Notre pôle") } else { hub("hub@nord.test", "Pôle du Nord") };
        Entry::new(name.to_string(), format!("{}@x", fold(name)), String::new(), local, hub, profile)
    }

    fn sample() -> Vec<Entry> {
        let sector = SECTORS.terms[0].code;
        let other_sector = SECTORS.terms[1].code;
        vec![
            entry("Boulangerie Coopérative", true, "estrie", &[sector], "cooperative"),
            entry("Café solidaire", true, "estrie", &[other_sector], "nonprofit"),
            entry("Ferme du Nord", false, "montreal", &[sector, other_sector], "cooperative"),
        ]
    }

    #[test]
    fn text_search_ignores_case_and_accents() {
        let entries = sample();
        let query = DirectoryQuery { q: Some("cooperative BOULANG".into()), ..Default::default() };
        let results = search(&entries, &query);
        assert_eq!(results.total, 1);
        assert_eq!(results.entries[0].name, "Boulangerie Coopérative");
        let query = DirectoryQuery { q: Some("montréal".into()), ..Default::default() };
        assert_eq!(search(&entries, &query).entries[0].name, "Ferme du Nord");
    }

    #[test]
    fn facets_count_what_the_other_criteria_leave() {
        let entries = sample();
        let query = DirectoryQuery { region: Some("estrie".into()), ..Default::default() };
        let results = search(&entries, &query);
        assert_eq!(results.total, 2);
        let region = results.facets.iter().find(|f| f.name == "region").unwrap();
        // Counting regions ignores the region filter itself.
        assert_eq!(
            region.values,
            vec![
                FacetCount { code: "estrie".into(), count: 2, selected: true, label: None },
                FacetCount { code: "montreal".into(), count: 1, selected: false, label: None },
            ]
        );
        let scope = results.facets.iter().find(|f| f.name == "scope").unwrap();
        assert_eq!(scope.values, vec![FacetCount { code: "local".into(), count: 2, selected: false, label: None }]);
        let both = DirectoryQuery { scope: Some("network".into()), legal_form: Some("cooperative".into()), ..query };
        assert_eq!(search(&entries, &both).total, 0);
    }

    #[test]
    fn the_hub_facet_names_and_counts_the_hubs_and_filters_by_handle() {
        let mut entries = sample();
        let mut south = entry("Atelier du Sud", false, "estrie", &[], "cooperative");
        south.hub = hub("pole@sud.test", "Pôle du Sud");
        entries.push(south);
        let results = search(&entries, &DirectoryQuery::default());
        let hubs = results.facets.iter().find(|f| f.name == "hub").unwrap();
        let value = |handle: &str, name: &str, count: usize, selected: bool| FacetCount {
            code: handle.into(),
            count,
            selected,
            label: Some(name.into()),
        };
        // Ours first, then by name.
        assert_eq!(
            hubs.values,
            vec![
                value("hub@x", "Notre pôle", 2, false),
                value("hub@nord.test", "Pôle du Nord", 1, false),
                value("pole@sud.test", "Pôle du Sud", 1, false),
            ]
        );
        let north = DirectoryQuery { hub: Some("HUB@nord.test".into()), ..Default::default() };
        assert!(north.validate().is_ok());
        let results = search(&entries, &north);
        assert_eq!(results.entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), vec!["Ferme du Nord"]);
        let hubs = results.facets.iter().find(|f| f.name == "hub").unwrap();
        assert_eq!(hubs.values[1], value("hub@nord.test", "Pôle du Nord", 1, true), "counted without the hub filter");
        let region = results.facets.iter().find(|f| f.name == "region").unwrap();
        assert_eq!(region.values.iter().map(|v| (v.code.as_str(), v.count)).collect::<Vec<_>>(), vec![("montreal", 1)]);
        // A hub no entry has: no results, and the choice stays visible to undo.
        let gone = DirectoryQuery { hub: Some("old@gone.test".into()), ..Default::default() };
        let results = search(&entries, &gone);
        assert_eq!(results.total, 0);
        let hubs = results.facets.iter().find(|f| f.name == "hub").unwrap();
        assert_eq!(hubs.values.len(), 4);
        assert_eq!(hubs.values[3], value("old@gone.test", "old@gone.test", 0, true));
        assert_eq!(
            gone.url_with(Some(("region", Some("estrie"))), None),
            "/directory?hub=old%40gone.test&region=estrie"
        );
        for bad in ["nord.test", "@nord.test", "hub@", "a@b@c", "hub @nord.test"] {
            let query = DirectoryQuery { hub: Some(bad.into()), ..Default::default() };
            assert!(query.validate().unwrap_err().contains("hub"), "{bad}");
        }
    }

    #[test]
    fn urls_are_stable_and_pages_bounded() {
        let query =
            DirectoryQuery { q: Some("café & co".into()), region: Some("estrie".into()), ..Default::default() };
        assert_eq!(query.url_with(None, None), "/directory?q=caf%C3%A9+%26+co&region=estrie");
        assert_eq!(query.url_with(Some(("region", None)), None), "/directory?q=caf%C3%A9+%26+co");
        assert_eq!(
            query.url_with(Some(("sector", Some("x"))), Some(3)),
            "/directory?q=caf%C3%A9+%26+co&region=estrie&sector=x&page=3"
        );
        let far = DirectoryQuery { page: Some("999".into()), ..Default::default() };
        assert_eq!(search(&sample(), &far).page, 1);
        assert_eq!(DirectoryQuery { page: Some("-2".into()), ..Default::default() }.page(), 1);
    }

    #[test]
    fn unknown_values_are_refused_by_name() {
        let query = DirectoryQuery { region: Some("atlantis".into()), ..Default::default() };
        assert!(query.validate().unwrap_err().contains("region"));
        let query = DirectoryQuery { scope: Some("galaxy".into()), ..Default::default() };
        assert!(query.validate().is_err());
        assert!(DirectoryQuery { region: Some("Estrie".into()), ..Default::default() }.validate().is_ok());
    }

    #[test]
    fn controlled_values_are_taken_by_name_and_become_codes() {
        let query = DirectoryQuery {
            region: Some("Montréal".into()),
            coop_type: Some("coopérative de solidarité".into()),
            q: Some("Montréal".into()),
            ..Default::default()
        }
        .with_codes();
        assert_eq!(query.facet("region"), Some("montreal"));
        assert_eq!(query.facet("coop_type"), Some("solidarity"));
        assert_eq!(query.text(), Some("Montréal"), "free text stays as written");
        assert!(query.validate().is_ok());
        assert!(query.url_with(None, None).contains("region=montreal"), "{}", query.url_with(None, None));
        let unknown = DirectoryQuery { region: Some("Atlantide".into()), ..Default::default() }.with_codes();
        assert!(unknown.validate().unwrap_err().contains("region"));
    }
}
