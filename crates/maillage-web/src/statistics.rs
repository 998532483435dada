//! `/statistics`: the network at a glance, one server-drawn SVG bar chart
//! per set of numbers of `maillage_app::open_data::statistics` (no script;
//! colours from `style.css` classes), each with its text alternative
//! (`<title>`, `<desc>`, a table of its numbers) and its numbers as CSV at
//! `/statistics/CHART.csv`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maillage_app::open_data::statistics::{self, Chart, ChartData};

use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx};

/// Geometry of a chart, in SVG user units.
const LABEL_WIDTH: f64 = 250.0;
const BAR_SPACE: f64 = 380.0;
const ROW_HEIGHT: f64 = 26.0;
const WIDTH: f64 = LABEL_WIDTH + BAR_SPACE + 70.0;
/// Labels longer than this are cut in the drawing (the table has them whole).
const LABEL_CHARS: usize = 34;

/// One bar as drawn.
pub struct BarView {
    pub label: String,
    pub short_label: String,
    pub values: [i64; 2],
    /// The y of the row's top, of its text, and the widths of both parts.
    pub y: f64,
    pub text_y: f64,
    pub widths: [f64; 2],
    pub second_x: f64,
    pub value_x: f64,
    pub value_text: String,
}

pub struct ChartView {
    pub slug: &'static str,
    pub title: String,
    pub description: String,
    pub series: [String; 2],
    /// Whether the second series is drawn after the first (counts) or
    /// is a total of its own (growth: only the total is drawn).
    pub stacked: bool,
    pub bars: Vec<BarView>,
    pub width: f64,
    pub height: f64,
    pub bar_height: f64,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct StatisticsPage {
    c: Chrome,
    intro: String,
    charts: Vec<ChartView>,
}

fn chart_view(ctx: &Ctx, data: &ChartData) -> ChartView {
    let lang = ctx.lang.code();
    let chart = data.chart;
    let stacked = chart != Chart::Growth;
    let series = chart.series().map(|name| ctx.t.t(&format!("statistics-series-{name}")));
    // Counts stack this hub's and the network's; growth draws the total.
    let length = |values: &[i64; 2]| if stacked { values[0] + values[1] } else { values[1] };
    let longest = data.rows.iter().map(|row| length(&row.values)).max().unwrap_or(0).max(1) as f64;
    let bars: Vec<BarView> = data
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let label = chart.label(row.key.as_deref(), lang);
            let short_label = if label.chars().count() > LABEL_CHARS {
                format!("{}…", label.chars().take(LABEL_CHARS - 1).collect::<String>())
            } else {
                label.clone()
            };
            let scale = |n: i64| (n as f64) / longest * BAR_SPACE;
            let widths =
                if stacked { [scale(row.values[0]), scale(row.values[1])] } else { [0.0, scale(row.values[1])] };
            let y = i as f64 * ROW_HEIGHT;
            let value_text = if stacked {
                (row.values[0] + row.values[1]).to_string()
            } else {
                format!("{} (+{})", row.values[1], row.values[0])
            };
            BarView {
                label,
                short_label,
                values: row.values,
                y: y + 4.0,
                text_y: y + 18.0,
                second_x: LABEL_WIDTH + widths[0],
                value_x: LABEL_WIDTH + widths[0] + widths[1] + 6.0,
                widths,
                value_text,
            }
        })
        .collect();
    let description = if bars.is_empty() {
        ctx.t.t("statistics-empty")
    } else {
        let colon = if lang == "fr" { " : " } else { ": " };
        bars.iter()
            .map(|bar| {
                format!("{}{colon}{} ({}), {} ({})", bar.label, bar.values[0], series[0], bar.values[1], series[1])
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    ChartView {
        slug: chart.slug(),
        title: ctx.t.t(&format!("statistics-chart-{}", chart.slug())),
        description,
        series,
        stacked,
        height: (bars.len().max(1) as f64) * ROW_HEIGHT + 8.0,
        bars,
        width: WIDTH,
        bar_height: ROW_HEIGHT - 8.0,
    }
}

pub async fn page(State(state): State<WebState>, ctx: Ctx) -> Result<Response, PageError> {
    let numbers = statistics::read(&state.shared.app).await.map_err(|e| PageError::app(ctx.lang, e))?;
    let charts = numbers.charts.iter().map(|data| chart_view(&ctx, data)).collect();
    let intro = ctx.t.n2(
        "statistics-intro",
        ("own", usize::try_from(numbers.enterprises[0]).unwrap_or(0)),
        ("network", usize::try_from(numbers.enterprises[1]).unwrap_or(0)),
    );
    let page = StatisticsPage { c: ctx.chrome(ctx.t.t("statistics-title")), intro, charts };
    ctx.render(&page)
}

/// `/statistics/CHART.csv`: the numbers of one chart.
pub async fn chart_csv(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let chart = file.strip_suffix(".csv").and_then(Chart::from_slug).ok_or_else(|| PageError::not_found(ctx.lang))?;
    let numbers = statistics::read(&state.shared.app).await.map_err(|e| PageError::app(ctx.lang, e))?;
    let data = numbers.chart(chart).ok_or_else(|| PageError::not_found(ctx.lang))?;
    let body = statistics::csv(data).map_err(|e| PageError::app(ctx.lang, e))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(maillage_http::open_data::CACHE_CONTROL));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"statistics-{}.csv\"", chart.slug())) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
