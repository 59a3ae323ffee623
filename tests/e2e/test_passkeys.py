"""Passkeys in a real Chromium, with the DevTools protocol's virtual authenticator standing in
for the device (a platform authenticator with a PIN or fingerprint that always says yes).

CDP's WebAuthn domain: https://chromedevtools.github.io/devtools-protocol/tot/WebAuthn/
(WebAuthn.enable, WebAuthn.addVirtualAuthenticator with VirtualAuthenticatorOptions,
WebAuthn.getCredentials). Everything else is the product: allauth's views, its static scripts
under the site's CSP, and our templates.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from playwright.sync_api import CDPSession, Page, expect

from dashboard.tests.factories import PASSWORD, make_tenant, make_user
from tests.e2e.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    answer = cdp.send(
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
    return cdp, answer["authenticatorId"]


def serious_problems(page: Page) -> list[str]:
    """axe-core's serious and critical accessibility violations on the page, in words."""
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_out(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/logout/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/")
    expect(page.locator(".topbar")).to_contain_text("Sign in")


def test_it_signs_in_with_a_passkey_alone_and_as_the_second_factor(page: Page, live_server) -> None:
    cache.clear()  # used TOTP codes and login limits of earlier tests in this process
    base = live_server.url
    assert base.startswith("http://localhost:")  # a passkey needs a host name, not an IP
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    cdp, authenticator_id = add_virtual_authenticator(page)
    problems: list[str] = []
    user = make_user(make_tenant())
    page.goto(f"{base}/accounts/login/")
    problems += serious_problems(page)
    sign_in(page, base, user.username, PASSWORD, user.totp_secret, "/dashboard/")

    # Add a passkey from the security page; allauth asks for the password once more first.
    page.goto(f"{base}/accounts/2fa/")
    problems += serious_problems(page)
    page.get_by_role("link", name="Add a passkey").click()
    expect(page.get_by_label("Password")).to_be_focused()
    problems += serious_problems(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_label("Passkey name")).to_be_focused()
    expect(page.get_by_label(re.compile("sign in with this passkey alone"))).to_be_checked()
    problems += serious_problems(page)
    page.get_by_label("Passkey name").fill("Test laptop")
    page.get_by_role("button", name="Add passkey").click()

    # The first passkey brings the recovery codes, shown this once, with a download.
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    codes = page.get_by_role("textbox", name=re.compile("recovery codes")).input_value().split()
    assert len(codes) == 10
    problems += serious_problems(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download codes").click()
    assert download.value.suggested_filename == "mio-auto-heal-recovery-codes.txt"
    with open(download.value.path()) as saved:
        assert saved.read().split() == codes
    page.get_by_label("I have saved my recovery codes").check()

    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Test laptop"
    assert key.wrap().is_passwordless is True  # a discoverable credential: it can sign in alone
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert [c["isResidentCredential"] for c in stored["credentials"]] == [True]
    sign_out(page, base)

    # Passwordless: the passkey alone signs in.
    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    expect(page.locator("input[name=login]")).to_be_focused()
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/dashboard/")
    expect(page.locator("main h1")).to_be_visible()
    sign_out(page, base)

    # As the second factor: the password, then the passkey instead of the code.
    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_label("Code")).to_be_focused()
    problems += serious_problems(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/dashboard/")

    # The passkey also confirms it's you before a change to how you sign in.
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.get_by_role("link", name="Use a passkey").click()
    # The button works through allauth's WebAuthn script: press it once the page has loaded it
    # (pressed earlier it does nothing, and the test would wait for a page that never comes).
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/reauthenticate/"))
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/accounts/2fa/webauthn/add/")
    expect(page.get_by_label("Passkey name")).to_be_focused()
    sign_out(page, base)

    # A device that cannot verify its owner is no passkey sign-in; the page says so.
    cdp.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False}
    )
    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("The passkey was not used", timeout=15_000)
    expect(page).to_have_url(f"{base}/accounts/login/?next=/dashboard/")
    problems += serious_problems(page)  # with the passkey error shown
    assert refused == []  # allauth's scripts ran under the site's CSP
    assert problems == []
