"""Sign in with Microsoft: allauth's microsoft provider against the Teams sandbox over real HTTP.

The browser's steps (our login button, Entra's consent page, the callback) go through the test
client; allauth's server-side calls (token endpoint, Graph /me) cross real HTTP to the sandbox.
The sandbox's Entra puts the user's directory (``tid``) and object id (``oid``) in its tokens,
like the real one: the first connection must come from the user's tenant's directory (nOAuth).
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from dashboard.models import AuditEntry
from dashboard.tests.factories import make_tenant, make_user
from dashboard.tests.totp import totp_code
from platforms.sandbox.models import SandboxUser
from tests.factories import make_tenant as make_bare_tenant
from tokens.models import Installation

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


def through_entra(client, email: str, *, decision: str = "allow", process: str = "login"):
    """Our button -> Entra's authorize page -> consent -> back at our callback."""
    start = client.post(reverse("microsoft_login") + f"?process={process}&next=/dashboard/")
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


def second_factor(client, user) -> None:
    """The TOTP step that follows Entra: only after it is the identity connected (issue 14)."""
    cache.clear()  # a later sign-in: allauth refuses a code used twice in one 30 s window
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert response.status_code == 302, response.content[:300]


def directory() -> str:
    return str(uuid.uuid4())


def entra_user(microsoft, email: str, workspace_id: str, name: str = "") -> dict:
    return microsoft.provision("teams", email, name, workspace_id=workspace_id)["user"]


def rename_in_entra(old: str, new: str) -> None:
    """A directory admin changes someone's email (mail) in Entra; the object id stays."""
    assert SandboxUser.objects.filter(platform="teams", email=old).update(email=new) == 1


def assert_refused(response, text: str) -> None:
    assert response.status_code == 403
    page = response.content.decode()
    assert "Microsoft sign-in refused" in page
    assert text in page


def test_it_signs_a_dashboard_user_in_with_microsoft_then_asks_for_totp(client, microsoft):
    email = "ada.admin@contoso.example"
    contoso = directory()
    entra_user(microsoft, email, contoso, "Ada Admin")
    user = make_user(make_tenant(entra_tenant_id=contoso), email=email)

    response = through_entra(client, email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    account = user.socialaccount_set.get(provider="microsoft")
    assert account.extra_data["tid"] == contoso
    user.refresh_from_db()
    assert user.has_usable_password()  # the password still works beside Microsoft sign-in


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
    contoso = directory()
    entra_user(microsoft, email, contoso, "Ada Admin")
    make_user(make_tenant(entra_tenant_id=contoso), email=email)

    response = through_entra(client, email, decision="deny")
    assert response["Location"] == reverse("socialaccount_login_cancelled")
    assert client.get("/dashboard/")["Location"].startswith(reverse("account_login"))


def test_it_refuses_the_same_email_from_another_entra_directory(client, microsoft):
    victim_email = "ada.admin@contoso.example"
    victim = make_user(make_tenant(entra_tenant_id=directory()), email=victim_email)
    # Another organisation's admin gives one of their users the victim's email.
    attacker = entra_user(microsoft, victim_email, directory(), "Mallory")

    response = through_entra(client, victim_email)

    assert_refused(response, "not one of this dashboard user")
    assert not SocialAccount.objects.exists()
    assert client.get("/dashboard/")["Location"].startswith(reverse("account_login"))
    entry = AuditEntry.objects.get(action="login.microsoft_refused")
    assert entry.target_id == str(victim.pk)
    assert entry.detail["tid"] == attacker["workspace_id"]
    assert entry.detail["reason"] == "wrong_directory"


def test_it_connects_from_the_directory_the_tenants_teams_app_is_installed_in(client, microsoft):
    email = "grace.admin@fabrikam.example"
    fabrikam = directory()
    tenant = make_tenant()  # no Entra id typed in by the operator
    Installation.objects.create(tenant=tenant, platform="teams", workspace_id=fabrikam)
    user = make_user(tenant, email=email)
    entra = entra_user(microsoft, email, fabrikam)

    response = through_entra(client, email)

    assert response["Location"] == reverse("mfa_authenticate")
    second_factor(client, user)
    account = user.socialaccount_set.get(provider="microsoft")
    assert account.uid == entra["upstream_id"]


def test_it_refuses_a_directory_of_a_tenant_the_user_is_not_a_member_of(client, microsoft):
    email = "ada.admin@contoso.example"
    theirs = directory()
    make_tenant(entra_tenant_id=theirs)  # a real customer, but not this user's
    make_user(make_tenant(entra_tenant_id=directory()), email=email)
    entra_user(microsoft, email, theirs)

    assert_refused(through_entra(client, email), "not one of this dashboard user")
    assert not SocialAccount.objects.exists()


def test_it_keeps_the_same_user_when_the_email_changes_in_entra(client, microsoft):
    email, renamed = "ada.admin@contoso.example", "ada.lovelace@contoso.example"
    contoso = directory()
    user = make_user(make_tenant(entra_tenant_id=contoso), email=email)
    make_user(make_tenant(entra_tenant_id=contoso), email=renamed)  # someone else has that one
    entra = entra_user(microsoft, email, contoso)
    assert through_entra(client, email)["Location"] == reverse("mfa_authenticate")
    second_factor(client, user)
    client.logout()

    rename_in_entra(email, renamed)
    response = through_entra(client, renamed)

    assert response["Location"] == reverse("mfa_authenticate")
    cache.clear()  # a later sign-in: allauth refuses a code used twice in one 30 s window
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").wsgi_request.user == user
    assert list(SocialAccount.objects.values_list("user_id", "uid")) == [
        (user.pk, entra["upstream_id"])
    ]


def test_it_refuses_another_object_id_with_the_victims_email(client, microsoft):
    email = "ada.admin@contoso.example"
    contoso = directory()
    victim = make_user(make_tenant(entra_tenant_id=contoso), email=email)
    original = entra_user(microsoft, email, contoso)
    assert through_entra(client, email)["Location"] == reverse("mfa_authenticate")
    second_factor(client, victim)
    client.logout()
    # In the same directory, someone else now carries the victim's email.
    rename_in_entra(email, "ada.old@contoso.example")
    impostor = entra_user(microsoft, email, contoso, "Impostor")
    assert impostor["upstream_id"] != original["upstream_id"]

    response = through_entra(client, email)

    assert_refused(response, "already connected to another Microsoft account")
    assert list(SocialAccount.objects.values_list("user_id", "uid")) == [
        (victim.pk, original["upstream_id"])
    ]
    assert client.get("/dashboard/")["Location"].startswith(reverse("account_login"))


def test_it_ends_microsoft_sign_in_when_the_membership_is_removed(client, microsoft):
    email = "ada.admin@contoso.example"
    contoso = directory()
    user = make_user(make_tenant(entra_tenant_id=contoso), email=email)
    entra_user(microsoft, email, contoso)
    assert through_entra(client, email)["Location"] == reverse("mfa_authenticate")
    client.logout()
    user.memberships.all().delete()

    assert_refused(through_entra(client, email), "not one of this dashboard user")


def test_it_connects_an_operator_only_from_the_listed_directories(client, microsoft, settings):
    email = "root@mio.example"
    customer, ours = directory(), directory()
    make_bare_tenant(entra_tenant_id=customer)
    operator = make_user(superuser=True, email=email)
    entra_user(microsoft, email, customer)

    # Not from a customer's directory (the operator sees every tenant), nor by default at all.
    assert_refused(through_entra(client, email), "not one of this dashboard user")
    settings.MICROSOFT_LOGIN_OPERATOR_TENANT_IDS = [ours]
    assert_refused(through_entra(client, email), "not one of this dashboard user")
    assert not SocialAccount.objects.exists()

    settings.MICROSOFT_LOGIN_OPERATOR_TENANT_IDS = [ours.upper()]  # as typed, any case
    SandboxUser.objects.filter(platform="teams", email=email).update(workspace_id=ours)
    assert through_entra(client, email)["Location"] == reverse("mfa_authenticate")
    second_factor(client, operator)
    assert operator.socialaccount_set.get(provider="microsoft").extra_data["tid"] == ours


def test_it_applies_the_same_rule_when_a_signed_in_user_connects_an_identity(client, microsoft):
    contoso = directory()
    user = make_user(make_tenant(entra_tenant_id=contoso), email="ada.admin@contoso.example")
    client.force_login(user)
    other = "ada@elsewhere.example"  # matches no dashboard user: only the directory decides
    entra_user(microsoft, other, directory())

    assert_refused(through_entra(client, other, process="connect"), "not one of this dashboard")
    assert not SocialAccount.objects.exists()

    SandboxUser.objects.filter(platform="teams", email=other).update(workspace_id=contoso)
    response = through_entra(client, other, process="connect")
    assert response.status_code == 302
    assert user.socialaccount_set.get(provider="microsoft").extra_data["tid"] == contoso
