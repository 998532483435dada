// The statistics page in headless Chromium (playwright-core), run by
// tests/it/open_data.rs against a live instance with enterprises:
//   node tests/browser/statistics.mjs BASE_URL ARTIFACTS_DIR
// Every chart is drawn (SVG, no script), has its text alternative (a
// role="img" whose aria-labelledby names a non-empty <title> and <desc>)
// and a link to its numbers as CSV, which downloads; nothing breaks the
// Content-Security-Policy; both languages. Screenshot: statistics.png.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.MAILLAGE_PLAYWRIGHT_DIR + "/");
const { chromium } = require("playwright-core");

const [base, artifacts] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ locale: "fr-CA", viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on("pageerror", (e) => problems.push(String(e)));
// Browsers ask for /favicon.ico by themselves; we serve none.
page.on("console", (m) => {
  if (m.type() === "error" && !(m.location()?.url || "").endsWith("/favicon.ico")) problems.push(m.text());
});
const ok = (what) => console.log(`ok - ${what}`);

await page.goto(`${base}/statistics`);
assert.equal(await page.locator("h1").textContent(), "Le réseau en un coup d’œil");
const charts = await page.evaluate(() => [...document.querySelectorAll("section.chart")].map((section) => {
  const svg = section.querySelector("svg");
  const named = (svg?.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent?.trim() || "");
  const link = section.querySelector("a.csv");
  const box = svg?.getBoundingClientRect();
  return {
    id: section.id,
    role: svg?.getAttribute("role"),
    named,
    tags: named.length ? (svg.querySelector("title") ? "title" : "") + (svg.querySelector("desc") ? "desc" : "") : "",
    bars: svg ? svg.querySelectorAll("rect").length : 0,
    drawn: box ? box.width > 100 && box.height > 10 : false,
    csv: link?.getAttribute("href"),
    table: section.querySelectorAll("table tbody tr").length,
  };
}));
assert.equal(charts.length, 6, JSON.stringify(charts));
for (const chart of charts) {
  assert.equal(chart.role, "img", chart.id);
  assert.equal(chart.named.length, 2, `${chart.id}: title and desc`);
  assert.ok(chart.named.every((text) => text.length > 0), `${chart.id}: ${chart.named}`);
  assert.equal(chart.tags, "titledesc", chart.id);
  assert.ok(chart.drawn, `${chart.id} is drawn`);
  assert.match(chart.csv, /^\/statistics\/[a-z_]+\.csv$/, chart.id);
  const response = await page.request.get(`${base}${chart.csv}`);
  assert.equal(response.status(), 200, chart.csv);
  assert.match(response.headers()["content-type"], /^text\/csv/);
  const lines = (await response.text()).trim().split("\n");
  assert.equal(lines.length - 1, chart.table, `${chart.csv}: as many lines as the table has rows`);
}
ok("every chart has role=img, a title and a description, a table and a CSV that downloads");
const regions = charts.find((c) => c.id === "chart-regions");
assert.ok(regions.bars >= 2, "the regions are drawn as bars");
// Colours come from the stylesheet (the CSP allows no inline style).
const fill = await page.locator("#chart-regions rect.bar-own").first().evaluate((el) => getComputedStyle(el).fill);
assert.notEqual(fill, "rgb(0, 0, 0)", "styled by class");
ok(`bars coloured by style.css (${fill})`);
await page.screenshot({ path: `${artifacts}/statistics.png`, fullPage: true });

await page.click("#switch-language");
await page.waitForLoadState();
assert.equal(await page.locator("h1").textContent(), "The network at a glance");
assert.equal(await page.locator("#title-regions").textContent(), "Enterprises by region");
await page.screenshot({ path: `${artifacts}/statistics-en.png`, fullPage: true });
ok("in English too");

// An enterprise's page: its schema.org block is data the browser keeps
// and never runs, so the CSP (script-src 'self') has nothing to refuse.
await page.goto(`${base}/actors/locale`);
const block = await page.evaluate(() => {
  const element = document.querySelector('script[type="application/ld+json"]');
  return element && JSON.parse(element.textContent);
});
assert.equal(block?.["@type"], "Organization", JSON.stringify(block));
assert.match(block.description, /<\/script>/, "the escaped text reads back as written");
ok("an enterprise page's JSON-LD block parses in the browser");

assert.deepEqual(problems, [], "no script error and nothing the CSP refused");
await browser.close();
console.log("all statistics checks passed");
