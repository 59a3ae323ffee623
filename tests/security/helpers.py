"""Shared by the security tests: the state of the database, and platform-signed requests."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.apps import apps
from django.conf import settings
from django.db import connection
from slack_sdk.signature import SignatureVerifier

# Bookkeeping that a refused or acknowledged request may touch without changing anything that
# matters: a platform event id remembered for de-duplication (purged after 7 days).
DEDUP_TABLES = {"tokens_processedevent"}
# Counted for every request a relay key makes, refused or not (api.keys.count_use): a key's daily
# use, never anything a request could change for an account.
USE_COUNT_TABLES = frozenset({"api_keyuse"})


def tables() -> list[str]:
    """Every table of every installed model (the project's, allauth's, django-q's, Django's)."""
    return sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed})


def row_counts(exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    names = [t for t in tables() if t not in exclude]
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in names)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(names, cursor.fetchone(), strict=True))


def credential_state() -> str:
    """A digest of every credential's state, situation, schedule and claim."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, state, situation, next_check_at, claimed_by, failure_count "
            "FROM tokens_credential ORDER BY id"
        )
        return hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()


def snapshot(exclude: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, int], str]:
    return row_counts(set(exclude) | USE_COUNT_TABLES), credential_state()


def slack_headers(body: bytes | str, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    secret = settings.PLATFORM_APPS["slack"]["signing_secret"]
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=raw)
    return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": signature}


def zoom_headers(body: bytes | str, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time() * 1000) if timestamp is None else timestamp)
    secret = settings.PLATFORM_APPS["zoom"]["webhook_secret"].encode()
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    digest = hmac.new(secret, f"v0:{stamp}:{raw}".encode(), hashlib.sha256).hexdigest()
    return {"HTTP_X_ZM_REQUEST_TIMESTAMP": stamp, "HTTP_X_ZM_SIGNATURE": f"v0={digest}"}


GRAPH_TENANT = "5a0b3c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"


def graph_state(tenant: str = GRAPH_TENANT) -> str:
    """The clientState of the subscription for ``tenant`` (one per subscription, issue 14)."""
    from platforms.teams.subscriptions import client_state_for

    return client_state_for(tenant)
