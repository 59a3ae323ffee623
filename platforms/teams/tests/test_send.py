"""Mio's Teams messages: Adaptive Card 1.5 payloads, the connector round trip, bot failures."""

from __future__ import annotations

import json

import pytest

from platforms.errors import PlatformError
from platforms.messages import Action, Message
from platforms.teams import cards, connector
from platforms.teams.tests.helpers import validate_activity, validate_card
from tokens.models import Installation

MESSAGE = Message(
    title="Your Teams connection needs you",
    text="Mio can no longer relay your Teams messages.\nRe-sync in two clicks.",
    facts=[("Platform", "Microsoft Teams"), ("Since", "2026-11-27 08:55 UTC")],
    actions=[
        Action("Re-sync your account", "https://heal.example.com/r/abc"),
        Action("What happened?", "https://heal.example.com/help", primary=False),
    ],
    tone="warning",
    idempotency_key="prompt-41-user",
)


def installation_of(account) -> Installation:
    return Installation.objects.get(tenant=account.person.tenant, platform="teams")


def test_it_gives_each_tone_its_own_look() -> None:
    looks = set()
    for tone in ("info", "warning", "success"):
        card = cards.card(Message(title="T", text="Body", tone=tone))
        validate_card(card)
        header = card["body"][0]
        looks.add((header["style"], header["items"][0]["color"], header["items"][0]["text"][0]))
    assert len(looks) == 3


def test_it_builds_a_card_with_facts_buttons_and_a_fallback() -> None:
    card = cards.card(MESSAGE)
    validate_card(card)
    assert card["body"][1]["text"] == MESSAGE.text
    assert card["body"][2] == {
        "type": "FactSet",
        "facts": [
            {"title": "Platform", "value": "Microsoft Teams"},
            {"title": "Since", "value": "2026-11-27 08:55 UTC"},
        ],
        "spacing": "Medium",
    }
    primary, secondary = card["actions"]
    assert primary == {
        "type": "Action.OpenUrl",
        "title": "Re-sync your account",
        "url": "https://heal.example.com/r/abc",
        "style": "positive",
    }
    assert "style" not in secondary
    assert "https://heal.example.com/r/abc" in card["fallbackText"]


def test_it_builds_a_valid_card_without_facts_or_actions() -> None:
    card = cards.card(Message(title="Configured", text="All good.", tone="success"))
    validate_card(card)
    assert "actions" not in card
    assert [b["type"] for b in card["body"]] == ["Container", "TextBlock"]


def test_it_delivers_the_card_in_a_conversation_it_returns(sandbox, teams, teams_account) -> None:
    result = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert result.conversation_id.startswith("a:1")
    assert result.message_id
    delivered = sandbox.inbox("teams", teams_account.person.email)
    assert len(delivered) == 1
    activity = json.loads(delivered[0]["payload"])
    validate_activity(activity)
    assert activity["id"] == MESSAGE.idempotency_key
    assert activity["conversation"]["id"] == result.conversation_id
    assert activity["from"]["id"] == connector.bot_id()
    assert activity["attachments"][0]["content"] == cards.card(MESSAGE)


def test_it_reuses_the_cached_conversation_and_never_delivers_twice(
    sandbox, teams, teams_account
) -> None:
    first = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    teams_account.conversation_id = first.conversation_id
    again = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert again.conversation_id == first.conversation_id
    assert len(sandbox.inbox("teams", teams_account.person.email)) == 1
    other = Message(title="Fixed", text="Thanks!", tone="success", idempotency_key="confirm-41")
    teams.send(installation_of(teams_account), teams_account, other)
    assert len(sandbox.inbox("teams", teams_account.person.email)) == 2


def test_it_recreates_a_conversation_that_is_gone(sandbox, teams, teams_account) -> None:
    teams_account.conversation_id = "a:1c29uZS1nb25l"  # a chat Teams no longer knows
    result = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert result.conversation_id != teams_account.conversation_id
    assert len(sandbox.inbox("teams", teams_account.person.email)) == 1


@pytest.mark.parametrize(
    ("endpoint", "status", "code", "expected"),
    [
        ("conversations", 403, "BotNotInConversationRoster", "app_uninstalled"),
        ("send", 403, "ConversationBlockedByUser", "app_uninstalled"),
        ("send", 403, "BotDisabledByAdmin", "app_disabled"),
        ("conversations", 401, "BotNotRegistered", "operator_config"),
        ("send", 412, "PreconditionFailed", "transient"),
        ("send", 429, "Throttled", "transient"),
        # "Reduce the payload size": Mio's own message is wrong, the operator fixes it.
        ("send", 413, "MessageSizeTooBig", "operator_config"),
        ("conversations", 403, "ForbiddenOperationException", "app_uninstalled"),
    ],
)
def test_it_classifies_what_the_connector_refuses(
    sandbox, teams, teams_account, endpoint, status, code, expected
) -> None:
    sandbox.script(
        "teams",
        endpoint,
        user=teams_account.person.email,
        status=status,
        body=json.dumps({"error": {"code": code, "message": "captured"}}),
        times=2,  # the 401 case retries once with a fresh bot token
    )
    with pytest.raises(PlatformError) as caught:
        teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert caught.value.situation == expected
    assert caught.value.evidence.http_status == status
    assert sandbox.inbox("teams", teams_account.person.email) == []


def test_it_blames_the_operator_when_the_bot_cannot_get_a_token(
    sandbox, teams, teams_account
) -> None:
    connector.forget_bot_token()
    sandbox.script(
        "teams",
        "bot_token",
        status=400,
        body=json.dumps(
            {
                "error": "unauthorized_client",
                "error_codes": [700016],
                "error_description": "AADSTS700016: Application not found in botframework.com.",
            }
        ),
    )
    with pytest.raises(PlatformError) as caught:
        teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert caught.value.situation == "operator_config"
    assert caught.value.evidence.error_codes == ["700016"]
    assert caught.value.evidence.endpoint == "bot_token"


def test_it_draws_the_card_in_the_teams_inbox(sandbox, live_server, teams, teams_account) -> None:
    import requests

    teams.send(installation_of(teams_account), teams_account, MESSAGE)
    page = requests.get(
        f"{live_server.url}/sandbox/inbox/teams/{teams_account.person.email}/", timeout=30
    )
    assert page.status_code == 200
    html = page.text
    assert 'class="ac-card"' in html
    assert "Your Teams connection needs you" in html
    assert '<a class="ac-action ac-action-positive" href="https://heal.example.com/r/abc"' in html
    assert "<th>Platform</th><td>Microsoft Teams</td>" in html
    assert "ac-style-warning" in html


def test_it_learns_the_teams_user_id_and_creates_chats_with_it(
    sandbox, teams, teams_account
) -> None:
    # No 29: id yet: the chat is created with the Entra object id (Teams' documented fallback)
    # and the roster names the person's Teams user id.
    assert teams_account.chat_address == ""
    first = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert first.chat_address.startswith("29:")
    assert first.chat_address != f"29:{teams_account.upstream_user_id}"
    # Known: the same 1:1 chat is created with the 29: id, and nothing new is learnt.
    teams_account.chat_address = first.chat_address
    again = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert (again.conversation_id, again.chat_address) == (first.conversation_id, "")
    assert len(sandbox.inbox("teams", teams_account.person.email)) == 1
    # The 29: id is what is sent: one the bot no longer knows (ids are per bot) is refused,
    # and the chat is created by Entra object id instead, learning the right id again.
    teams_account.chat_address = "29:1bm8tc3VjaC11c2Vy"
    renewed = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert (renewed.conversation_id, renewed.chat_address) == (
        first.conversation_id,
        first.chat_address,
    )


def test_it_still_sends_when_the_roster_cannot_name_the_user(sandbox, teams, teams_account) -> None:
    sandbox.script("teams", "member", status=503, body="{}")
    result = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert result.message_id
    assert result.chat_address == ""
    assert len(sandbox.inbox("teams", teams_account.person.email)) == 1
