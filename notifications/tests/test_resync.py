"""The re-sync pages over real HTTP: link -> landing -> platform sign-in -> callback -> done.

``requests`` plays the browser (cookies, CSRF, redirects) against the live server, and the
sandbox's consent page plays the platform. The browser journeys in tests/e2e do the same with
a real Chromium; these cover every way it can go wrong.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from accounts.models import ResyncLink
from accounts.resync.links import url_for
from notifications.models import Incident, OutboxMessage
from notifications.tests.browser import Browser
from notifications.tests.world import build, payload_text
from platforms.tests.contract import _hidden_fields
from tokens.models import CheckRecord, Credential, CredentialState, PlatformAccount

Row = OutboxMessage


def broken(sandbox, platform: str = "slack", situation: str = "grant_revoked"):
    world = build(sandbox, platform, users=2, admins=1)
    user = world.users[0]
    world.break_(user, situation)
    world.check(user)
    row = OutboxMessage.objects.get(template=Row.Template.USER_PROMPT, recipient=user.person)
    return world, user, row


@pytest.mark.parametrize("platform", ["slack", "teams", "zoom", "webex"])
def test_it_re_syncs_the_account_and_confirms_to_user_and_admins(sandbox, platform) -> None:
    world, user, row = broken(sandbox, platform)
    before = Credential.objects.get(pk=user.credential_id)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    assert landing.status_code == 200
    assert "Re-sync your" in landing.text
    assert user.person.email in landing.text
    done = browser.sign_in(landing)
    assert done.status_code == 200, done.text[:1000]
    assert 'data-page="resync-success"' in done.text

    incident = Incident.objects.get(pk=row.incident_id)
    assert (incident.status, incident.resolution) == ("resolved", "user_resync")
    after = Credential.objects.get(pk=user.credential_id)
    assert after.state == CredentialState.HEALTHY
    assert after.access_token != before.access_token  # the new grant, stored (encrypted)
    assert CheckRecord.objects.filter(credential=after, source="resync").count() == 1
    assert ResyncLink.objects.get(pk=row.resync_link_id).used_at is not None
    delivered = [payload_text(m) for m in world.inbox(user.person)]
    assert len(delivered) == 2
    assert "You're re-synced" in delivered[1]
    admin = [payload_text(m) for m in world.inbox(world.admins[0])]
    assert len(admin) == 1
    assert f"{user.person.name}'s" in admin[0]
    assert "token was refreshed" in admin[0]
    # The account works for real: the next check finds it healthy, and says nothing.
    world.check(user)
    assert len(world.inbox(user.person)) == 2


def test_it_shows_the_success_again_when_the_success_page_is_reloaded(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    callback = authorized(browser, landing)
    done = browser.get(callback)
    assert 'data-page="resync-success"' in done.text
    assert done.url.endswith("/resync/done/")  # a redirect target, safe to reload
    for again in (done.url, callback):  # reload, and the back button to the callback
        page = browser.get(again)
        assert page.status_code == 200
        assert 'data-page="resync-success"' in page.text
        assert "took too long" not in page.text
    # A browser that finished nothing gets no success page.
    assert Browser().get(done.url).status_code == 404


def test_it_refuses_another_upstream_account_and_stores_nothing(sandbox) -> None:
    world, user, row = broken(sandbox)
    other = world.users[1]
    before = Credential.objects.get(pk=user.credential_id)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    answer = browser.sign_in(landing, account=other.person.email)
    assert answer.status_code == 409
    assert 'data-problem="wrong_account"' in answer.text
    assert user.email in answer.text
    after = Credential.objects.get(pk=user.credential_id)
    assert (after.access_token, after.state) == (before.access_token, before.state)
    assert Incident.objects.get(pk=row.incident_id).status == "open"
    assert ResyncLink.objects.get(pk=row.resync_link_id).used_at is None
    # …and the right account still works with the same link afterwards.
    assert browser.sign_in(browser.get(url_for(row.resync_link))).status_code == 200


def test_it_offers_a_fresh_link_for_a_used_one_only_while_there_is_something_to_do(
    sandbox,
) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    link = url_for(row.resync_link)
    assert browser.sign_in(browser.get(link)).status_code == 200
    again = browser.get(link)
    assert again.status_code == 410
    assert 'data-problem="used"' in again.text
    fresh = browser.submit(again)
    assert fresh.status_code == 200
    assert 'data-outcome="nothing_to_do"' in fresh.text


def test_it_sends_a_fresh_link_for_an_expired_one_rate_limited(sandbox) -> None:
    world, user, row = broken(sandbox)
    browser = Browser()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=True):
        expired = browser.get(url_for(row.resync_link))
        assert expired.status_code == 410
        assert 'data-problem="expired"' in expired.text
        assert browser.submit(expired).status_code == 200
        assert browser.submit(expired).status_code == 429  # once per RESYNC_FRESH_LINK_MINUTES
    prompts = [m for m in world.inbox(user.person) if "Re-sync" in payload_text(m)]
    assert len(prompts) == 2
    fresh = ResyncLink.objects.filter(person=user.person).latest("created_at")
    assert fresh.pk != row.resync_link_id
    assert url_for(fresh) in payload_text(prompts[1])
    # The fresh link works.
    assert browser.sign_in(browser.get(url_for(fresh))).status_code == 200


def test_it_answers_an_invalid_link_kindly_and_reveals_nobody(sandbox, settings) -> None:
    settings.RESYNC_FRESH_LINK_MINUTES = 0  # the prompt's own link was made a moment ago
    cache.clear()  # the per-address limit of earlier tests in this process
    _world, user, row = broken(sandbox)
    browser = Browser()
    tampered = url_for(row.resync_link).replace("/resync/", "/resync/x")
    page = browser.get(tampered)
    assert page.status_code == 404
    assert 'data-problem="invalid"' in page.text
    known = browser.submit(page, email=user.person.email)
    unknown = browser.submit(page, email="nobody@elsewhere.example")
    assert known.status_code == unknown.status_code == 200
    assert 'data-outcome="by_email"' in known.text
    assert 'data-outcome="by_email"' in unknown.text
    assert ResyncLink.objects.filter(person=user.person).count() == 2
    assert browser.submit(page, email="not-an-email").status_code == 400


def test_it_keeps_the_link_when_the_user_cancels_the_sign_in(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    started = browser.submit(landing)
    authorize = browser.get(started.headers["Location"])
    denied = browser.http.post(
        authorize.url,
        data={"decision": "deny", **_hidden_fields(authorize.text)},
        timeout=30,
        allow_redirects=False,
    )
    page = browser.get(denied.headers["Location"])
    assert page.status_code == 400
    assert 'data-problem="cancelled"' in page.text
    assert ResyncLink.objects.get(pk=row.resync_link_id).used_at is None


def test_it_refuses_a_callback_with_a_forged_state_or_without_a_session(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    started = browser.submit(landing)
    authorize = browser.get(started.headers["Location"])
    answer = browser.http.post(
        authorize.url,
        data={"decision": "allow", **_hidden_fields(authorize.text)},
        timeout=30,
        allow_redirects=False,
    )
    forged = re.sub(r"state=[^&]+", "state=forged", answer.headers["Location"])
    page = browser.get(forged)
    assert page.status_code == 400
    assert 'data-problem="state"' in page.text
    assert Incident.objects.get(pk=row.incident_id).status == "open"
    stranger = Browser().get(answer.headers["Location"])
    assert stranger.status_code == 400
    assert 'data-problem="session"' in stranger.text


def test_it_starts_nothing_on_a_get_or_without_csrf(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    start = url_for(row.resync_link) + "start/"
    assert browser.get(start).status_code == 405
    assert browser.http.post(start, timeout=30, allow_redirects=False).status_code == 403


def authorized(browser: Browser, landing) -> str:
    """Press Re-sync and allow on the consent page: the callback URL the platform sends back."""
    started = browser.submit(landing)
    authorize = browser.get(started.headers["Location"])
    answer = browser.http.post(
        authorize.url,
        data={"decision": "allow", **_hidden_fields(authorize.text)},
        timeout=30,
        allow_redirects=False,
    )
    return answer.headers["Location"]


def test_it_keeps_the_sign_in_in_progress_when_a_stray_callback_arrives(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    callback = authorized(browser, browser.get(url_for(row.resync_link)))
    base = callback.split("?")[0]
    for stray in ("?error=access_denied", "?error=access_denied&state=forged", "?code=x"):
        page = browser.get(base + stray)
        assert page.status_code == 400
        assert 'data-problem="state"' in page.text
    done = browser.get(callback)  # the real answer still finds its sign-in
    assert done.status_code == 200, done.text[:500]
    assert 'data-page="resync-success"' in done.text
    assert Incident.objects.get(pk=row.incident_id).status == "resolved"


def test_it_finishes_the_first_sign_in_after_a_double_click(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    first = authorized(browser, landing)
    second = authorized(browser, landing)  # the button pressed again: a second sign-in
    done = browser.get(first)
    assert done.status_code == 200, done.text[:500]
    assert 'data-page="resync-success"' in done.text
    late = browser.get(second)  # the same link cannot be used twice
    assert late.status_code == 410
    assert 'data-problem="used"' in late.text


def test_it_keeps_only_the_last_five_sign_ins(sandbox) -> None:
    _world, _user, row = broken(sandbox)
    browser = Browser()
    landing = browser.get(url_for(row.resync_link))
    callbacks = [authorized(browser, landing) for _ in range(6)]
    dropped = browser.get(callbacks[0])  # the oldest made room for the sixth
    assert dropped.status_code == 400
    assert 'data-problem="state"' in dropped.text
    assert browser.get(callbacks[-1]).status_code == 200


def test_it_stores_nothing_when_the_account_is_already_linked_elsewhere(sandbox) -> None:
    world, user, row = broken(sandbox)
    other = world.users[1]
    # The broken account never learnt its workspace; another account holds the same upstream
    # user in it, so storing the grant would break account_unique_upstream.
    PlatformAccount.objects.filter(pk=user.pk).update(workspace_id="")
    PlatformAccount.objects.filter(pk=other.pk).update(
        upstream_user_id=user.upstream_user_id, workspace_id=user.workspace_id
    )
    before = Credential.objects.get(pk=user.credential_id)
    browser = Browser()
    page = browser.sign_in(browser.get(url_for(row.resync_link)))
    assert page.status_code == 409, page.text[:500]
    assert 'data-problem="conflict"' in page.text
    assert "already connected elsewhere" in page.text
    after = Credential.objects.get(pk=user.credential_id)
    assert (after.access_token, after.state) == (before.access_token, before.state)
    assert PlatformAccount.objects.get(pk=user.pk).workspace_id == ""
    assert ResyncLink.objects.get(pk=row.resync_link_id).used_at is None
    assert Incident.objects.get(pk=row.incident_id).status == "open"
