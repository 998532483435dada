// Expands JSON-LD documents with jsonld.js (the reference JavaScript
// processor), offline: schema.org's context is read from
// tests/fixtures/jsonld (the part of https://schema.org/docs/jsonldcontext.jsonld
// our documents use), and any other remote context is an error.
//   node tests/browser/jsonld.mjs FILE...
// Prints one expanded document (JSON) per line.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.MAILLAGE_PLAYWRIGHT_DIR + "/");
const jsonld = require("jsonld");

const here = new URL(".", import.meta.url).pathname;
const schemaOrg = JSON.parse(readFileSync(`${here}../fixtures/jsonld/schema.org-context.jsonld`, "utf8"));
const shipped = {
  "https://schema.org": schemaOrg,
  "https://schema.org/": schemaOrg,
  "http://schema.org": schemaOrg,
  "http://schema.org/": schemaOrg,
};

const documentLoader = async (url) => {
  const document = shipped[url];
  if (!document) throw new Error(`no shipped context for ${url} (nothing is fetched)`);
  return { contextUrl: null, documentUrl: url, document };
};

for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const expanded = await jsonld.expand(doc, { documentLoader, safe: true });
  console.log(JSON.stringify(expanded));
}
