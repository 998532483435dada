// Browser tests of Maillage's web pages, in headless Chromium driven by
// playwright-core. Run by tests/it/web.rs against a live instance:
//   node tests/browser/web.mjs BASE_URL ARTIFACTS_DIR
// Environment: MAILLAGE_CHROMIUM (the browser; default /usr/bin/chromium),
// MAILLAGE_BROWSER_USER / MAILLAGE_BROWSER_PASSWORD (an editor of @ferme).
// Prints one line per check; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(process.env.MAILLAGE_PLAYWRIGHT_DIR + "/");
const { chromium } = require("playwright-core");

const [base, artifacts] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const user = process.env.MAILLAGE_BROWSER_USER;
const password = process.env.MAILLAGE_BROWSER_PASSWORD;

const browser = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ locale: "fr-CA", viewport: { width: 1200, height: 900 } });
// The map's tiles come from the internet, which tests do not reach: the
// page must stay usable without them.
await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
const ok = (what) => console.log(`ok - ${what}`);

/** WCAG relative luminance contrast of two CSS rgb() colours. */
function contrast(a, b) {
  const lum = (css) => {
    const [r, g, bl] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Labels, headings and contrast of the current page. */
async function accessibilityBasics(name) {
  const report = await page.evaluate(() => {
    const unlabeled = [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => el.type !== "hidden")
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
      .map((el) => el.outerHTML);
    const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1]));
    const body = getComputedStyle(document.body);
    const link = document.querySelector("main a");
    return {
      unlabeled,
      levels,
      lang: document.documentElement.lang,
      text: body.color,
      background: body.backgroundColor,
      link: link ? getComputedStyle(link).color : body.color,
    };
  });
  assert.deepEqual(report.unlabeled, [], `${name}: every form field has a label`);
  assert.equal(report.levels.filter((l) => l === 1).length, 1, `${name}: one h1`);
  report.levels.reduce((previous, level) => {
    assert.ok(level <= previous + 1, `${name}: heading levels do not skip (${report.levels})`);
    return level;
  }, 1);
  assert.ok(["fr", "en"].includes(report.lang), `${name}: html lang`);
  assert.ok(contrast(report.text, report.background) >= 4.5, `${name}: text contrast`);
  assert.ok(contrast(report.link, report.background) >= 4.5, `${name}: link contrast`);
}

// 1. The directory: search by keyboard, then two facets.
await page.goto(`${base}/directory`);
await accessibilityBasics("directory");
let reached = false;
for (let i = 0; i < 15 && !reached; i++) {
  await page.keyboard.press("Tab");
  reached = await page.evaluate(() => document.activeElement && document.activeElement.id === "q");
}
assert.ok(reached, "the search field is reachable with Tab");
await page.keyboard.type("coop");
await page.keyboard.press("Enter");
await page.waitForURL(/[?&]q=coop/);
ok("keyboard search of the directory");
const before = await page.locator("#results > li").count();
assert.ok(before >= 3, `several results for "coop" (${before})`);
await page.locator(".facet a", { hasText: "Estrie" }).first().click();
await page.waitForURL(/region=estrie/);
await page.locator("#facet-legal_form + ul a", { hasText: "Coopérative" }).first().click();
await page.waitForURL(/legal_form=cooperative/);
const url = new URL(page.url());
assert.equal(url.searchParams.get("q"), "coop");
assert.equal(url.searchParams.get("region"), "estrie");
const names = await page.locator("#results > li h3").allTextContents();
assert.ok(names.length >= 1 && names.length < before, `facets narrow the results (${names})`);
assert.ok(names.includes("Ferme coopérative du Lac"), `${names}`);
assert.ok(!names.includes("Atelier vélo de Montréal"), "the Montréal co-op is filtered out");
assert.match(await page.locator("#results-heading").textContent(), /entreprise/);
await shot("directory-facets");
ok("two facets applied, shareable URL kept");

// The map's marker opens a popup with the enterprise and its hub.
await page.locator("#map path.leaflet-interactive").first().click();
await page.locator(".leaflet-popup-content a", { hasText: "Ferme coopérative du Lac" }).waitFor();
assert.match(await page.locator(".leaflet-popup-content .hub").textContent(), /^Pôle : /);
ok("the map's popup names the enterprise and its hub");

// The same URL, loaded afresh, gives the same results (stable URLs).
await page.goto(url.toString());
assert.deepEqual(await page.locator("#results > li h3").allTextContents(), names);
ok("the query URL is stable");

// A region filter frames the region, and nearby enterprises are grouped
// into one cluster until the reader zooms in.
await page.goto(new URL("/directory?region=estrie", url).toString());
await page.locator("#map[data-view=region]").waitFor();
const cluster = page.locator("#map .marker-cluster");
await cluster.first().waitFor();
assert.equal((await cluster.first().textContent()).trim(), "2", "Ferme and Café share a cluster");
await shot("directory-map-cluster");
await cluster.first().click();
await page.locator("#map path.leaflet-interactive").nth(1).waitFor();
ok("the map frames the region and clusters nearby enterprises");
await page.goto(url.toString());

// 2. Open an enterprise from the results.
await page.locator("#results a", { hasText: "Ferme coopérative du Lac" }).click();
await page.waitForURL(/\/actors\/ferme/);
assert.equal(await page.locator("h1").textContent(), "Ferme coopérative du Lac");
assert.ok(await page.locator("dl.fields").isVisible());
await accessibilityBasics("enterprise");
await shot("enterprise");
ok("enterprise page opened from the results");

// 3. Log in, post an update, see it on the enterprise page.
await page.locator("header a", { hasText: "Se connecter" }).click();
await page.getByLabel("Nom d’utilisateur ou courriel").fill(user);
await page.getByLabel("Mot de passe").fill(password);
await accessibilityBasics("login");
await page.getByRole("button", { name: "Se connecter" }).click();
await page.waitForURL(/\/workspace/);
await accessibilityBasics("workspace");
const text = `Récolte du jour, vue dans le navigateur ${Date.now()}`;
await page.getByLabel("Au nom de").first().selectOption("ferme");
await page.getByLabel("Texte", { exact: true }).fill(text);
await page.getByRole("button", { name: "Publier", exact: true }).click();
await page.waitForURL(/done=update/);
assert.ok(await page.locator("[role=status]").isVisible());
await shot("workspace");
await page.goto(`${base}/actors/ferme`);
assert.ok(await page.getByText(text).isVisible(), "the update is on the enterprise page");
ok("logged in, posted, update visible");

await photoStep();
await logoStep();

// 4. Switch language.
await page.locator("#switch-language").click();
await page.waitForURL(/lang=en/);
assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
assert.ok(await page.locator("header a", { hasText: "Directory" }).isVisible());
assert.equal(await page.locator("h1").textContent(), "Lake Co-op Farm");
await page.goto(`${base}/`);
assert.equal(await page.evaluate(() => document.documentElement.lang), "en", "the choice is remembered");
await accessibilityBasics("home");
await shot("home-en");
ok("language switched and remembered");

assert.deepEqual(pageErrors, [], "no script errors");

/**
 * The workspace posts an update with a photo, as a member does from a
 * phone: without its alt text first (refused, the photo kept), then with
 * it; the post page shows the photo with that alt text, and it loads.
 * Ends on the enterprise page, where it started.
 */
async function photoStep() {
  const photo = fileURLToPath(new URL("../fixtures/media/phone-photo-gps.jpg", import.meta.url));
  const alt = "Des pommes rouges dans un panier d’osier";
  const text = `Photo de la récolte ${Date.now()}`;
  await page.goto(`${base}/workspace`);
  await page.getByLabel("Au nom de").first().selectOption("ferme");
  await page.getByLabel("Texte", { exact: true }).fill(text);
  await page.getByLabel("Photo 1", { exact: true }).setInputFiles(photo);
  await page.getByRole("button", { name: "Publier", exact: true }).click();
  await page.locator("[role=alert]").waitFor();
  assert.match(await page.locator("[role=alert]").textContent(), /Décrivez la photo 1/);
  assert.equal(await page.getByLabel("Texte", { exact: true }).inputValue(), text, "the text is kept");
  const kept = page.locator("form[action='/workspace/updates'] img.thumbnail");
  await page.waitForFunction(() => {
    const img = document.querySelector("form[action='/workspace/updates'] img.thumbnail");
    return img && img.complete && img.naturalWidth > 0;
  });
  assert.equal(await kept.count(), 1, "the photo is kept, its thumbnail shown to its uploader");
  await shot("workspace-photo-kept");
  ok("a photo without alt text is refused and kept");

  await page.locator("#update-alt-1").fill(alt);
  await page.getByRole("button", { name: "Publier", exact: true }).click();
  await page.waitForURL(/done=update/);
  await page.locator("ul.cards a", { hasText: "Photo de la récolte" }).first().click();
  await page.waitForURL(/\/objects\//);
  const image = page.locator(".attachments img").first();
  assert.equal(await image.getAttribute("alt"), alt);
  assert.equal(await image.getAttribute("loading"), "lazy");
  assert.ok(Number(await image.getAttribute("width")) > 0 && Number(await image.getAttribute("height")) > 0);
  await image.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const img = document.querySelector(".attachments img");
    return img && img.complete && img.naturalWidth > 0;
  });
  const original = await page.locator(".attachments a").first().getAttribute("href");
  assert.match(original, /^\/media\/m\/[0-9a-f]{32}\/original\.jpg$/);
  await shot("post-photo");
  ok("the post page shows the photo with its alt text");
  await page.goto(`${base}/actors/ferme`);
}
/**
 * The workspace uploads a logo on the enterprise's profile form (a plain
 * multipart form, no script); the enterprise's page shows it with the
 * enterprise's name as its alt text, and it loads from our own `/media`.
 * Ends on the enterprise page, where it started.
 */
async function logoStep() {
  const logo = fileURLToPath(new URL("../fixtures/media/animated.gif", import.meta.url));
  await page.goto(`${base}/workspace/enterprises/ferme`);
  await page.getByLabel("Nouveau logo").setInputFiles(logo);
  await page.getByRole("button", { name: "Enregistrer le profil" }).click();
  await page.waitForURL(/saved=1/);
  assert.ok(await page.locator("[role=status]").isVisible());
  await page.goto(`${base}/actors/ferme`);
  const image = page.locator("img.profile-logo");
  assert.equal(await image.getAttribute("alt"), "Ferme coopérative du Lac");
  assert.match(await image.getAttribute("src"), /^\/media\/p\/.+\/icon\.(png|jpg)$/, "our own copy");
  await image.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const img = document.querySelector("img.profile-logo");
    return img && img.complete && img.naturalWidth > 0;
  });
  await shot("enterprise-logo");
  ok("the workspace uploads a logo; the enterprise page shows it with its alt text");
}
await browser.close();
console.log("all browser checks passed");
