#!/usr/bin/env node
// fedify-reply.mjs — a peer of the test suite's own, built on the Fedify
// library (npm @fedify/fedify, @fedify/vocab 2.3.6, as installed by
// ../../shared/peers/peer-fedify.sh), that answers a post: it serves an
// actor http://localhost:PORT/i on 127.0.0.1, looks the post up, and sends
// its author a signed Create of a public Note with `inReplyTo` the post and
// a Mention of the author. It then keeps serving (the receiving server
// fetches the actor's key and may fetch the Note) until --duration ends or
// it is sent SIGTERM.
//
//   node fedify-reply.mjs --port P --reply-to URL --text TEXT [--duration SECONDS]
//
// Output: one JSON object per line ({"event": ...}); {"event":"sent",...}
// once the Create was accepted by the author's inbox. Exit code 0 when it
// was, 1 otherwise.
import http from "node:http";
import process from "node:process";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import { Create, Endpoints, Image, Mention, Note, Person, PUBLIC_COLLECTION, isActor, lookupObject } from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import { Temporal } from "@js-temporal/polyfill";

const emit = (event, data = {}) => console.log(JSON.stringify({ event, ...data }));
const opts = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, "").replace(/-(.)/g, (_, c) => c.toUpperCase())] = argv[i + 1];
if (!opts.port || !opts.replyTo || !opts.text) {
  console.error("usage: fedify-reply.mjs --port P --reply-to URL --text TEXT [--image URL] [--duration SECONDS]");
  process.exit(2);
}

const origin = `http://localhost:${opts.port}`;
const loader = getDocumentLoader({ allowPrivateAddress: true });
const notes = new Map();
let keyPairs;
const federation = createFederation({
  kv: new MemoryKvStore(), allowPrivateAddress: true, origin,
  firstKnock: "draft-cavage-http-signatures-12",
});
federation.setActorDispatcher("/{identifier}", async (ctx, identifier) => {
  if (identifier !== "i") return null;
  const pairs = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier), preferredUsername: identifier, name: "Fedify replier",
    inbox: ctx.getInboxUri(identifier), outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier), following: ctx.getFollowingUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: pairs[0].cryptographicKey, assertionMethods: pairs.map((p) => p.multikey),
  });
}).setKeyPairsDispatcher(async (_ctx, identifier) => {
  if (identifier !== "i") return [];
  keyPairs ??= [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];
  return keyPairs;
});
federation.setFollowersDispatcher("/{identifier}/followers", () => ({ items: [] }));
federation.setFollowingDispatcher("/{identifier}/following", () => ({ items: [] }));
federation.setOutboxDispatcher("/{identifier}/outbox", () => ({ items: [] }));
federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => notes.get(id) ?? null);
federation.setInboxListeners("/{identifier}/inbox", "/inbox");

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) v.forEach((x) => headers.append(k, x)); else if (v != null) headers.set(k, v);
    }
    const request = new Request(new URL(req.url, origin), {
      method: req.method, headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : Buffer.concat(chunks),
    });
    const response = await federation.fetch(request, { contextData: undefined });
    emit("http", { method: req.method, path: req.url, status: response.status });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) { emit("error", { error: String(e?.stack ?? e) }); res.writeHead(500); res.end(); }
});
await new Promise((r) => server.listen(Number(opts.port), "127.0.0.1", r));
const ctx = federation.createContext(new URL(origin), undefined);
emit("listening", { actor: ctx.getActorUri("i").href });

let code = 1;
const finish = () => { emit("done", { code }); server.close(); setTimeout(() => process.exit(code), 100); };
process.on("SIGTERM", finish);
process.on("SIGINT", finish);
setTimeout(finish, Number(opts.duration ?? 60) * 1000);

try {
  const lookup = { documentLoader: loader, contextLoader: loader, allowPrivateAddress: true };
  const post = await lookupObject(opts.replyTo, lookup);
  if (post == null) throw new Error(`could not look up ${opts.replyTo}`);
  const author = await post.getAttribution(lookup);
  if (!isActor(author)) throw new Error(`the author of ${opts.replyTo} is not an actor`);
  const id = crypto.randomUUID();
  const note = new Note({
    id: ctx.getObjectUri(Note, { id }), attribution: ctx.getActorUri("i"),
    to: PUBLIC_COLLECTION, ccs: [author.id],
    replyTarget: new URL(opts.replyTo),
    content: `<p>${opts.text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`,
    tags: [new Mention({ href: author.id, name: `@${author.preferredUsername}@${author.id.host}` })],
    published: Temporal.Now.instant(),
    // --image URL: a photo attached, as Fedify sends one.
    attachments: opts.image ? [new Image({ url: new URL(opts.image), mediaType: "image/jpeg", name: "Une photo de Fedify" })] : [],
  });
  notes.set(id, note);
  await ctx.sendActivity({ identifier: "i" }, author, new Create({
    id: new URL(`${note.id.href}#create`), actor: ctx.getActorUri("i"), object: note,
    to: PUBLIC_COLLECTION, ccs: [author.id], published: note.published,
  }), { immediate: true });
  code = 0;
  emit("sent", { type: "Create", note: note.id.href, inReplyTo: opts.replyTo, to: author.id.href, inbox: author.inboxId?.href });
} catch (e) {
  emit("send_failed", { error: String(e?.stack ?? e) });
  finish();
}
