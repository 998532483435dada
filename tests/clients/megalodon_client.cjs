#!/usr/bin/env node
// A real Mastodon client library (megalodon, from npm: the one behind
// Whalebird and other apps) against Maillage. Driven by the Rust integration
// test `clients::megalodon_*`, with NODE_PATH naming the node_modules that
// `scripts/test` installs megalodon into:
//
//   megalodon_client.cjs setup BASE_URL USERNAME PASSWORD REMOTE_HANDLE
//       registers an app and gets a token through the authorization form,
//       as a person would (copying the out-of-band code; megalodon has no
//       password grant), checks the credentials, posts with a content
//       warning and a hashtag, edits it, reads it back from the tag timeline
//       and the Tag entity, pages the public timeline, finds REMOTE_HANDLE
//       (resolve) and follows it. Prints one JSON object for the Rust side.
//
//   megalodon_client.cjs wait-tag BASE_URL TOKEN TAG TEXT SECONDS
//       polls the tag timeline until a status containing TEXT arrives.
//
// Exit code 0 on success; any failure throws.
'use strict';

const assert = require('node:assert/strict');
const generator = require('megalodon').default;

const SCOPES = ['read', 'write', 'follow'];
const OOB = 'urn:ietf:wg:oauth:2.0:oob';

async function logIn(base, username, password) {
  const app = await generator('mastodon', base).registerApp('maillage-megalodon-test', {
    scopes: SCOPES,
    redirect_uris: OOB,
  });
  const form = new URLSearchParams({
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: OOB,
    scope: SCOPES.join(' '),
    username,
    password,
  });
  const page = await fetch(`${base}/oauth/authorize`, { method: 'POST', body: form });
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const code = /<code id="code">([^<]+)<\/code>/.exec(html)?.[1];
  assert.ok(code, `no code in ${html}`);
  const token = await generator('mastodon', base).fetchAccessToken(app.client_id, app.client_secret, code, OOB);
  return token.access_token;
}

async function setup(base, username, password, remoteHandle) {
  const token = await logIn(base, username, password);
  const client = generator('mastodon', base, token);

  const me = (await client.verifyAccountCredentials()).data;
  assert.equal(me.username, username);

  const posted = (
    await client.postStatus('Le jardin partagé ouvre samedi #Potager', {
      spoiler_text: 'Annonce',
      language: 'fr',
      visibility: 'public',
    })
  ).data;
  assert.equal(posted.spoiler_text, 'Annonce');
  assert.equal(posted.sensitive, true);
  assert.deepEqual(posted.tags.map((t) => t.name), ['potager']);
  const edited = (
    await client.editStatus(posted.id, { status: 'Le jardin partagé ouvre dimanche #Potager', spoiler_text: 'Changement' })
  ).data;
  assert.equal(edited.spoiler_text, 'Changement');
  assert.ok(edited.edited_at, 'an edit has edited_at');

  const tagged = (await client.getTagTimeline('POTAGER', { limit: 5 })).data;
  assert.deepEqual(tagged.map((s) => s.id), [posted.id]);
  assert.ok(tagged[0].content.includes('dimanche'), tagged[0].content);
  const local = (await client.getTagTimeline('potager', { local: true })).data;
  assert.equal(local.length, 1);
  const tag = (await client.getTag('Potager')).data;
  assert.equal(tag.name, 'potager');
  assert.equal(tag.following, false);

  await client.postStatus('Deuxième message');
  const first = await client.getPublicTimeline({ limit: 1 });
  assert.equal(first.data.length, 1);
  assert.match(String(first.headers.link), /rel="next"/);
  const second = (await client.getPublicTimeline({ limit: 1, max_id: first.data[0].id })).data;
  assert.equal(second.length, 1);
  assert.notEqual(second[0].id, first.data[0].id);

  const found = (await client.search(remoteHandle, { type: 'accounts', resolve: true })).data;
  assert.equal(found.accounts.length, 1, JSON.stringify(found));
  const remote = found.accounts[0];
  const relationship = (await client.followAccount(remote.id)).data;
  assert.ok(relationship.following || relationship.requested, JSON.stringify(relationship));

  console.log(JSON.stringify({ token, status: posted.uri, followed: remote.acct }));
}

async function waitTag(base, token, tag, text, seconds) {
  const client = generator('mastodon', base, token);
  const deadline = Date.now() + Number(seconds) * 1000;
  while (Date.now() < deadline) {
    for (const status of (await client.getTagTimeline(tag)).data) {
      if (status.content.includes(text)) {
        console.log(JSON.stringify({ arrived: status.uri, from: status.account.acct, tags: status.tags }));
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`no status containing ${JSON.stringify(text)} reached the tag timeline in ${seconds} s`);
}

const [command, ...args] = process.argv.slice(2);
const commands = { setup, 'wait-tag': waitTag };
if (!commands[command]) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
commands[command](...args).catch((error) => {
  console.error(error?.response?.data ?? error);
  console.error(error?.stack ?? '');
  process.exit(1);
});
