#!/usr/bin/env python3
"""Mastodon.py (PyPI) posting an update with two photos, as an app does.

Driven by the Rust integration test `media_clients::mastodon_py_*`:

  mastodon_py_media.py BASE_URL TOKEN PHOTO1 ALT1 PHOTO2 ALT2
      uploads both photos with `media_post` (their descriptions given at
      upload), posts a status with `media_ids`, reads it back, and prints
      one JSON object: the status's uri and its media attachments.

Exit code 0 on success; any failure raises.
"""

import json
import sys

from mastodon import Mastodon


def main(base, token, photo1, alt1, photo2, alt2):
    api = Mastodon(access_token=token, api_base_url=base)
    first = api.media_post(photo1, description=alt1)
    second = api.media_post(photo2, description=alt2)
    assert first.type == "image", first
    assert first.description == alt1, first
    posted = api.status_post("Deux photos depuis Mastodon.py", media_ids=[first, second], language="fr")
    assert [m.id for m in posted.media_attachments] == [first.id, second.id], posted.media_attachments
    read_back = api.status(posted.id)
    attachments = [
        {
            "type": m.type,
            "url": m.url,
            "preview_url": m.preview_url,
            "description": m.description,
            "meta": {
                "original": {"width": m.meta.original.width, "height": m.meta.original.height},
                "small": {"width": m.meta.small.width, "height": m.meta.small.height},
            },
        }
        for m in read_back.media_attachments
    ]
    print(json.dumps({"uri": posted.uri, "media_attachments": attachments}))


if __name__ == "__main__":
    main(*sys.argv[1:])
