"""``mio_heal.compiled.CompiledQuery``: the ORM's own query and conversions, compiled once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from mio_heal.compiled import CompiledQuery, instance
from tests.factories import make_account, make_person, make_tenant
from tokens.models import Credential, PlatformAccount

FIELDS = ["id", "access_token", "expires_at", "scopes", "state"]


def credentials(tenant: int, platform: str):
    return (
        Credential.objects.filter(tenant_id=tenant, platform=platform)
        .order_by("pk")
        .values(*FIELDS, slug=F("tenant__slug"))
    )


def test_it_answers_what_the_orm_answers_for_each_new_input(db) -> None:
    compiled = CompiledQuery(
        lambda tenant, platform: credentials(tenant, platform)[:1], tenant=int, platform=str
    )
    tenants = [make_tenant(), make_tenant()]
    for tenant in tenants:
        Credential.objects.filter(
            pk=make_account(make_person(tenant), "zoom").credential_id
        ).update(scopes=["a", "b"])
    for tenant in [*tenants, *tenants]:
        for platform in ("zoom", "slack"):
            with CaptureQueriesContext(connection) as queries:
                row = compiled.first(tenant=tenant.pk, platform=platform)
            assert len(queries) == 1  # still read from the database every time
            assert row == credentials(tenant.pk, platform).first()
    row = compiled.first(tenant=tenants[0].pk, platform="zoom")
    assert row["access_token"].reveal().startswith("zoom-access-")  # decrypted as the ORM does
    assert row["scopes"] == ["a", "b"]
    assert row["expires_at"].tzinfo is not None


def test_it_builds_instances_the_orm_would_load(db) -> None:
    account = make_account(make_person(make_tenant()), "webex")
    compiled = CompiledQuery(
        lambda user: PlatformAccount.objects.filter(upstream_user_id=user).values(
            "id", "platform", "upstream_user_id"
        ),
        user=str,
    )
    row = compiled.first(user=account.upstream_user_id)
    loaded = instance(PlatformAccount, ["id", "platform", "upstream_user_id"], row)
    assert loaded == account
    assert loaded.upstream_user_id == account.upstream_user_id
    assert loaded.email == account.email  # a deferred field loads when read, as with .only()
    assert compiled.first(user="nobody") is None


def test_it_refuses_a_query_whose_inputs_it_cannot_fill(db) -> None:
    pattern = CompiledQuery(
        lambda user: PlatformAccount.objects.filter(email__contains=user).values("id"), user=str
    )
    with pytest.raises(ValueError, match="cannot fill"):
        pattern.first(user="someone")
    models = CompiledQuery(lambda user: PlatformAccount.objects.filter(email=user), user=str)
    with pytest.raises(TypeError, match="values"):
        models.first(user="someone")
    typed = CompiledQuery(
        lambda tenant: Credential.objects.filter(tenant_id=tenant).values("id"), tenant=int
    )
    with pytest.raises(TypeError, match="tenant must be int"):
        typed.first(tenant="1")
