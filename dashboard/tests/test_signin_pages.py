"""allauth's sign-in and security pages: the product's look, focus and labels, passkeys and
recovery codes (the browser journeys are in tests/e2e/test_passkeys.py)."""

from __future__ import annotations

import json
import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from dashboard.tests.factories import PASSWORD, make_tenant, make_user
from dashboard.tests.totp import totp_code

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def sign_in_fully(client, user) -> None:
    """Password, then the authenticator code; then the password once more, as allauth asks
    before anything that changes a second factor."""
    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    assert response.status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def inline_scripts(html: str) -> list[str]:
    """<script> elements the browser would run without a src (the CSP refuses them)."""
    return [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]


def test_it_focuses_and_labels_the_first_field_of_the_login_page(client) -> None:
    html = client.get(reverse("account_login")).content.decode()
    login_input = re.search(r'<input[^>]*name="login"[^>]*>', html).group(0)
    assert "autofocus" in login_input
    assert '<label for="id_login">' in html
    assert '<label for="id_password">' in html
    assert len(re.findall(r"\bautofocus\b", html)) == 1
    assert "mio/signin.css" in html  # the product's look, not allauth's bare page
    assert "Sign in with a passkey" in html
    assert inline_scripts(html) == []
    assert " style=" not in html


def test_it_ties_a_wrong_code_error_to_the_field_and_focuses_it(client) -> None:
    user = make_user(make_tenant())
    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    good = totp_code(user.totp_secret)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    html = client.post(reverse("mfa_authenticate"), {"code": wrong}).content.decode()
    code_input = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in code_input
    assert "autofocus" in code_input
    assert 'aria-describedby="id_code_error"' in code_input
    assert re.search(r'<ul class="errorlist" id="id_code_error">\s*<li>Incorrect code', html)
    assert '<label for="id_code">' in html


def test_it_offers_a_passkey_at_the_second_step_only_to_who_has_one(client) -> None:
    user = make_user(make_tenant())
    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    html = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Use a passkey" not in html
    assert "recovery codes" in html  # the way back in is named where it is needed


def test_it_lets_a_passkey_alone_be_the_dashboard_s_second_factor(client) -> None:
    user = make_user(make_tenant(), totp_secret=None)
    client.force_login(user)
    assert client.get(DASHBOARD)["Location"] == reverse("mfa_activate_totp")
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    assert client.get(DASHBOARD).status_code == 200


def test_it_offers_a_passkey_instead_when_asking_for_an_authenticator_app(client) -> None:
    user = make_user(make_tenant(), totp_secret=None)
    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    assert reverse("mfa_add_webauthn") in html
    code_input = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    assert "autofocus" in code_input


def test_it_answers_the_passkey_login_with_a_challenge_that_requires_verification(client) -> None:
    response = client.get(reverse("mfa_login_webauthn"), HTTP_ACCEPT="application/json")
    options = response.json()["request_options"]["publicKey"]
    assert options["userVerification"] == "required"  # the passkey is both factors
    assert options["challenge"]
    assert not options.get("allowCredentials")
    # Without JavaScript (a plain GET) it is the login page that answers.
    assert client.get(reverse("mfa_login_webauthn"))["Location"] == reverse("account_login")


def test_it_offers_recovery_codes_when_an_authenticator_app_is_set_up(client) -> None:
    user = make_user(make_tenant(), totp_secret=None)
    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")

    html = client.get(response["Location"]).content.decode()
    codes = re.search(r'<textarea id="recovery_codes"[^>]*>([^<]*)</textarea>', html).group(1)
    codes = codes.split()
    assert len(codes) == 10
    assert all(re.fullmatch(r"\d{8}", c) for c in codes)
    download = re.search(r'download="[^"]+" href="data:text/plain;charset=utf-8,([^"]+)"', html)
    assert download.group(1).replace("%0A", " ").split() == codes
    assert inline_scripts(html) == []

    # Shown once: the next visit counts them and offers a new set, and shows none.
    again = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert "10 of 10 recovery codes are left" in again
    assert not any(code in again for code in codes)
    assert client.get(reverse("mfa_download_recovery_codes")).status_code == 403


def test_it_signs_in_with_a_recovery_code_once(client) -> None:
    user = make_user(make_tenant())
    sign_in_fully(client, user)
    client.post(reverse("mfa_generate_recovery_codes"))
    html = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    code = re.search(r'<textarea id="recovery_codes"[^>]*>(\d{8})', html).group(1)
    client.post(reverse("account_logout"))

    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    client.post(reverse("account_logout"))

    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.parametrize(
    "name",
    ["mfa_index", "mfa_list_webauthn", "account_change_password", "account_logout"],
)
def test_it_shows_the_security_pages_in_the_product_s_frame(client, name) -> None:
    user = make_user(make_tenant())
    sign_in_fully(client, user)
    html = client.get(reverse(name)).content.decode()
    assert "mio/signin.css" in html
    assert 'class="topbar"' in html
    assert '<nav class="signin-tabs" aria-label="Your security">' in html
    assert inline_scripts(html) == []
    assert " style=" not in html


def test_it_names_the_passkey_form_s_fields_and_starts_with_the_name(client) -> None:
    user = make_user(make_tenant())
    sign_in_fully(client, user)
    html = client.get(reverse("mfa_add_webauthn")).content.decode()
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', html).group(0)
    assert "autofocus" in name_input
    assert re.search(r'<input[^>]*name="passwordless"[^>]*checked', html)
    assert "Also sign in with this passkey alone" in html
    data = re.search(r'<script id="js_data" type="application/json">(.*?)</script>', html)
    data = json.loads(data.group(1))
    assert data["creation_options"]["publicKey"]["rp"]["id"] == "testserver"


def test_it_lists_passkeys_and_removing_the_last_sends_back_to_setup(client) -> None:
    user = make_user(make_tenant(), totp_secret=None)
    credential = {"clientExtensionResults": {"credProps": {"rk": True}}}
    key = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Work laptop", "credential": credential},
    )
    client.force_login(user)
    html = client.get(reverse("mfa_list_webauthn")).content.decode()
    assert "Work laptop" in html
    assert "Signs in alone" in html
    assert client.get(DASHBOARD).status_code == 200

    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_remove_webauthn", kwargs={"pk": key.pk}))
    assert response["Location"] == reverse("mfa_list_webauthn")
    assert "Passkey removed." in client.get(response["Location"]).content.decode()
    assert client.get(DASHBOARD)["Location"] == reverse("mfa_activate_totp")


def test_it_accepts_passkey_answers_only_from_the_site_s_own_origin(rf) -> None:
    # MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN stays off: fido2 checks the browser-reported origin
    # against the relying party id (the Host), allowing http only for localhost.
    from allauth.core.context import request_context
    from allauth.mfa.webauthn.internal.auth import get_server

    with request_context(rf.get("/", HTTP_HOST="localhost:8000")):
        server = get_server()
    assert server.rp.id == "localhost"
    assert server._verify("http://localhost:8000")
    assert not server._verify("http://evil.example")
    assert not server._verify("https://localhost.evil.example")
