"""The dashboard's Relay keys page: a tenant admin creates (shown once), lists and revokes keys;
viewers only look; another tenant's admin never sees them."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from dashboard.models import AuditEntry
from dashboard.tests.factories import make_tenant, make_user
from tokens.models import RelayApiKey
from tokens.relaykeys import authenticate

KEY = re.compile(r'<code id="new-key">(mio_relay_[^<]+)</code>')


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_it_lets_a_tenant_admin_create_see_once_and_revoke_a_key(client, db) -> None:
    acme = make_tenant("acme")
    client.force_login(make_user(acme))
    page = client.post(
        "/dashboard/relay/keys/new/",
        {"tenant": "acme", "name": "relay-eu-1", "scopes": ["tokens:read", "events:write"]},
    )
    assert page.status_code == 201
    assert "no-store" in page["Cache-Control"].split(", ")
    key = KEY.search(page.content.decode()).group(1)
    found = authenticate(key)
    assert found.tenant == acme
    assert found.scopes == ["tokens:read", "events:write"]
    listing = client.get("/dashboard/relay/keys/").content.decode()
    assert found.prefix in listing
    assert key not in listing  # shown once
    assert "relay-eu-1" in listing
    client.post(f"/dashboard/relay/keys/{found.pk}/revoke/")
    assert authenticate(key) is None
    actions = AuditEntry.objects.filter(tenant=acme).values_list("action", "actor_name")
    assert {a for a, _ in actions} == {"relay_key.create", "relay_key.revoke"}


def test_it_keeps_keys_within_their_tenant_and_from_viewers(client, db) -> None:
    acme, globex = make_tenant("acme"), make_tenant("globex")
    client.force_login(make_user(acme))
    page = client.post("/dashboard/relay/keys/new/", {"tenant": "acme", "scopes": ["read"]})
    key = RelayApiKey.objects.get(tenant=acme)

    client.force_login(make_user(globex))
    assert key.prefix not in client.get("/dashboard/relay/keys/").content.decode()
    assert client.post(f"/dashboard/relay/keys/{key.pk}/revoke/").status_code == 404
    assert (
        client.post(
            "/dashboard/relay/keys/new/", {"tenant": "acme", "scopes": ["read"]}
        ).status_code
        == 404
    )

    client.force_login(make_user(acme, role="viewer"))
    listing = client.get("/dashboard/relay/keys/").content.decode()
    assert key.prefix in listing
    assert "Create key" not in listing
    assert client.post(f"/dashboard/relay/keys/{key.pk}/revoke/").status_code == 403
    assert (
        client.post(
            "/dashboard/relay/keys/new/", {"tenant": "acme", "scopes": ["read"]}
        ).status_code
        == 403
    )
    assert RelayApiKey.objects.get(pk=key.pk).revoked_at is None
    assert page.status_code == 201
