"""Who gets in: anonymous -> login, no TOTP -> TOTP setup, tenant A never sees tenant B."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from accounts.models import Membership
from dashboard.models import Invitation
from dashboard.tests.factories import make_user
from dashboard.urls import urlpatterns
from tests.factories import make_installation
from tokens.models import Installation

pytestmark = pytest.mark.django_db

OBJECT_KWARGS = {"pk", "slug"}


def pattern_kwargs(pattern: URLPattern) -> set[str]:
    return set(pattern.pattern.converters)


def urls_for(world: dict, tenant_key: str) -> list[tuple[str, str]]:
    """(method, url) for every dashboard URL, objects taken from one tenant."""
    data = world[f"data_{tenant_key}"]
    tenant = world[tenant_key]
    account = data["accounts"][0]
    member = Membership.objects.filter(
        tenant=tenant, role="viewer"
    ).first() or Membership.objects.get(user=make_user(tenant, role="viewer"), tenant=tenant)
    invitation, _ = Invitation.objects.get_or_create(
        tenant=tenant, email=f"new@{tenant.slug}.example", role="viewer"
    )
    installation = Installation.objects.filter(tenant=tenant).first() or make_installation(
        tenant, "slack"
    )
    objects = {
        "tenant": {"slug": tenant.slug},
        "integrations": {"slug": tenant.slug},
        "policies": {"slug": tenant.slug},
        "team": {"slug": tenant.slug},
        "team-role": {"pk": member.pk},
        "team-remove": {"pk": member.pk},
        "invitation-revoke": {"pk": invitation.pk},
        "integration-check": {"pk": installation.pk},
        "incident": {"pk": data["ca"].pk},
        "incident-verify": {"pk": data["ca"].pk},
        "incident-resend": {"pk": data["ca"].pk},
        "incident-snooze": {"pk": data["ca"].pk},
        "incident-resolve": {"pk": data["ca"].pk},
        "person": {"pk": data["people"][0].pk},
        "account-check": {"pk": account.pk},
    }
    result = []
    for pattern in urlpatterns:
        name = pattern.name
        if name in PUBLIC:
            continue
        kwargs = objects.get(name, {})
        assert set(kwargs) == pattern_kwargs(pattern), f"no test objects for {name}"
        method = "POST" if name in ACTIONS else "GET"
        result.append((method, reverse(f"dashboard:{name}", kwargs=kwargs)))
    return result


# The POST-only URLs; test_it_knows_which_urls_are_actions keeps this list honest.
ACTIONS = {
    "take-snapshot",
    "incident-verify",
    "incident-resend",
    "incident-snooze",
    "incident-resolve",
    "account-check",
    "team-role",
    "team-remove",
    "invitation-revoke",
    "integration-check",
}
# Pages with a form: GET shows it, POST takes it (both gated like every page).
FORMS = {"policies", "team"}
# The invitation link's page: for people who have no dashboard access yet (its token is the
# key; dashboard/tests/test_team.py covers it).
PUBLIC = {"invitation"}


def test_it_knows_which_urls_are_actions(member_client, world) -> None:
    for method, url in urls_for(world, "a"):
        if method == "POST":
            assert member_client.get(url).status_code == 405, url
        elif not any(url == reverse(f"dashboard:{n}", args=[world["a"].slug]) for n in FORMS):
            assert member_client.post(url).status_code == 405, url


def test_it_sends_anonymous_visitors_to_the_login_page(client, world) -> None:
    login = reverse(settings.LOGIN_URL)
    for method, url in urls_for(world, "a"):
        response = client.generic(method, url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login + "?next="), url


def test_it_sends_a_user_without_totp_to_the_totp_setup_first(client, world) -> None:
    user = make_user(world["a"], totp_secret=None)
    client.force_login(user)
    for method, url in urls_for(world, "a"):
        response = client.generic(method, url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url


def test_it_answers_404_for_every_object_of_another_tenant(member_client, world) -> None:
    checked = 0
    for method, url in urls_for(world, "b"):
        if url in {u for _, u in urls_for(world, "a")}:
            continue  # a URL without an object of tenant B (lists, the overview)
        response = member_client.generic(method, url, {"hours": "24"} if method == "POST" else "")
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    objectful = [p for p in urlpatterns if pattern_kwargs(p) & OBJECT_KWARGS]
    assert checked == len(objectful)


def test_it_walks_the_whole_url_conf(world) -> None:
    """Every dashboard URL the project serves is one the tests above visit."""
    resolver = get_resolver()
    served = {
        p.name
        for p in resolver.url_patterns
        if getattr(p, "app_name", None) == "dashboard"
        for p in p.url_patterns
    }
    assert served == {p.name for p in urlpatterns}


def test_it_shows_tenant_a_every_object_of_its_own(member_client, world) -> None:
    for method, url in urls_for(world, "a"):
        if method == "GET":
            assert member_client.get(url).status_code == 200, url


def test_it_keeps_tenant_b_out_of_every_list(member_client, world) -> None:
    b = world["data_b"]
    secrets = [p.email for p in b["people"]] + [world["b"].name]
    pages = [
        reverse("dashboard:overview"),
        reverse("dashboard:incidents") + "?status=open",
        reverse("dashboard:incidents") + f"?tenant={world['b'].slug}",
        reverse("dashboard:incidents") + f"?q={b['people'][1].email}",
        reverse("dashboard:conditional-access"),
        reverse("dashboard:people"),
        reverse("dashboard:people") + f"?tenant={world['b'].slug}",
        reverse("dashboard:audit"),
    ]
    for url in pages:
        html = member_client.get(url).content.decode()
        searched = url.partition("?q=")[2]
        for secret in secrets:
            if secret != searched:  # the search box shows what was searched for
                assert secret not in html, (url, secret)
    html = member_client.get(reverse("dashboard:incidents") + f"?q={b['people'][1].email}")
    assert "No incidents match" in html.content.decode()


def test_it_lets_a_superuser_see_every_tenant(client, world) -> None:
    client.force_login(make_user(superuser=True))
    for method, url in urls_for(world, "b"):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_it_refuses_actions_to_a_viewer(client, world) -> None:
    client.force_login(world["viewer_a"])
    for method, url in urls_for(world, "a"):
        if method == "POST":
            assert client.post(url, {"hours": "24"}).status_code == 403, url


def test_it_refuses_an_action_without_a_csrf_token(world) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["member_a"])
    url = reverse("dashboard:incident-resolve", args=[world["data_a"]["ca"].pk])
    assert client.post(url).status_code == 403
    world["data_a"]["ca"].refresh_from_db()
    assert world["data_a"]["ca"].is_open


def test_it_answers_404_not_500_for_ids_beyond_any_integer(member_client, world) -> None:
    huge = 10**30
    for name in ("incident", "person"):
        assert member_client.get(reverse(f"dashboard:{name}", args=[huge])).status_code == 404
    response = member_client.post(reverse("dashboard:incident-verify", args=[huge]))
    assert response.status_code == 404


def test_it_ignores_filter_values_it_does_not_know(member_client, world) -> None:
    for url in (
        reverse("dashboard:incidents") + "?status=%00&page=-1&audience=x&q=" + "a" * 5000,
        reverse("dashboard:people") + "?state=nope&platform=%3Cb%3E&page=999999999",
        reverse("dashboard:audit") + "?action=" + "x" * 500 + "&tenant=%ff",
    ):
        assert member_client.get(url).status_code == 200, url
