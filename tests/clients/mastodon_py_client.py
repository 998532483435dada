#!/usr/bin/env python3
"""A real Mastodon client library (Mastodon.py, from PyPI) against Maillage.

Driven by the Rust integration test `clients::mastodon_py_*`:

  mastodon_py_client.py setup BASE_URL USERNAME PASSWORD ENTERPRISE REMOTE_HANDLE
      registers an app, logs in with the password grant, checks the
      credentials, posts as the member and as an enterprise the member edits
      (Maillage's `maillage_as` parameter), reads the home and public
      timelines, finds REMOTE_HANDLE with search (resolve=True) and follows
      it. Prints one JSON object with what the Rust side checks next.

  mastodon_py_client.py wait-home BASE_URL TOKEN TEXT SECONDS
      polls the home timeline until a status containing TEXT arrives.

Exit code 0 on success; any failure raises.
"""

import json
import sys
import time

from mastodon import Mastodon

SCOPES = ["read", "write", "follow"]


def setup(base, username, password, enterprise, remote_handle):
    client_id, client_secret = Mastodon.create_app(
        "maillage-mastodon-py-test", scopes=SCOPES, api_base_url=base
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    token = api.log_in(username, password, scopes=SCOPES, allow_http=True)
    api = Mastodon(access_token=token, api_base_url=base)

    me = api.account_verify_credentials()
    assert me.username == username, me

    as_member = api.status_post("Bonjour depuis Mastodon.py #clients", language="fr")
    assert as_member.account.username == username, as_member
    # Posting for an enterprise: Maillage's extension parameter.
    as_enterprise = api._Mastodon__api_request(
        "POST", "/api/v1/statuses", {"status": "Des nouvelles de l'entreprise", "maillage_as": enterprise}
    )
    assert as_enterprise["account"]["username"] == enterprise, as_enterprise

    home = api.timeline_home()
    texts = [status.content for status in home]
    assert any("Mastodon.py" in t for t in texts), texts
    assert any("nouvelles" in t for t in texts), texts
    public = api.timeline_public(local=True)
    assert len(public) >= 2, public

    found = api.search_v2(remote_handle, resolve=True, result_type="accounts")
    assert len(found.accounts) == 1, found
    remote = found.accounts[0]
    relationship = api.account_follow(remote.id)
    assert relationship.following or relationship.requested, relationship

    print(json.dumps({
        "token": token,
        "member_status": as_member.uri,
        "enterprise_status": as_enterprise["uri"],
        "followed": remote.acct,
    }))


def wait_home(base, token, text, seconds):
    api = Mastodon(access_token=token, api_base_url=base)
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        for status in api.timeline_home():
            if text in status.content:
                print(json.dumps({"arrived": status.uri, "from": status.account.acct}))
                return
        time.sleep(0.3)
    raise SystemExit(f"no status containing {text!r} reached the home timeline in {seconds} s")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup(*args)
    elif command == "wait-home":
        wait_home(*args)
    else:
        raise SystemExit(f"unknown command {command}")
