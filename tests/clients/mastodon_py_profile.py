#!/usr/bin/env python3
"""Mastodon.py (PyPI) sets a member's avatar and header, as apps do.

Driven by the Rust integration test `profile_images::*`:

  mastodon_py_profile.py BASE_URL TOKEN AVATAR_FILE HEADER_FILE
      calls account_update_credentials(avatar=..., header=..., note=...)
      (a multipart PATCH) and prints the Account it answers as JSON.

Exit code 0 on success; any failure raises.
"""

import json
import sys

from mastodon import Mastodon


def main(base, token, avatar, header):
    api = Mastodon(access_token=token, api_base_url=base)
    me = api.account_update_credentials(avatar=avatar, header=header, note="Photo de profil par Mastodon.py")
    print(json.dumps({key: me[key] for key in ("username", "avatar", "avatar_static", "header", "header_static", "note")}))


if __name__ == "__main__":
    main(*sys.argv[1:])
