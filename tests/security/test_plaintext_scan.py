"""Issue 14: after the full demo (seed + story), no table of Mio's holds a secret in plaintext.

Reads every row of every table, as a stolen backup would show it, and looks for every TOTP secret
and recovery-code seed, every platform token (users' and bots'), every re-sync link token and a
relay key. The sandbox's own tables are left out: they are the fake platforms' side (a real
platform holds its tokens too), not Mio's database.
"""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.db import connection

from accounts.models import ResyncLink, Tenant
from accounts.resync.links import token_for
from tokens import vault
from tokens.models import Credential
from tokens.relaykeys import issue_relay_key

SANDBOX_TABLES = "sandbox_"


def dump_mio_tables() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith(SANDBOX_TABLES):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def secrets_at_rest() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"totp": [], "tokens": [], "links": []}
    for row in Authenticator.objects.all():
        for key in ("secret", "seed"):
            if row.data.get(key):
                found["totp"].append(vault.decrypt(row.data[key]))
    for credential in Credential.objects.all():
        for token in (credential.access_token, credential.refresh_token):
            if token:
                found["tokens"].append(token.reveal())
    for link in ResyncLink.objects.all():
        found["links"].append(token_for(link))
    return found


@pytest.mark.django_db(transaction=True)
def test_no_secret_is_stored_in_plaintext_after_the_demo(sandbox) -> None:
    call_command("seed_demo", "--story", stdout=io.StringIO())
    relay_key = issue_relay_key(Tenant.objects.order_by("pk").first())
    found = secrets_at_rest()
    # The demo really made them: dashboard logins with TOTP, tokens on four platforms, links.
    assert len(found["totp"]) >= 3
    assert len(found["tokens"]) >= 20
    assert found["links"]
    dump = dump_mio_tables()
    assert "@" in dump  # the dump really holds the data (people's emails)
    leaks = [
        (kind, value[:12] + "…")
        for kind, values in found.items()
        for value in values
        if value and value in dump
    ]
    assert leaks == []
    assert relay_key not in dump
