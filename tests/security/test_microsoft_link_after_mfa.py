"""Finding 4 of issue 14: "Sign in with Microsoft" binds the identity only after the second factor.

Someone who passes Entra but stops at (or fails) the TOTP page must leave nothing behind: no
Microsoft identity connected to the dashboard user, no address marked verified, no password
wiped. Over real HTTP to the sandbox's Entra, as dashboard/tests/test_microsoft_login.py.
"""

from __future__ import annotations

import json
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.models import Session
from django.urls import reverse

from dashboard.models import AuditEntry
from dashboard.tests.factories import make_tenant, make_user
from dashboard.tests.test_microsoft_login import directory, entra_user, microsoft, through_entra
from dashboard.tests.totp import totp_code

__all__ = ["microsoft"]  # the fixture, used by name

pytestmark = pytest.mark.django_db(transaction=True)

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")


def test_it_binds_nothing_until_the_second_factor_succeeds(client, microsoft) -> None:
    email = "ada.admin@contoso.example"
    contoso = directory()
    entra_user(microsoft, email, contoso, "Ada Admin")
    user = make_user(make_tenant(entra_tenant_id=contoso), email=email)

    response = through_entra(client, email)
    assert response["Location"] == reverse("mfa_authenticate")
    # Stopped at the TOTP page, then a wrong code: nothing is bound or changed.
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    user.refresh_from_db()
    assert user.has_usable_password()

    ok = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert ok["Location"] == "/dashboard/"
    account = SocialAccount.objects.get(user=user, provider="microsoft")
    assert account.extra_data["tid"] == contoso
    assert AuditEntry.objects.filter(action="login.microsoft_connected").count() == 1


def test_a_stranger_who_stops_at_the_second_factor_cannot_sign_in_by_identity_later(
    client, microsoft
) -> None:
    email = "bo.admin@contoso.example"
    contoso = directory()
    entra_user(microsoft, email, contoso, "Bo Admin")
    user = make_user(make_tenant(entra_tenant_id=contoso), email=email)
    through_entra(client, email)  # and walks away at the TOTP page
    client.cookies.clear()
    assert not SocialAccount.objects.filter(user=user).exists()
    # A second attempt still ends at the second factor (nothing was remembered).
    again = through_entra(client, email)
    assert again["Location"] == reverse("mfa_authenticate")


def test_a_pending_microsoft_sign_in_keeps_no_token_in_the_session(client, microsoft) -> None:
    email = "cy.admin@contoso.example"
    contoso = directory()
    entra_user(microsoft, email, contoso, "Cy Admin")
    make_user(make_tenant(entra_tenant_id=contoso), email=email)
    response = through_entra(client, email)
    assert response["Location"] == reverse("mfa_authenticate")
    # allauth keeps the pending sign-in in the session until the second factor: without the
    # access token Entra issued (its claims were read already; Mio stores no Microsoft token).
    sessions = json.dumps([s.get_decoded() for s in Session.objects.all()], default=str)
    assert "sociallogin" in sessions or "login" in sessions
    assert not JWT.search(sessions)
