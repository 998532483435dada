#!/usr/bin/env node
// megalodon (npm) posting an update with two photos, as an app does.
// Driven by the Rust integration test `media_clients::megalodon_*`, with
// NODE_PATH naming the node_modules that `scripts/test` installs it into:
//
//   megalodon_media.cjs BASE_URL TOKEN PHOTO1 ALT1 PHOTO2 ALT2
//       uploads both photos with `uploadMedia` (with their descriptions),
//       posts a status with `media_ids`, reads it back, and prints one JSON
//       object: the status's uri and its media attachments.
//
// Exit code 0 on success; any failure throws.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const generator = require('megalodon').default;

async function main(base, token, photo1, alt1, photo2, alt2) {
  const client = generator('mastodon', base, token);
  const first = (await client.uploadMedia(fs.createReadStream(photo1), { description: alt1 })).data;
  const second = (await client.uploadMedia(fs.createReadStream(photo2), { description: alt2 })).data;
  assert.equal(first.type, 'image');
  assert.equal(first.description, alt1);
  const posted = (await client.postStatus('Deux photos depuis megalodon', { media_ids: [first.id, second.id] })).data;
  assert.deepEqual(posted.media_attachments.map((m) => m.id), [first.id, second.id]);
  const readBack = (await client.getStatus(posted.id)).data;
  const attachments = readBack.media_attachments.map((m) => ({
    type: m.type,
    url: m.url,
    preview_url: m.preview_url,
    description: m.description,
    meta: {
      original: { width: m.meta.original.width, height: m.meta.original.height },
      small: { width: m.meta.small.width, height: m.meta.small.height },
    },
  }));
  console.log(JSON.stringify({ uri: posted.uri, media_attachments: attachments }));
}

main(...process.argv.slice(2)).catch((error) => {
  console.error(error?.response?.data ?? error);
  console.error(error?.stack ?? '');
  process.exit(1);
});
