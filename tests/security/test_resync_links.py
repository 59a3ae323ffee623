"""Re-sync links and their OAuth flow: what notifications/tests/test_resync.py leaves out.

Already covered there: a tampered token (404), an expired link (410), a used link (410), a
forged OAuth state and a callback without the browser's session (400), another person of the
same tenant signing in (409), a conflicting upstream account (409), GET and CSRF on ``start``.
Here: a token signed with another key or naming another link, another *tenant*'s account
signing in on each platform, and a code presented with another sign-in's PKCE verifier on each
platform. Whatever is refused stores nothing, keeps the link unused and the incident open.
"""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import Client

from accounts.models import ResyncLink
from accounts.resync import links
from accounts.resync.links import url_for
from notifications.models import Incident, OutboxMessage
from notifications.tests.browser import Browser
from notifications.tests.world import PLATFORMS, build
from platforms.tests.contract import _hidden_fields
from tokens.models import Credential

# The field of each sandbox consent page that says which account signs in.
ACCOUNT_FIELD = {"slack": "account", "teams": "login_hint", "zoom": "email", "webex": "account"}


def broken_user(sandbox, platform: str):
    world = build(sandbox, platform, users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = OutboxMessage.objects.get(template="user_prompt", recipient=user.person)
    return world, user, row


def assert_nothing_changed(user, row, before: Credential) -> None:
    after = Credential.objects.get(pk=user.credential_id)
    assert (after.access_token, after.refresh_token, after.state) == (
        before.access_token,
        before.refresh_token,
        before.state,
    )
    assert ResyncLink.objects.get(pk=row.resync_link_id).used_at is None
    assert Incident.objects.get(pk=row.incident_id).status == "open"


def test_it_refuses_a_token_signed_with_another_key_or_naming_another_link(sandbox) -> None:
    _world, user, row = broken_user(sandbox, "slack")
    link = ResyncLink.objects.get(pk=row.resync_link_id)
    forged = signing.Signer(key="not-our-secret-key", salt=links.SALT).sign_object(
        {"l": link.pk, "n": link.nonce}
    )
    wrong_nonce = signing.Signer(salt=links.SALT).sign_object({"l": link.pk, "n": "guessed"})
    no_such_link = signing.Signer(salt=links.SALT).sign_object({"l": link.pk + 999, "n": "x"})
    # In-process: the test live server's media handler answers 500 for any path segment
    # longer than a file name may be (an artefact of the test server, not the project's).
    client = Client()
    for token in (forged, wrong_nonce, no_such_link, "a" * 5000):
        page = client.get(f"/resync/{token}/")
        assert page.status_code == 404, token
        assert 'data-problem="invalid"' in page.content.decode()
        assert client.post(f"/resync/{token}/start/").status_code == 404, token
        assert client.post(f"/resync/{token}/fresh/").status_code == 404, token
    assert_nothing_changed(user, row, Credential.objects.get(pk=user.credential_id))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_refuses_an_account_of_another_tenant_signing_in(sandbox, platform) -> None:
    _world, user, row = broken_user(sandbox, platform)
    stranger = build(sandbox, platform, users=1, admins=0).users[0]
    assert stranger.person.tenant_id != user.person.tenant_id
    before = Credential.objects.get(pk=user.credential_id)
    browser = Browser()
    answer = browser.sign_in(
        browser.get(url_for(row.resync_link)), **{ACCOUNT_FIELD[platform]: stranger.email}
    )
    assert answer.status_code == 409, answer.text[:500]
    assert 'data-problem="wrong_account"' in answer.text
    assert stranger.email not in answer.text  # the page names who was expected, not who came
    assert_nothing_changed(user, row, before)
    # Nor was the stranger's own account touched.
    assert Credential.objects.get(pk=stranger.credential_id).state == "healthy"


def callback_for(browser: Browser, landing) -> str:
    started = browser.submit(landing)
    authorize = browser.get(started.headers["Location"])
    answer = browser.http.post(
        authorize.url,
        data={"decision": "allow", **_hidden_fields(authorize.text)},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["Location"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_refuses_a_code_presented_with_another_sign_ins_pkce_verifier(sandbox, platform) -> None:
    _world, user, row = broken_user(sandbox, platform)
    before = Credential.objects.get(pk=user.credential_id)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    first = callback_for(browser, landing)  # two sign-ins of this browser: two verifiers
    second = callback_for(browser, landing)
    code_of_second = re.search(r"[?&]code=([^&]+)", second)[1]
    # The first sign-in's state (so its verifier is used) with the second one's code.
    swapped = re.sub(r"([?&]code=)[^&]+", lambda m: m[1] + code_of_second, first)
    page = browser.get(swapped)
    assert 400 <= page.status_code < 600, page.text[:500]
    assert 'data-page="resync-success"' not in page.text
    assert "data-problem=" in page.text
    assert_nothing_changed(user, row, before)
