// Claiming an enterprise's profile in a real browser (headless Chromium,
// playwright-core), from the link of the invitation e-mail that the SMTP
// server received. Run by tests/it/mail.rs:
//   node tests/browser/claim.mjs BASE_URL CLAIM_LINK ARTIFACTS_DIR
// The person creates their account on the link's page, lands on the
// enterprise's profile as its owner, publishes an update for it and sees it
// on its page; the same link then shows that it was already used.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.MAILLAGE_PLAYWRIGHT_DIR + "/");
const { chromium } = require("playwright-core");

const [base, link, artifacts] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ locale: "fr-CA", viewport: { width: 1200, height: 900 } });
await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
const ok = (what) => console.log(`ok - ${what}`);

// 1. The link of the e-mail: the claim page, then a new account.
const opened = await page.goto(link);
assert.equal(opened.status(), 200);
assert.match(await page.locator("h1").textContent(), /Réclamer la fiche de Coop du Lac/);
await shot("claim");
await page.getByLabel("Nom d’utilisateur (lettres a-z, chiffres, _)").fill("claire");
await page.getByLabel("Mot de passe").fill("un mot de passe sûr");
await page.getByRole("button", { name: /Créer mon compte et réclamer/ }).click();
await page.waitForURL(/\/workspace\/enterprises\/coop$/);
ok("account created from the e-mailed link; the profile opens for its owner");

// 2. The new owner publishes for the enterprise.
await page.goto(`${base}/workspace`);
const text = `Première nouvelle de Coop du Lac ${Date.now()}`;
await page.getByLabel("Au nom de").first().selectOption("coop");
await page.getByLabel("Texte", { exact: true }).fill(text);
await page.getByRole("button", { name: "Publier", exact: true }).click();
await page.waitForURL(/done=update/);
await page.goto(`${base}/actors/coop`);
assert.ok(await page.getByText(text).isVisible(), "the update is on the enterprise page");
await shot("claimed-enterprise");
ok("the owner published for the enterprise");

// 3. The link works once.
const again = await (await browser.newContext({ locale: "fr-CA" })).newPage();
const reused = await again.goto(link);
assert.equal(reused.status(), 410);
assert.match(await again.locator("main").textContent(), /déjà servi/);
await again.screenshot({ path: `${artifacts}/claim-reused.png`, fullPage: true });
ok("the used link is refused with a page that says so");

assert.deepEqual(pageErrors, [], "no script errors");
await browser.close();
console.log("all claim checks passed");
