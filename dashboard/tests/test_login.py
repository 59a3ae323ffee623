"""Signing in: password then TOTP, TOTP set up before any dashboard page, rate limits, no signup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dashboard.tests.factories import PASSWORD, make_tenant, make_user
from dashboard.tests.totp import totp_code

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def sign_in(client, username: str, password: str = PASSWORD, next_url: str = DASHBOARD):
    return client.post(
        reverse("account_login") + f"?next={next_url}", {"login": username, "password": password}
    )


def test_it_asks_for_the_totp_code_after_the_password(client) -> None:
    user = make_user(make_tenant())
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in yet: the dashboard still sends us to the login page.
    assert client.get(DASHBOARD)["Location"].startswith(reverse("account_login"))

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_it_refuses_a_wrong_totp_code(client) -> None:
    user = make_user(make_tenant())
    sign_in(client, user.username)
    good = totp_code(user.totp_secret)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get(DASHBOARD).status_code == 302


def test_it_makes_a_user_without_totp_set_it_up_before_the_dashboard(client) -> None:
    user = make_user(make_tenant(), totp_secret=None)
    response = sign_in(client, user.username)
    assert response["Location"] == DASHBOARD  # no second factor yet: signed in...
    response = client.get(DASHBOARD)
    assert response["Location"] == reverse("mfa_activate_totp")  # ...but sent to set it up

    # allauth asks for the password once more before adding an authenticator.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    # Recovery codes are offered at once, for the day the phone is lost.
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(response["Location"]).content.decode()
    assert len(re.findall(r"\b[0-9a-f]{8}\b", codes)) >= 10
    assert client.get(DASHBOARD).status_code == 200


def test_it_rate_limits_failed_logins(client) -> None:
    user = make_user(make_tenant())
    for _ in range(5):
        response = sign_in(client, user.username, "wrong-password")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    # The right password no longer helps until the window passes.
    response = sign_in(client, user.username)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(DASHBOARD).status_code == 302


def test_it_has_no_self_service_signup(client) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "stranger@example.com",
            "username": "stranger",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert "Sign Up Closed" in response.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="stranger").exists()


def test_it_offers_sign_in_with_microsoft(client) -> None:
    page = client.get(reverse("account_login")).content.decode()
    assert "Microsoft" in page
    assert reverse("microsoft_login") in page


def test_it_signs_staff_into_the_admin_through_the_same_login(client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
