"""An end user re-syncs a broken account in a real browser, on each of the four platforms.

The token is broken through the sandbox control API; the health engine finds it; the user opens
their sandbox inbox, presses the prompt's button, passes the platform's consent page, lands on
the success page, and the bot's confirmation arrives in their inbox; the admins get theirs.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from notifications.models import Incident
from notifications.tests.world import build, payload_text
from platforms.keys import Platform

pytestmark = pytest.mark.browser

SITUATION = {
    "slack": "grant_revoked",
    "teams": "mfa_enrollment_required",
    "zoom": "grant_revoked",
    "webex": "grant_revoked",
}


@pytest.mark.parametrize("platform", ["slack", "teams", "zoom", "webex"])
def test_it_takes_the_user_from_the_prompt_to_re_synced(
    sandbox, live_server, page: Page, screenshot_dir, platform
) -> None:
    world = build(sandbox, platform, users=1, admins=1)
    user = world.users[0]
    person = user.person
    label = Platform(platform).label
    world.break_(user, SITUATION[platform])
    for _ in range(3):
        world.check(user)
    prompts = world.inbox(person)
    assert len(prompts) == 1
    assert f"Re-sync your {label} account" in payload_text(prompts[0])

    inbox_url = f"{live_server.url}/sandbox/inbox/{platform}/{person.email}/"
    page.goto(inbox_url)
    button = page.get_by_role("link", name=f"Re-sync your {label} account")
    expect(button).to_have_count(1)
    if platform == "slack":
        page.screenshot(path=str(screenshot_dir / "inbox-slack-prompt.png"), full_page=True)
    if platform == "teams":
        page.screenshot(path=str(screenshot_dir / "inbox-teams-card.png"), full_page=True)
    button.click()

    expect(page.locator('[data-page="resync-landing"]')).to_be_visible()
    expect(page.get_by_role("heading", name=f"Re-sync your {label} account")).to_be_visible()
    if platform == "slack":
        page.screenshot(path=str(screenshot_dir / "resync-landing.png"), full_page=True)
    page.locator("#resync-start").click()

    # The platform's own sign-in and consent page, served by the sandbox.
    expect(page).to_have_url(re.compile(r"/sandbox/" + platform + "/"))
    page.locator('button[name="decision"][value="allow"]').first.click()

    expect(page.locator('[data-page="resync-success"]')).to_be_visible()
    expect(page.get_by_role("heading", name=f"Your {label} account is re-synced")).to_be_visible()
    if platform == "slack":
        page.screenshot(path=str(screenshot_dir / "resync-success.png"), full_page=True)

    incident = Incident.objects.get(tenant=world.tenant)
    assert (incident.status, incident.resolution) == ("resolved", "user_resync")

    page.goto(inbox_url)
    expect(page.get_by_text("You're re-synced").first).to_be_visible()
    delivered = world.inbox(person)
    assert len(delivered) == 2
    assert "You're re-synced" in payload_text(delivered[1])

    admin = world.admins[0]
    admin_inbox = [payload_text(m) for m in world.inbox(admin)]
    assert len(admin_inbox) == 1
    assert f"{person.name}'s {label} token was refreshed" in admin_inbox[0]
    page.goto(f"{live_server.url}/sandbox/inbox/{platform}/{admin.email}/")
    expect(page.get_by_text(f"{person.name}'s {label} token was refreshed").first).to_be_visible()
