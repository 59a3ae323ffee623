"""Every dashboard page and every admin changelist costs a fixed number of queries, whatever
the amount of data behind it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard.models import AuditEntry
from dashboard.snapshots import take_snapshots
from dashboard.tests.factories import make_user, populate

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"accounts", "tokens", "notifications", "dashboard"}


def dashboard_urls(world: dict) -> list[str]:
    a = world["data_a"]
    return [
        reverse("dashboard:overview"),
        reverse("dashboard:tenant", args=[world["a"].slug]),
        reverse("dashboard:incidents"),
        reverse("dashboard:incidents") + "?q=example&audience=admin",
        reverse("dashboard:incident", args=[a["ca"].pk]),
        reverse("dashboard:incident", args=[a["ca"].pk - 1]),  # an account-level incident
        reverse("dashboard:conditional-access"),
        reverse("dashboard:people"),
        reverse("dashboard:people") + "?state=waiting_user&platform=teams",
        reverse("dashboard:person", args=[a["people"][1].pk]),
        reverse("dashboard:audit"),
        reverse("dashboard:integrations", args=[world["a"].slug]),
        reverse("dashboard:policies", args=[world["a"].slug]),
        reverse("dashboard:team", args=[world["a"].slug]),
    ]


def admin_urls() -> list[str]:
    return [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
        if m._meta.app_label in PROJECT_APPS
    ]


def grow(world: dict, n: int) -> None:
    """More of everything in tenant A: people, accounts, incidents, prompts, checks, audit."""
    more = populate(world["a"], n, ca=False)
    # The same CA incident grows: every new account is affected by it.
    from notifications.models import AffectedAccount

    ca = world["data_a"]["ca"]
    for account in more["accounts"]:
        AffectedAccount.objects.create(
            incident=ca, credential_id=account.credential_id, account=account
        )
    person = world["data_a"]["people"][1]
    from tokens.models import CheckRecord

    for account in person.accounts.all():
        CheckRecord.objects.bulk_create(
            CheckRecord(credential_id=account.credential_id, outcome="ok", state_after="healthy")
            for _ in range(n)
        )
    AuditEntry.objects.bulk_create(
        AuditEntry(actor_name="x", action="incident.verify", tenant=world["a"]) for _ in range(n)
    )
    take_snapshots()


def counts(client, urls: list[str]) -> dict[str, int]:
    result = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        result[url] = len(ctx.captured_queries)
    return result


def test_it_makes_the_same_number_of_queries_on_every_dashboard_page(member_client, world):
    take_snapshots()
    urls = dashboard_urls(world)
    small = counts(member_client, urls)
    grow(world, 60)
    assert counts(member_client, urls) == small


def test_it_makes_the_same_number_of_queries_for_a_superuser(client, world):
    client.force_login(make_user(superuser=True))
    take_snapshots()
    urls = dashboard_urls(world)
    small = counts(client, urls)
    grow(world, 60)
    assert counts(client, urls) == small


def test_it_makes_the_same_number_of_queries_on_every_admin_changelist(client, world):
    client.force_login(make_user(superuser=True))
    take_snapshots()
    AuditEntry.objects.create(actor_name="x", action="incident.verify", tenant=world["a"])
    urls = admin_urls()
    assert len(urls) >= 10
    small = counts(client, urls)
    grow(world, 60)
    assert counts(client, urls) == small
