"""The token API's key and account lookup (``api.handout.find``, one query compiled once per
connection by ``mio_heal.compiled``): by the platform's user id or by email, exactly, in the key's
tenant."""

from __future__ import annotations

import pytest
from django.test import Client

from api.keys import create_key
from tests.factories import make_account, make_person, make_tenant
from tokens.models import Credential


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.RELAY_API_RATE_PER_MINUTE = 0


def take(client: Client, key: str, platform: str, user: str):
    return client.post(
        "/api/v1/tokens/",
        {"platform": platform, "user": user},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def token_of(account) -> str:
    return Credential.objects.get(pk=account.credential_id).access_token.reveal()


def test_it_hands_each_request_its_own_account(client, db) -> None:
    tenant = make_tenant("acme")
    accounts = [make_account(make_person(tenant), "slack") for _ in range(3)]
    _, key = create_key(tenant)
    for account in [*accounts, *reversed(accounts)]:  # one compiled query, new inputs each time
        for user in (account.upstream_user_id, account.email.upper()):
            answer = take(client, key, "slack", user)
            assert answer.status_code == 200, answer.content
            body = answer.json()
            assert body["account"]["id"] == account.pk
            assert body["access_token"] == token_of(account)
            assert body["scopes"] == []
            assert body["expires_at"].endswith("Z")


def test_it_reads_an_email_as_written_never_as_a_pattern(client, db) -> None:
    tenant = make_tenant("acme")
    underscore = make_account(make_person(tenant, email="a_b@acme.example"), "slack")
    other = make_account(make_person(tenant, email="axb@acme.example"), "slack")
    _, key = create_key(tenant)
    assert take(client, key, "slack", "A_B@acme.example").json()["account"]["id"] == underscore.pk
    assert take(client, key, "slack", "axb@acme.example").json()["account"]["id"] == other.pk
    for pattern in ("a%b@acme.example", "a%@acme.example", "%@acme.example"):
        assert take(client, key, "slack", pattern).status_code == 404


def test_it_finds_nothing_of_another_tenant_nor_on_another_platform(client, db) -> None:
    acme, globex = make_tenant("acme"), make_tenant("globex")
    theirs = make_account(make_person(globex), "slack")
    mine = make_account(make_person(acme), "teams")
    _, key = create_key(acme)
    assert take(client, key, "slack", theirs.upstream_user_id).status_code == 404
    assert take(client, key, "slack", theirs.email).status_code == 404
    assert take(client, key, "slack", mine.upstream_user_id).status_code == 404
    assert take(client, key, "teams", mine.upstream_user_id).status_code == 200
