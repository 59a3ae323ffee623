"""The Django admin: every model's pages load, tokens stay masked, counts stay bounded."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from mio_heal.admin_tools import CappedCountPaginator
from tests.factories import make_account, make_installation, make_person, make_tenant
from tokens.models import CheckRecord, Credential

pytestmark = pytest.mark.django_db

PLAIN = "xoxp-admin-visible-plaintext"


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123!")
    client.force_login(user)
    return client


def populate(n: int = 3) -> None:
    tenant = make_tenant()
    make_installation(tenant)
    viewer = get_user_model().objects.create_user(f"viewer-{tenant.slug}")
    Membership.objects.create(user=viewer, tenant=tenant)
    for i in range(n):
        person = make_person(tenant)
        account = make_account(person, access_token=f"{PLAIN}-{i}")
        CheckRecord.objects.create(
            credential_id=account.credential_id, outcome="ok", state_after="healthy"
        )
        from accounts.resync.links import create_link

        create_link(person, account)  # accounts.ResyncLink (re-sync pages)
    # The health engine's own tables: event ids, relay keys, Retry-After blocks.
    from django.utils import timezone

    from tokens.models import ProcessedEvent, WorkspaceBackoff
    from tokens.relaykeys import issue_relay_key

    ProcessedEvent.objects.create(platform="slack", event_id=f"Ev-{tenant.slug}", event="x")
    issue_relay_key(tenant, "relay")
    WorkspaceBackoff.objects.create(
        platform="slack", workspace_id=tenant.slug, until=timezone.now()
    )


def project_models() -> list[type]:
    return [m for m in admin.site._registry if m._meta.app_label in {"accounts", "tokens"}]


def test_it_registers_every_model_of_the_project() -> None:
    from django.apps import apps

    for label in ("accounts", "tokens"):
        for model in apps.get_app_config(label).get_models():
            assert model in admin.site._registry, model


def test_it_loads_every_changelist_and_change_page_with_tokens_masked(staff_client) -> None:
    populate()
    for model in project_models():
        meta = model._meta
        changelist = staff_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        )
        assert changelist.status_code == 200, meta.label
        assert PLAIN not in changelist.content.decode()
        obj = model._default_manager.first()
        change = staff_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        )
        assert change.status_code == 200, meta.label
        assert PLAIN not in change.content.decode()


def test_it_shows_that_a_token_is_stored_without_showing_it(staff_client) -> None:
    populate(1)
    credential = Credential.objects.filter(kind="user").first()
    page = staff_client.get(reverse("admin:tokens_credential_change", args=[credential.pk]))
    html = page.content.decode()
    assert "(encrypted)" in html
    assert PLAIN not in html


def test_it_makes_the_same_number_of_queries_whatever_the_size(staff_client) -> None:
    populate(2)
    url_names = [
        f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in project_models()
    ]

    def counts() -> list[int]:
        result = []
        for name in url_names:
            with CaptureQueriesContext(connection) as ctx:
                assert staff_client.get(reverse(name)).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    small = counts()
    populate(25)
    assert counts() == small


def test_it_bounds_the_row_count_on_big_tables() -> None:
    populate(5)
    CappedCountPaginator.CAP, saved = 3, CappedCountPaginator.CAP
    try:
        paginator = CappedCountPaginator(Credential.objects.order_by("pk"), 2)
        assert paginator.count == 4  # CAP + 1: "more than 3", never a full count
    finally:
        CappedCountPaginator.CAP = saved
