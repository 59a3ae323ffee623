"""The reference relay (examples/relay/) carries a message posted on one platform to the three
others, as the person who wrote it, with the tokens Mio's token API hands out.

The relay runs as its own process and knows Mio only through the public API; the platforms are
the sandbox's fakes, which record who sent each message (the owner of the token it came with).
"""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from api.keys import create_key
from notifications.tests.world import build
from tests.relayproc import RelayProcesses

OTHERS = ("teams", "zoom", "webex")


@pytest.fixture
def relay(sandbox, live_server, tmp_path):
    """Start the reference relay for a key; returns its URL (``relay.secret``: its secret)."""
    relays = RelayProcesses(live_server.url, tmp_path)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()

    def start(key: str) -> str:
        return relays.start(key, secret)

    start.secret = secret  # type: ignore[attr-defined]
    yield start
    relays.stop()


def everywhere(sandbox):
    """A tenant whose two people have an account on each of the four platforms."""
    world = build(sandbox, "slack", users=2, admins=0)
    alan, bob = (account.person for account in world.users)
    for platform in OTHERS:
        world.add_account(alan, platform)
        world.add_account(bob, platform)
    return world, alan, bob


def post(relay_url: str, **fields: str) -> dict:
    answer = requests.post(f"{relay_url}/messages", json=fields, timeout=60)
    assert answer.status_code == 202, answer.text
    return answer.json()


def from_person(sandbox, platform: str, recipient: str, text: str) -> list[dict]:
    return [m for m in sandbox.inbox(platform, recipient) if text in m["payload"]]


def test_it_relays_a_message_posted_on_one_platform_to_the_three_others_as_its_author(
    sandbox, relay
) -> None:
    world, alan, bob = everywhere(sandbox)
    _, key = create_key(world.tenant, "reference relay")
    url = relay(key)

    answer = post(url, origin="slack", sender=alan.email, to=bob.email, text="Standup at 10:15")

    assert sorted((m["platform"], m["status"]) for m in answer["messages"]) == [
        ("teams", "sent"),
        ("webex", "sent"),
        ("zoom", "sent"),
    ]
    for platform in OTHERS:
        got = from_person(sandbox, platform, bob.email, "Standup at 10:15")
        assert [m["sender"] for m in got] == [alan.email], platform  # once, as Alan
    # Not echoed back where it was posted.
    assert not from_person(sandbox, "slack", bob.email, "Standup at 10:15")


def test_it_holds_the_copy_for_a_broken_account_and_sends_it_when_the_account_heals(
    sandbox, relay
) -> None:
    world, alan, bob = everywhere(sandbox)
    _, key = create_key(world.tenant, "reference relay")
    url = relay(key)
    zoom = world.account(alan, "zoom")
    world.break_(zoom, "grant_revoked")
    for _ in range(3):
        world.check(zoom)

    answer = post(url, origin="webex", sender=alan.email, to=bob.email, text="Lunch at noon?")

    assert sorted((m["platform"], m["status"]) for m in answer["messages"]) == [
        ("slack", "sent"),
        ("teams", "sent"),
        ("zoom", "held"),
    ]
    assert not from_person(sandbox, "zoom", bob.email, "Lunch at noon?")

    # The grant works again and Mio's check sees it; Mio's account.healed webhook (signed as
    # Mio signs it) reaches the relay.
    world.break_(zoom, None)
    world.check(zoom)
    event = {
        "type": "account.healed",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"platform": "zoom", "email": alan.email, "state": "healthy"},
    }
    body = json.dumps(event)
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_relay_test_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(relay.secret).sign("msg_relay_test_1", now, body),
        "content-type": "application/json",
    }
    for _ in range(2):  # delivered twice (at least once): replayed once
        hook = requests.post(f"{url}/hooks/mio", data=body, headers=headers, timeout=30)
        assert hook.status_code == 204

    for _ in range(150):  # the relay replays in its own process: allow a loaded machine 30 s
        if from_person(sandbox, "zoom", bob.email, "Lunch at noon?"):
            break
        time.sleep(0.2)
    got = from_person(sandbox, "zoom", bob.email, "Lunch at noon?")
    assert [m["sender"] for m in got] == [alan.email]
    messages = requests.get(f"{url}/messages", timeout=10).json()
    assert sorted((m["platform"], m["status"]) for m in messages) == [
        ("slack", "sent"),
        ("teams", "sent"),
        ("zoom", "sent"),
    ]


def test_it_sends_again_when_the_platform_was_only_throttling(sandbox, relay) -> None:
    world, alan, bob = everywhere(sandbox)
    _, key = create_key(world.tenant, "reference relay")
    url = relay(key)
    throttled = {"code": 429, "message": "You have reached the maximum per-second rate limit."}
    sandbox.script("zoom", "user_send", status=429, headers={"Retry-After": "1"}, body=throttled)

    answer = post(url, platform="zoom", sender=alan.email, to=bob.email, text="Coffee?")

    assert [(m["platform"], m["status"]) for m in answer["messages"]] == [("zoom", "sent")]
    assert [m["sender"] for m in from_person(sandbox, "zoom", bob.email, "Coffee?")] == [alan.email]
