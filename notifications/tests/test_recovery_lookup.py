"""Recovery asks Slack and Webex through their own APIs whether a cut-off send arrived.

The sandbox's inbox shortcut is only for platforms that cannot be asked (Teams, Zoom): these
tests forbid it, and make the platform's lookup endpoint (``conversations.history``,
``GET /v1/messages/direct``) say something the inbox does not, so only the API can explain
what recovery decides.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import recovery
from notifications.models import OutboxMessage
from notifications.tests.world import build

Row = OutboxMessage
LOOKUP = {"slack": "history", "webex": "direct"}
# What each lookup endpoint answers for a conversation without the message.
EMPTY = {
    "slack": {"ok": True, "messages": [], "has_more": False},
    "webex": {"items": []},
}


@pytest.fixture
def no_inbox_shortcut(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("recovery read the sandbox inbox instead of the platform's API")

    monkeypatch.setattr(recovery, "_sandbox_has", forbidden)


def cut_off_prompt(sandbox, platform: str):
    """A prompt the platform received, whose worker died before recording it."""
    world = build(sandbox, platform, users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = OutboxMessage.objects.get(tenant=world.tenant, template=Row.Template.USER_PROMPT)
    assert row.status == "sent"
    assert len(world.inbox(user.person)) == 1
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=Row.Status.SENDING,
        claim_token="dead-worker",
        claimed_until=timezone.now() - timedelta(seconds=1),
        sent_at=None,
        provider_message_id="",
    )
    return world, user.person, row


@pytest.mark.parametrize("platform", ["slack", "webex"])
def test_it_records_as_sent_what_the_platform_api_lists(
    sandbox, no_inbox_shortcut, platform
) -> None:
    world, person, row = cut_off_prompt(sandbox, platform)
    assert recovery.recover_stuck() == {"sent": 1, "resent": 0, "unconfirmed": 0, "later": 0}
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("sent", "recovered")
    assert len(world.inbox(person)) == 1


@pytest.mark.parametrize("platform", ["slack", "webex"])
def test_it_asks_again_later_when_the_platform_api_cannot_answer(
    sandbox, no_inbox_shortcut, platform
) -> None:
    world, person, row = cut_off_prompt(sandbox, platform)
    sandbox.script(platform, LOOKUP[platform], user=person.email, status=503, body="{}")
    assert recovery.recover_stuck()["later"] == 1
    row.refresh_from_db()
    assert row.status == "sending"  # neither resent nor given up on
    assert recovery.recover_stuck()["sent"] == 1  # the next pass gets an answer
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(world.inbox(person)) == 1


@pytest.mark.parametrize("platform", ["slack", "webex"])
def test_it_resends_when_the_platform_api_lacks_it_whatever_the_inbox_holds(
    sandbox, no_inbox_shortcut, platform
) -> None:
    world, person, row = cut_off_prompt(sandbox, platform)
    sandbox.script(
        platform, LOOKUP[platform], user=person.email, status=200, body=json.dumps(EMPTY[platform])
    )
    assert recovery.recover_stuck()["resent"] == 1
    row.refresh_from_db()
    assert row.status == "sent"
    # The API's answer decided it: the inbox held the message, and now holds two.
    assert len(world.inbox(person)) == 2


@pytest.mark.parametrize(
    ("platform", "status", "body"),
    [
        ("slack", 200, {"ok": False, "error": "missing_scope", "needed": "im:history"}),
        ("webex", 403, {"message": "Forbidden", "errors": [{"description": "Forbidden"}]}),
    ],
)
def test_it_marks_unconfirmed_what_the_platform_api_refuses_to_tell(
    sandbox, no_inbox_shortcut, platform, status, body
) -> None:
    world, person, row = cut_off_prompt(sandbox, platform)
    sandbox.script(
        platform, LOOKUP[platform], user=person.email, status=status, body=json.dumps(body)
    )
    assert recovery.recover_stuck()["unconfirmed"] == 1
    row.refresh_from_db()
    assert row.status == "unconfirmed"
    assert len(world.inbox(person)) == 1  # not resent


def test_it_reads_the_bot_dm_only_since_the_row_was_written(sandbox, no_inbox_shortcut) -> None:
    """A row written after the message (a clock far ahead) cannot find it: the lookup reads
    Slack's history from the row's creation on, not the whole DM."""
    world, person, row = cut_off_prompt(sandbox, "slack")
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=timezone.now() + timedelta(hours=1))
    assert recovery.recover_stuck()["resent"] == 1
    assert len(world.inbox(person)) == 2
