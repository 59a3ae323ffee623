"""An old re-sync link in a real browser: expired, or already used. Each shows its friendly
page and offers a fresh link; asking for it sends exactly one new prompt, whose link works.

Time passes for real on the server's side (time-machine moves the clock of this process, where
the live server runs), so the link's expiry and the fresh-link rate limit are the real ones.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import ResyncLink
from accounts.resync.links import url_for
from notifications.models import OutboxMessage
from notifications.tests.browser import Browser
from notifications.tests.world import World, build, payload_text

pytestmark = pytest.mark.browser

BUTTON = "Re-sync your Slack account"


def broken_slack_user(sandbox) -> tuple[World, object]:
    world = build(sandbox, "slack", users=1, admins=1)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    return world, user


def prompts(world: World, person) -> list[str]:
    return [t for t in map(payload_text, world.inbox(person)) if BUTTON in t]


def ask_for_a_fresh_link(page: Page) -> None:
    page.get_by_role("button", name="Send me a fresh link").click()
    expect(page.locator('[data-page="resync-fresh"][data-outcome="sent"]')).to_be_visible()
    expect(page.get_by_role("heading", name="A fresh link is on its way")).to_be_visible()


def test_it_offers_a_fresh_link_for_an_expired_one(sandbox, live_server, page: Page) -> None:
    world, user = broken_slack_user(sandbox)
    person = user.person
    inbox = f"{live_server.url}/sandbox/inbox/slack/{person.email}/"
    a_week_later = timezone.now() + timedelta(days=settings.RESYNC_LINK_MAX_AGE_DAYS, minutes=1)
    with time_machine.travel(a_week_later, tick=True):
        page.goto(inbox)
        page.get_by_role("link", name=BUTTON).click()
        expect(page.locator('[data-page="resync-problem"][data-problem="expired"]')).to_be_visible()
        expect(page.get_by_role("heading", name="This re-sync link has expired")).to_be_visible()
        ask_for_a_fresh_link(page)

        assert len(prompts(world, person)) == 2  # the old prompt and exactly one new one
        page.goto(inbox)
        buttons = page.get_by_role("link", name=BUTTON)
        expect(buttons).to_have_count(2)
        buttons.last.click()
        expect(page.locator('[data-page="resync-landing"]')).to_be_visible()


def test_it_offers_a_fresh_link_for_a_used_one(sandbox, live_server, page: Page) -> None:
    world, user = broken_slack_user(sandbox)
    person = user.person
    first = OutboxMessage.objects.get(recipient=person, template="user_prompt").resync_link
    # The user re-synced with the first link (the full journey is in test_resync_journeys)…
    browser = Browser()
    assert browser.sign_in(browser.get(url_for(first))).status_code == 200
    # …and later the account broke again: a new incident, a new prompt with its own link.
    world.break_(user, "grant_revoked")
    world.check(user)
    assert len(prompts(world, person)) == 2

    inbox = f"{live_server.url}/sandbox/inbox/slack/{person.email}/"
    after_the_rate_limit = timezone.now() + timedelta(
        minutes=settings.RESYNC_FRESH_LINK_MINUTES + 1
    )
    with time_machine.travel(after_the_rate_limit, tick=True):
        page.goto(inbox)
        page.get_by_role("link", name=BUTTON).first.click()  # the first, used, message's button
        expect(page.locator('[data-page="resync-problem"][data-problem="used"]')).to_be_visible()
        expect(
            page.get_by_role("heading", name="This re-sync link was already used")
        ).to_be_visible()
        ask_for_a_fresh_link(page)

        assert len(prompts(world, person)) == 3
        newest = ResyncLink.objects.filter(person=person).latest("created_at")
        assert url_for(newest) in prompts(world, person)[-1]
        page.goto(inbox)
        page.get_by_role("link", name=BUTTON).last.click()
        expect(page.locator('[data-page="resync-landing"]')).to_be_visible()
