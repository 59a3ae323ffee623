"""A database dump holds no token in plaintext, after everything that writes tokens has run.

tests/test_vault.py dumps a database holding freshly stored tokens. This one dumps it after a
whole sandbox flow on each platform: provisioning, checks (Teams redeems and rotates its refresh
token on every check), a prompt delivered to the platform, a re-sync through the real OAuth
pages (new tokens stored), the confirmations, and a relay key issued and used. The dump is what
a stolen backup holds: ``pg_dump`` on PostgreSQL, SQLite's own ``.dump`` on SQLite.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import requests
from django.db import connection

from accounts.resync.links import url_for
from notifications.models import OutboxMessage
from notifications.tests.browser import Browser
from notifications.tests.world import PLATFORMS, build
from tests.reliability.conftest import database_url
from tokens.models import Credential
from tokens.relaykeys import issue_relay_key
from tokens.secret import reveal


def dump() -> str:
    if connection.vendor == "postgresql" and shutil.which("pg_dump"):
        done = subprocess.run(  # noqa: S603 - the system's pg_dump on the test database
            [shutil.which("pg_dump") or "pg_dump", "--data-only", database_url()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


def tokens_now() -> set[str]:
    """Every token the database holds right now, decrypted: what must not appear in a dump."""
    found = set()
    for credential in Credential.objects.all():
        for secret in (credential.access_token, credential.refresh_token):
            plain = reveal(secret)
            if plain:
                found.add(plain)
    return found


def test_it_keeps_every_token_out_of_a_dump_after_checks_prompts_and_a_resync(
    sandbox, live_server
) -> None:
    seen: set[str] = set()
    for platform in PLATFORMS:
        world = build(sandbox, platform, users=2, admins=1)
        seen |= tokens_now()
        world.check()  # healthy checks (Teams: a refresh, rotated tokens stored)
        seen |= tokens_now()
        user = world.users[0]
        world.break_(user, "grant_revoked")
        world.check(user)
        row = OutboxMessage.objects.get(template="user_prompt", recipient=user.person)
        assert row.status == "sent"
        browser = Browser()
        done = browser.sign_in(browser.get(url_for(row.resync_link)))
        assert 'data-page="resync-success"' in done.text, done.text[:500]
        world.check()
        seen |= tokens_now()
    key = issue_relay_key(world.tenant, "dump test")
    answer = requests.post(
        f"{live_server.url}/api/relay-failures/",
        headers={"Authorization": f"Bearer {key}"},
        json={"platform": world.platform, "user": world.users[1].email, "status": 429, "body": ""},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text

    text = dump()
    assert world.users[1].email in text  # the dump really holds the data
    assert seen, "no token was ever stored"
    leaked = [
        token[:8] + "…"
        for token in seen | {key}
        if token in text or json.dumps(token)[1:-1] in text
    ]
    assert leaked == []
