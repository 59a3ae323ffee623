"""Sign in with Microsoft: allauth's microsoft provider against the Teams sandbox over real HTTP.

The browser's steps (our login button, Entra's consent page, the callback) go through the test
client; allauth's server-side calls (token endpoint, Graph /me) cross real HTTP to the sandbox.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dashboard.tests.factories import make_tenant, make_user
from dashboard.tests.totp import totp_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def microsoft(settings, sandbox):
    """Point allauth's Microsoft app at this test's sandbox (settings were read at import)."""
    app = settings.SOCIALACCOUNT_PROVIDERS["microsoft"]["APPS"][0]
    app = {
        **app,
        "settings": {
            **app["settings"],
            "login_url": f"{settings.SANDBOX_URL}/teams/login",
            "graph_url": f"{settings.SANDBOX_URL}/teams/graph",
        },
    }
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "microsoft": {**settings.SOCIALACCOUNT_PROVIDERS["microsoft"], "APPS": [app]},
    }
    return sandbox


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def through_entra(client, email: str, *, decision: str = "allow"):
    """Our button -> Entra's authorize page -> consent -> back at our callback."""
    start = client.post(reverse("microsoft_login") + "?process=login&next=/dashboard/")
    assert start.status_code == 302
    authorize = start["Location"]
    assert "/sandbox/teams/login/organizations/oauth2/v2.0/authorize" in authorize
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]  # PKCE on
    page = client.get(local(authorize))
    assert page.status_code == 200
    back = client.post(local(authorize), {"decision": decision, "login_hint": email})
    assert back.status_code == 302
    assert urlsplit(back["Location"]).path == reverse("microsoft_callback")
    return client.get(local(back["Location"]))


def test_it_signs_a_dashboard_user_in_with_microsoft_then_asks_for_totp(client, microsoft):
    email = "ada.admin@contoso.example"
    microsoft.provision("teams", email, "Ada Admin")
    user = make_user(make_tenant(), email=email)

    response = through_entra(client, email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert user.socialaccount_set.filter(provider="microsoft").exists()


def test_it_creates_no_user_for_a_stranger_with_a_microsoft_account(client, microsoft):
    email = "stranger@contoso.example"
    microsoft.provision("teams", email, "Stranger")
    users_before = get_user_model().objects.count()

    response = through_entra(client, email)
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()
    assert get_user_model().objects.count() == users_before
    assert client.get("/dashboard/").status_code == 302


def test_it_signs_nobody_in_when_the_user_declines(client, microsoft):
    email = "ada.admin@contoso.example"
    microsoft.provision("teams", email, "Ada Admin")
    make_user(make_tenant(), email=email)

    response = through_entra(client, email, decision="deny")
    assert response["Location"] == reverse("socialaccount_login_cancelled")
    assert client.get("/dashboard/")["Location"].startswith(reverse("account_login"))
