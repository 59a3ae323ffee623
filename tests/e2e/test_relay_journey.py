"""The reference relay holds a person's messages while their account is broken and replays them,
in order, once, right after they re-sync — in a real browser, over real HTTP end to end.

The relay (examples/relay/relay.py) runs as its own process and knows Mio only through the
public API: its key, the token API, relay events, and the signed ``account.healed`` webhook.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from api.keys import create_key
from notifications.tests.world import build, payload_text
from outbound.endpoints import create_endpoint
from tests.relayproc import RelayProcesses, free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def reference_relay(live_server, tmp_path):
    relays = RelayProcesses(live_server.url, tmp_path)
    yield relays.start
    relays.stop()


def test_it_holds_messages_while_the_account_is_broken_and_replays_them_after_the_re_sync(
    sandbox, live_server, page: Page, settings, reference_relay, screenshot_dir
) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True  # the relay listens on loopback
    world = build(sandbox, "slack", users=2, admins=1)
    alan, bob = world.users
    _, key = create_key(world.tenant, "reference relay")
    port = free_port()
    _, secret = create_endpoint(
        world.tenant, f"http://127.0.0.1:{port}/hooks/mio", ["account.broken", "account.healed"]
    )
    relay_url = reference_relay(key, secret, port)

    world.break_(alan, "grant_revoked")
    for _ in range(3):
        world.check(alan)

    page.goto(relay_url)
    for text in ("Lunch at noon?", "I'll book the room"):
        # Posted on Teams: relayed to Slack, the one other platform both of them use here.
        page.get_by_label("From (email)").fill(alan.person.email)
        page.get_by_label("Posted on").select_option("teams")
        page.get_by_label("To (email or user id)").fill(bob.person.email)
        page.get_by_label("Message").fill(text)
        page.get_by_role("button", name="Relay to the other platforms").click()
    expect(page.locator('tr[data-status="held"]')).to_have_count(2)
    page.screenshot(path=str(screenshot_dir / "relay-held.png"), full_page=True)
    assert not [m for m in world.inbox(bob.person) if "Lunch" in payload_text(m)]

    # Alan re-syncs from the prompt in his Slack inbox.
    page.goto(f"{live_server.url}/sandbox/inbox/slack/{alan.person.email}/")
    page.get_by_role("link", name="Re-sync your Slack account").click()
    page.locator("#resync-start").click()
    page.locator('button[name="decision"][value="allow"]').first.click()
    expect(page.locator('[data-page="resync-success"]')).to_be_visible()

    page.goto(relay_url)
    for _ in range(50):  # the replay runs in the relay once the webhook arrived
        if page.locator('tr[data-status="sent"]').count() == 2:
            break
        time.sleep(0.2)
        page.reload()
    expect(page.locator('tr[data-status="sent"]')).to_have_count(2)
    page.screenshot(path=str(screenshot_dir / "relay-replayed.png"), full_page=True)

    delivered = [payload_text(m) for m in world.inbox(bob.person)]
    relayed = [t for t in delivered if "Lunch at noon?" in t or "book the room" in t]
    assert len(relayed) == 2  # once each
    assert "Lunch at noon?" in relayed[0]  # in order
    assert "book the room" in relayed[1]
    page.goto(f"{live_server.url}/sandbox/inbox/slack/{bob.person.email}/")
    expect(page.get_by_text("Lunch at noon?")).to_be_visible()
