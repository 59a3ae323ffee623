from __future__ import annotations

import pytest
from django.core.cache import cache

from dashboard.tests.factories import make_tenant, make_user, populate


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Login rate limits and used TOTP codes live in the cache: each test starts clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    """Two tenants with people, accounts, incidents and checks; a member of A; a viewer of A."""
    a = make_tenant("acme", primary_platform="teams", entra_tenant_id="aaaa-1111")
    b = make_tenant("globex", primary_platform="teams", entra_tenant_id="bbbb-2222")
    data_a = populate(a, 4)
    data_b = populate(b, 4)
    return {
        "a": a,
        "b": b,
        "data_a": data_a,
        "data_b": data_b,
        "member_a": make_user(a),
        "viewer_a": make_user(a, role="viewer"),
    }


@pytest.fixture
def member_client(client, world):
    client.force_login(world["member_a"])
    return client
