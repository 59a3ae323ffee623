"""Passkeys (allauth's WebAuthn) in a real Chromium with a virtual authenticator (the DevTools
protocol's WebAuthn domain: https://chromedevtools.github.io/devtools-protocol/tot/WebAuthn/):
an admin adds a passkey, then uses it as the second factor after the password, and to sign in
with no password at all."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from accounts.models import Membership
from dashboard.tests.factories import PASSWORD, make_tenant, make_user
from tests.e2e.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_it_signs_in_with_a_passkey_as_second_factor_and_without_a_password(
    page: Page, live_server, settings
) -> None:
    cache.clear()
    # WebAuthn needs a host name for its relying party: "localhost", never an IP address.
    base = live_server.url.replace("127.0.0.1", "localhost")
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    tenant = make_tenant("acme", primary_platform="teams", name="Acme")
    admin = make_user(tenant)
    assert Membership.objects.filter(user=admin).exists()
    virtual_authenticator(page)

    sign_in(page, base, admin.username, PASSWORD, admin.totp_secret, "/dashboard/")
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    # allauth asks for the password again before a new authenticator is added.
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    page.fill("input[name=name]", "Laptop")
    page.check("input[name=passwordless]")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: not url.endswith("/webauthn/add/"))
    assert admin.authenticator_set.filter(type="webauthn").exists()

    # Second factor: the password, then the passkey instead of the app's code.
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    expect(page.locator("input[name=login]")).to_be_focused()  # the first field has the cursor
    page.fill("input[name=login]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.click("#mfa_webauthn_authenticate")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    expect(page.locator("h1")).to_contain_text("Overview")

    # Passwordless: the passkey alone.
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    page.click("#passkey_login")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    expect(page.locator(".dash-user")).to_contain_text(admin.username)
