//! The network at a glance: enterprises by region, sector, legal form and
//! co-op type (this hub's and the network directory's, counted apart),
//! practices by theme (ours and those of other servers), and this hub's
//! growth month by month. The database counts; this module names the
//! charts, their series and their labels, and writes each chart's numbers
//! as CSV.

use maillage_db::{ProfileFacet, Tally};
use maillage_domain::vocabulary::{COOP_TYPES, LEGAL_FORMS, REGIONS, SECTORS, Vocabulary};
use serde_json::{Value, json};

use crate::{App, AppError};

/// Themes shown, at most.
pub const THEMES_SHOWN: i64 = 20;

/// One chart of the statistics page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Regions,
    Sectors,
    LegalForms,
    CoopTypes,
    Practices,
    Growth,
}

impl Chart {
    pub const ALL: [Chart; 6] =
        [Chart::Regions, Chart::Sectors, Chart::LegalForms, Chart::CoopTypes, Chart::Practices, Chart::Growth];

    /// Its name in URLs (`/statistics/regions.csv`) and in the API.
    pub fn slug(self) -> &'static str {
        match self {
            Chart::Regions => "regions",
            Chart::Sectors => "sectors",
            Chart::LegalForms => "legal_forms",
            Chart::CoopTypes => "coop_types",
            Chart::Practices => "practices",
            Chart::Growth => "growth",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Chart> {
        Chart::ALL.into_iter().find(|chart| chart.slug() == slug)
    }

    /// The names of its two series: this hub's and the network's counts,
    /// or, for growth, the enterprises added in the month and the total.
    pub fn series(self) -> [&'static str; 2] {
        match self {
            Chart::Growth => ["added", "total"],
            _ => ["own", "network"],
        }
    }

    fn vocabulary(self) -> Option<&'static Vocabulary> {
        match self {
            Chart::Regions => Some(&REGIONS),
            Chart::Sectors => Some(&SECTORS),
            Chart::LegalForms => Some(&LEGAL_FORMS),
            Chart::CoopTypes => Some(&COOP_TYPES),
            Chart::Practices | Chart::Growth => None,
        }
    }

    /// What a row is called in `lang` (`fr` or `en`): a controlled value's
    /// label, a theme's hashtag, a month; `None` is "not given".
    pub fn label(self, key: Option<&str>, lang: &str) -> String {
        let Some(key) = key else {
            return if lang == "en" { "Not given".into() } else { "Non précisé".into() };
        };
        match self.vocabulary().and_then(|v| v.get(key)) {
            Some(term) => term.label(lang).to_string(),
            None if self == Chart::Practices => format!("#{key}"),
            None => key.to_string(),
        }
    }
}

/// One bar: its key (a code, a theme, a month) and its two numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: Option<String>,
    pub values: [i64; 2],
}

/// The numbers of one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    pub chart: Chart,
    pub rows: Vec<Row>,
}

/// Every chart, and how many enterprises are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    /// This hub's enterprises, and the network directory's.
    pub enterprises: [i64; 2],
    pub charts: Vec<ChartData>,
}

impl Statistics {
    pub fn chart(&self, chart: Chart) -> Option<&ChartData> {
        self.charts.iter().find(|c| c.chart == chart)
    }
}

/// Most counted first, "not given" last, then by key: the same order on
/// both backends (whose collations differ).
fn rows(tallies: Vec<Tally>) -> Vec<Row> {
    let mut rows: Vec<Row> = tallies.into_iter().map(|t| Row { key: t.item, values: [t.own, t.network] }).collect();
    rows.sort_by(|a, b| {
        let total = |row: &Row| -(row.values[0] + row.values[1]);
        (total(a), a.key.is_none(), &a.key).cmp(&(total(b), b.key.is_none(), &b.key))
    });
    rows
}

/// Reads every chart's numbers.
pub async fn read(app: &App) -> Result<Statistics, AppError> {
    let db = app.db();
    let max_per_server = i64::from(app.config().directory.max_per_server);
    let mut charts = Vec::new();
    for (chart, facet) in [
        (Chart::Regions, ProfileFacet::Region),
        (Chart::Sectors, ProfileFacet::Sector),
        (Chart::LegalForms, ProfileFacet::LegalForm),
        (Chart::CoopTypes, ProfileFacet::CoopType),
    ] {
        let mut tallies = db.enterprise_tallies(facet, max_per_server).await?;
        // Only a co-operative has a type: the others are not "not given".
        if chart == Chart::CoopTypes {
            tallies.retain(|t| t.item.is_some());
        }
        charts.push(ChartData { chart, rows: rows(tallies) });
    }
    charts.push(ChartData { chart: Chart::Practices, rows: rows(db.practice_tallies(THEMES_SHOWN).await?) });
    let mut total = 0;
    let growth = db
        .enterprises_by_month()
        .await?
        .into_iter()
        .map(|month| {
            total += month.count;
            Row { key: Some(month.month), values: [month.count, total] }
        })
        .collect();
    charts.push(ChartData { chart: Chart::Growth, rows: growth });
    // Every enterprise has one legal form or none: its rows count them all.
    let enterprises = charts[2].rows.iter().fold([0, 0], |sum, row| [sum[0] + row.values[0], sum[1] + row.values[1]]);
    Ok(Statistics { enterprises, charts })
}

/// The numbers of one chart as CSV: `code`, its French and English
/// labels, then its two series.
///
/// # Errors
///
/// Only if writing to memory fails.
pub fn csv(data: &ChartData) -> Result<Vec<u8>, AppError> {
    let [first, second] = data.chart.series();
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .map(|row| {
            vec![
                row.key.clone().unwrap_or_default(),
                data.chart.label(row.key.as_deref(), "fr"),
                data.chart.label(row.key.as_deref(), "en"),
                row.values[0].to_string(),
                row.values[1].to_string(),
            ]
        })
        .collect();
    super::table::write_rows(&["code", "label_fr", "label_en", first, second], &rows)
}

/// The statistics as the API gives them.
pub fn json(statistics: &Statistics) -> Value {
    let charts: Vec<Value> = statistics
        .charts
        .iter()
        .map(|data| {
            let [first, second] = data.chart.series();
            let rows: Vec<Value> = data
                .rows
                .iter()
                .map(|row| {
                    json!({
                        "code": row.key,
                        "label": {
                            "fr": data.chart.label(row.key.as_deref(), "fr"),
                            "en": data.chart.label(row.key.as_deref(), "en"),
                        },
                        (first): row.values[0],
                        (second): row.values[1],
                    })
                })
                .collect();
            json!({ "id": data.chart.slug(), "series": [first, second], "rows": rows })
        })
        .collect();
    json!({
        "enterprises": { "own": statistics.enterprises[0], "network": statistics.enterprises[1] },
        "charts": charts,
    })
}
