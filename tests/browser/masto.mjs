// A web client in a real browser, as Elk and Phanpy are: a page served from
// another origin loads masto (their client library, from npm, bundled for
// the page by esbuild), registers an app, signs in through Maillage's OAuth
// form with PKCE, then reads the home timeline, posts, edits the profile
// (masto sends it as multipart) and reads the notifications — every call a
// cross-origin fetch that needs CORS. Run by tests/it/web.rs:
//   node tests/browser/masto.mjs BASE_URL
// Environment: MAILLAGE_PLAYWRIGHT_DIR (node_modules with playwright-core,
// masto and esbuild), MAILLAGE_CHROMIUM, MAILLAGE_BROWSER_USER and
// MAILLAGE_BROWSER_PASSWORD (a member who has been mentioned).
// Prints one line per check; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createRequire } from "node:module";

const modules = process.env.MAILLAGE_PLAYWRIGHT_DIR;
const require = createRequire(modules + "/");
const { chromium } = require("playwright-core");
const esbuild = require("esbuild");

const [base] = process.argv.slice(2);
const user = process.env.MAILLAGE_BROWSER_USER;
const password = process.env.MAILLAGE_BROWSER_PASSWORD;
const ok = (what) => console.log(`ok - ${what}`);

const bundle = esbuild.buildSync({
  stdin: { contents: 'export * from "masto";', resolveDir: modules, loader: "js" },
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
}).outputFiles[0].text;
const page_html = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Client web</title></head>
<body><p id="status">…</p><script type="module">
import * as masto from "/masto.js";
window.masto = masto;
document.getElementById("status").textContent = "prêt";
</script></body></html>`;

// The client's own origin: another port than Maillage's.
const server = createServer((request, response) => {
  const path = new URL(request.url, "http://client").pathname;
  if (path === "/masto.js") {
    response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
    response.end(bundle);
  } else if (path === "/favicon.ico") {
    response.writeHead(204);
    response.end();
  } else if (path === "/" || path === "/callback") {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(page_html);
  } else {
    response.writeHead(404);
    response.end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const client = `http://127.0.0.1:${server.address().port}`;
assert.notEqual(new URL(client).origin, new URL(base).origin, "the client is on another origin");

const browser = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const failures = [];
  page.on("pageerror", (e) => failures.push(String(e)));
  page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && failures.push(`${r.url()}: ${r.status()}`));
  await page.goto(`${client}/`);
  await page.waitForFunction(() => window.masto);

  // 1. The app registers itself and prepares PKCE, from the client's origin.
  const started = await page.evaluate(async ({ base, client }) => {
    const rest = window.masto.createRestAPIClient({ url: base });
    const app = await rest.v1.apps.create({
      clientName: "Client web de test",
      redirectUris: `${client}/callback`,
      scopes: "read write follow",
    });
    const encode = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const verifier = encode(crypto.getRandomValues(new Uint8Array(32)));
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    sessionStorage.setItem("pkce", JSON.stringify({ verifier, id: app.clientId, secret: app.clientSecret }));
    return { id: app.clientId, challenge: encode(new Uint8Array(digest)) };
  }, { base, client });
  assert.ok(started.id, "the app got a client id");
  ok("an app registered from another origin");

  // 2. The member signs in on Maillage's own form, which sends the browser
  //    back to the client with a code.
  const authorize = new URL(`${base}/oauth/authorize`);
  for (const [key, value] of Object.entries({
    response_type: "code", client_id: started.id, redirect_uri: `${client}/callback`, scope: "read write follow",
    code_challenge: started.challenge, code_challenge_method: "S256", state: "etat-42",
  })) {
    authorize.searchParams.set(key, value);
  }
  await page.goto(authorize.href);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${client}/callback**`), page.click("button[type=submit]")]);
  const back = new URL(page.url());
  assert.equal(back.searchParams.get("state"), "etat-42");
  assert.ok(back.searchParams.get("code"), "a code came back");
  ok("signed in on the OAuth form and sent back with a code");
  await page.waitForFunction(() => window.masto);

  // 3. The client redeems the code with its verifier and uses the API.
  const seen = await page.evaluate(async ({ base, client }) => {
    const { verifier, id, secret } = JSON.parse(sessionStorage.getItem("pkce"));
    const code = new URL(location.href).searchParams.get("code");
    const oauth = window.masto.createOAuthAPIClient({ url: base });
    const token = await oauth.token.create({
      grantType: "authorization_code", clientId: id, clientSecret: secret, redirectUri: `${client}/callback`,
      code, codeVerifier: verifier, scope: "read write follow",
    });
    const rest = window.masto.createRestAPIClient({ url: base, accessToken: token.accessToken });
    const me = await rest.v1.accounts.verifyCredentials();
    const before = await rest.v1.timelines.home.list({ limit: 20 });
    const posted = await rest.v1.statuses.create({ status: "Bonjour depuis un navigateur #coop", visibility: "public" });
    const after = await rest.v1.timelines.home.list({ limit: 20 });
    const notifications = await rest.v1.notifications.list({ limit: 20 });
    const renamed = await rest.v1.accounts.updateCredentials({ displayName: "Marie, du web" });
    const instance = await rest.v2.instance.fetch();
    return {
      me: me.username,
      before: before.length,
      posted: { id: posted.id, content: posted.content, account: posted.account.username },
      after: after.map((s) => s.id),
      notifications: notifications.map((n) => ({ type: n.type, from: n.account.username, status: n.status?.content })),
      renamed: renamed.displayName,
      streaming: instance.configuration.urls.streaming,
    };
  }, { base, client });
  assert.equal(seen.me, user);
  ok("the code redeemed with PKCE; verify_credentials answers");
  assert.equal(seen.posted.account, user);
  assert.match(seen.posted.content, /Bonjour depuis un navigateur/);
  assert.ok(seen.after.includes(seen.posted.id), `the new post is on the home timeline: ${seen.after}`);
  ok(`home timeline read (${seen.before} then ${seen.after.length} statuses), a status posted`);
  const mention = seen.notifications.find((n) => n.type === "mention");
  assert.ok(mention, `a mention among the notifications: ${JSON.stringify(seen.notifications)}`);
  assert.match(mention.status, /bonjour/i);
  ok(`notifications read (mention from ${mention.from})`);
  assert.equal(seen.renamed, "Marie, du web");
  ok("profile edited (multipart)");
  assert.ok(seen.streaming.startsWith("ws"), `streaming URL: ${seen.streaming}`);
  assert.deepEqual(failures, [], "no error in the page");
  console.log("all masto checks passed");
} finally {
  await browser.close();
  server.close();
}
