"""Relay keys: one tenant's key reads nothing of another's, revoked keys fail at once, scopes,
the per-key rate limit, per-day use counts, audited create/revoke and ``manage.py relay_key``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from api.keys import create_key, flush_uses, revoke_key
from api.models import KeyUse
from dashboard.models import AuditEntry
from dashboard.tests.factories import make_incident, make_tenant, populate
from tokens.models import CheckRecord, Credential, RelayApiKey
from tokens.relaykeys import authenticate


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the per-key rate windows
    yield
    cache.clear()


@pytest.fixture
def two(db) -> dict[str, Any]:
    a, b = make_tenant("acme"), make_tenant("globex")
    data_a, data_b = populate(a, 4), populate(b, 4)
    make_incident(data_b["accounts"][0], situation="grant_revoked")
    return {"a": a, "b": b, "data_a": data_a, "data_b": data_b}


def call(client: Client, key: str | None, method: str, resource: str, **kw: Any):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    url = f"/api/v1/{resource}/"
    if method == "post":
        return client.post(url, kw, content_type="application/json", headers=headers)
    return client.get(url, kw, headers=headers)


def test_it_shows_a_tenant_a_key_nothing_of_tenant_b(client, two) -> None:
    _, key = create_key(two["a"])
    a_ids = {a.pk for a in two["data_a"]["accounts"]}
    b_accounts = two["data_b"]["accounts"]

    listed = call(client, key, "get", "accounts").json()["items"]
    assert {i["id"] for i in listed} == a_ids
    for state in ("healthy", "waiting_user"):
        got = call(client, key, "get", "accounts", state=state).json()["items"]
        assert {i["id"] for i in got} <= a_ids

    incidents = call(client, key, "get", "incidents").json()["items"]
    b_incidents = set(two["b"].incidents.values_list("pk", flat=True))
    assert incidents
    assert b_incidents
    assert not {i["id"] for i in incidents} & b_incidents

    for account in b_accounts:
        for user in (account.upstream_user_id, account.email):
            answer = call(client, key, "post", "tokens", platform=account.platform, user=user)
            assert answer.status_code == 404
            assert "access_token" not in answer.json()

    target = b_accounts[0]
    before = Credential.objects.get(pk=target.credential_id)
    events = [
        {"platform": target.platform, "user": target.email, "outcome": "ok"},
        {
            "platform": target.platform,
            "user": target.email,
            "outcome": "error",
            "status": 401,
            "body": {"error": {"code": "InvalidAuthenticationToken"}},
        },
    ]
    answer = call(client, key, "post", "relay-events", events=events)
    assert answer.status_code == 202
    assert [r["error"] for r in answer.json()["results"]] == ["no such account"] * 2
    after = Credential.objects.get(pk=target.credential_id)
    assert after.last_used_at == before.last_used_at
    assert not CheckRecord.objects.filter(credential=after, source="relay").exists()


def test_it_refuses_a_revoked_key_at_once_on_every_endpoint(client, two) -> None:
    row, key = create_key(two["a"])
    account = two["data_a"]["accounts"][0]
    assert call(client, key, "get", "accounts").status_code == 200
    revoke_key(row, actor="test")
    answers = [
        call(client, key, "get", "accounts"),
        call(client, key, "get", "incidents"),
        call(client, key, "post", "tokens", platform=account.platform, user=account.email),
        call(
            client,
            key,
            "post",
            "relay-events",
            events=[{"platform": account.platform, "user": account.email, "outcome": "ok"}],
        ),
    ]
    assert [a.status_code for a in answers] == [401] * 4
    assert (
        client.post(
            "/api/relay-failures/",
            {},
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        ).status_code
        == 401
    )


def test_it_holds_a_key_to_its_scopes(client, two) -> None:
    _, reader = create_key(two["a"], scopes=["read"])
    account = two["data_a"]["accounts"][0]
    assert call(client, reader, "get", "accounts").status_code == 200
    taken = call(client, reader, "post", "tokens", platform=account.platform, user=account.email)
    assert taken.status_code == 403
    assert "tokens:read" in taken.json()["error"]
    _, sender = create_key(two["a"], scopes=["tokens:read"])
    assert call(client, sender, "get", "incidents").status_code == 403
    ok = call(client, sender, "post", "tokens", platform=account.platform, user=account.email)
    assert ok.status_code == 200
    assert (
        ok.json()["access_token"]
        == Credential.objects.get(pk=account.credential_id).access_token.reveal()
    )


def test_it_holds_the_older_failure_report_to_the_same_scope_and_limit(
    client, two, settings
) -> None:
    account = two["data_a"]["accounts"][0]
    report = {"platform": account.platform, "user": account.email, "status": 401, "body": "{}"}

    def post(key: str):
        return client.post(
            "/api/relay-failures/",
            report,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )

    _, reader = create_key(two["a"], scopes=["read"])
    refused = post(reader)
    assert refused.status_code == 403
    assert "events:write" in refused.json()["error"]
    settings.RELAY_API_RATE_PER_MINUTE = 2
    _, writer = create_key(two["a"], scopes=["events:write"])
    assert [post(writer).status_code for _ in range(3)] == [202, 202, 429]


def test_it_rate_limits_each_key_on_its_own(client, two, settings) -> None:
    settings.RELAY_API_RATE_PER_MINUTE = 3
    _, busy = create_key(two["a"])
    _, calm = create_key(two["a"])
    codes = [call(client, busy, "get", "accounts").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = call(client, busy, "get", "accounts")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert call(client, calm, "get", "accounts").status_code == 200


def test_it_counts_each_keys_use_per_day_and_notes_its_last_use(client, two, settings) -> None:
    settings.RELAY_KEY_USE_FLUSH = 60  # counted in the process, written once a minute…
    row, key = create_key(two["a"])
    assert row.last_used_at is None
    for _ in range(3):
        call(client, key, "get", "incidents")
    call(client, "mio_relay_not-a-key", "get", "incidents")
    assert list(KeyUse.objects.filter(key=row).values_list("count", flat=True)) == [1]
    flush_uses()  # … and at exit
    uses = list(KeyUse.objects.filter(key=row).values_list("count", flat=True))
    assert uses == [3]
    assert RelayApiKey.objects.get(pk=row.pk).last_used_at is not None


def test_it_audits_creating_and_revoking_a_key(db) -> None:
    tenant = make_tenant("initech")
    row, _ = create_key(tenant, "relay-eu-1", ["read"], actor="ops")
    revoke_key(row, actor="ops")
    assert not revoke_key(row, actor="ops")  # once
    entries = list(
        AuditEntry.objects.filter(target_id=str(row.pk))
        .order_by("pk")
        .values_list("action", "actor_name", "tenant_id", "detail")
    )
    assert entries == [
        ("relay_key.create", "ops", tenant.pk, {"name": "relay-eu-1", "scopes": ["read"]}),
        ("relay_key.revoke", "ops", tenant.pk, {"name": "relay-eu-1"}),
    ]


def test_the_command_prints_the_key_alone_with_every_scope_unless_told(db) -> None:
    tenant = make_tenant("hooli")
    out = StringIO()
    call_command("relay_key", "--tenant", "hooli", stdout=out)
    key = out.getvalue().strip()
    assert out.getvalue().count("\n") == 1
    assert authenticate(key).scopes == ["tokens:read", "events:write", "read"]
    out = StringIO()
    call_command("relay_key", "--tenant", "hooli", "--scope", "read", stdout=out)
    assert authenticate(out.getvalue().strip()).scopes == ["read"]
    assert AuditEntry.objects.filter(tenant=tenant, action="relay_key.create").count() == 2
