"""Tenant isolation on every URL of the URL conf.

Every URL belongs to one of the families below, and each family keeps tenants apart its own
way. The walk fails for a URL outside them, so a new URL must say how it is isolated.

- ``dashboard/``: tenant-scoped by membership. dashboard/tests/test_access.py walks every one of
  its URLs with another tenant's objects (404 each) and checks every list for leaks.
- ``admin/``: staff only. A tenant's dashboard admin is not staff: every admin URL sends them
  to the login page (below).
- ``api/``: the relay key names one tenant. Its reports about an account of another tenant —
  by upstream id or by an email both tenants have — are 404 and change nothing (below).
- ``hooks/``: platform-signed, matched by workspace. An event about one workspace never
  touches an account of another, even with the same upstream user id (below).
- ``resync/``: the signed link names one person's account; another tenant's account cannot
  sign in on it (tests/security/test_resync_links.py), a fresh link by email reveals nobody
  (notifications/tests/test_resync.py).
- ``install/``: "Add to Slack" (dashboard/slack_install.py), behind the dashboard's sign-in and
  TOTP; it installs only for a tenant the user is an admin of (another tenant's answers 404)
  and its signed, single-use state names that tenant and this browser's session
  (dashboard/tests/test_slack_install.py).
- ``accounts/``: django-allauth, the signed-in user's own login, password and MFA: nothing of
  a tenant.
- ``sandbox/``: the fake platforms, mounted only with ``SANDBOX_ENABLED`` (never in
  production): no tenant data.
- ``metrics``: Prometheus, behind a bearer token or a network allow-list; deployment-wide
  counts labelled by platform, state, outcome, channel or job, never by tenant or person
  (operations/metrics.py; refused without its token in operations/tests/).
- the home page: static; ``favicon.ico``: a redirect to the static icon.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from dashboard.tests.factories import make_user
from tests.factories import make_account, make_person, make_tenant
from tests.security.helpers import slack_headers, snapshot
from tests.security.test_fuzz import concrete, walk
from tokens.models import Credential
from tokens.relaykeys import issue_relay_key

pytestmark = pytest.mark.django_db

FAMILIES = (
    "dashboard/",
    "admin/",
    "api/",
    "hooks/",
    "resync/",
    "install/",
    "accounts/",
    "sandbox/",
    "metrics",
)


def test_it_knows_how_every_url_is_isolated() -> None:
    for route, _pattern in walk(get_resolver().url_patterns):
        assert route in ("", "favicon.ico") or route.startswith(FAMILIES), route


def test_it_keeps_a_tenants_dashboard_admin_out_of_every_admin_url() -> None:
    client = Client()
    member = make_user(make_tenant())  # an admin of a tenant, not staff
    admin_routes = [r for r, _ in walk(get_resolver().url_patterns) if r.startswith("admin/")]
    assert len(admin_routes) > 100
    for route in admin_routes:
        url = concrete(route)
        for method in ("GET", "POST"):
            client.force_login(member)  # again: a POST to admin/logout/ signs them out
            answer = client.generic(method, url)
            if route == "admin/logout/":
                assert answer.status_code == 302  # signed out, nothing shown
                continue
            assert answer.status_code in (302, 403, 404, 405), (method, url, answer.status_code)
            if answer.status_code == 302:
                assert answer["Location"].startswith(("/admin/login/", "/accounts/login/")), url


@pytest.fixture
def two_tenants():
    """The same person (same email) in two tenants, with a Slack account in each workspace;
    the upstream user id is the same too (Slack ids are unique per workspace only)."""
    a, b = make_tenant(), make_tenant()
    accounts = {}
    for tenant, workspace in ((a, "T-AAA"), (b, "T-BBB")):
        person = make_person(tenant, email="consultant@both.example")
        accounts[tenant.pk] = make_account(
            person, "slack", upstream_user_id="U-SAME", workspace_id=workspace
        )
    Credential.objects.update(next_check_at=timezone.now() + timedelta(days=1))
    return a, b, accounts


def relay(key: str, user: str):
    return Client().post(
        "/api/relay-failures/",
        data=json.dumps({"platform": "slack", "user": user, "status": 429, "body": ""}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_a_relay_key_reaches_only_its_own_tenants_accounts(two_tenants) -> None:
    a, b, accounts = two_tenants
    outsider = make_account(make_person(make_tenant()), "slack", upstream_user_id="U-OUT")
    key = issue_relay_key(a)
    before = snapshot()
    for user in (outsider.upstream_user_id, outsider.email):
        assert relay(key, user).status_code == 404
    assert snapshot() == before
    # A user both tenants have: tenant A's key reaches tenant A's account, only.
    for user in ("U-SAME", "consultant@both.example"):
        answer = relay(key, user)
        assert answer.status_code == 202, answer.content
    checked = Credential.objects.filter(checks__isnull=False).distinct()
    assert list(checked.values_list("pk", flat=True)) == [accounts[a.pk].credential_id]
    assert Credential.objects.get(pk=accounts[b.pk].credential_id).last_checked_at is None


def test_an_event_about_one_workspace_never_touches_another(two_tenants) -> None:
    a, b, accounts = two_tenants
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T-BBB",
            "event_id": "Ev-ISOLATION",
            "event": {"type": "tokens_revoked", "tokens": {"oauth": ["U-SAME"], "bot": []}},
        }
    )
    answer = Client().post(
        "/hooks/slack/events/", data=body, content_type="application/json", **slack_headers(body)
    )
    assert answer.status_code == 200
    assert answer.json()["marked"] == 1
    marked = Credential.objects.get(pk=accounts[b.pk].credential_id)
    untouched = Credential.objects.get(pk=accounts[a.pk].credential_id)
    now = timezone.now()
    assert marked.next_check_at <= now or marked.last_checked_at is not None
    assert untouched.next_check_at > now
    assert untouched.last_checked_at is None


def test_the_walk_reaches_every_family() -> None:
    routes = [r for r, _ in walk(get_resolver().url_patterns)]
    for family in FAMILIES:
        assert any(re.match(re.escape(family), r) for r in routes), family
