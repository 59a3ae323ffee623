"""Looking a sent prompt up in the bot's 1:1 room: the fake's ``GET /v1/messages/direct``
answers like Webex's, and ``find_sent`` reads the card's key from it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from platforms.base import SendResult
from platforms.errors import PlatformError
from platforms.messages import Message
from platforms.sandbox.fakes.webex.shapes import BOT_EMAIL, UNAUTHORIZED_TEXT
from platforms.tests.contract import PlatformContract
from tokens.models import Installation, PlatformAccount
from tokens.situations import Situation


@pytest.fixture
def direct(sandbox, account):
    """GET /v1/messages/direct on the wire, as the bot (or with the token given)."""
    url = sandbox.base.replace("/sandbox/api", "/sandbox/webex/api") + "/messages/direct"
    bot_token = _installation(account).credential.access_token.reveal()
    session = requests.Session()
    session.trust_env = False

    def get(token: str | None = None, **params: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or bot_token}"}
        return session.get(url, params=params, headers=headers, timeout=30)

    return get


def _installation(account: PlatformAccount) -> Installation:
    return Installation.objects.select_related("credential").get(
        tenant=account.person.tenant, platform="webex"
    )


def _send(adapter, account, key: str) -> SendResult:
    message = Message(title=f"Prompt {key}", text="Re-sync, please.", idempotency_key=key)
    return adapter.send(_installation(account), account, message)


def _split_answer(created: str) -> dict:
    """A first page Webex split off: another message, and a link to the next page."""
    item = {"id": "X", "roomType": "direct", "markdown": "other", "created": created}
    return {
        "status": 200,
        "body": json.dumps({"items": [item]}),
        "headers": {"Link": '<https://webexapis.com/v1/messages/direct?page=2>; rel="next"'},
    }


class TestWebexLookup:
    """The contract's fixtures (a provisioned account, an installed bot), reused."""

    platform = "webex"
    adapter = PlatformContract.adapter
    account = PlatformContract.account

    def test_it_lists_the_room_newest_first_with_the_cards_as_sent(
        self, adapter, account, direct
    ) -> None:
        first = _send(adapter, account, "older")
        _send(adapter, account, "newer")
        answer = direct(personEmail=account.email)
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        assert len(items) == 2
        assert "Prompt newer" in items[0]["markdown"]
        assert "Prompt older" in items[1]["markdown"]
        assert items[1]["id"] == first.message_id  # the id the send answered
        assert items[1]["roomId"] == first.conversation_id
        assert {i["roomType"] for i in items} == {"direct"}
        assert {i["personEmail"] for i in items} == {BOT_EMAIL}
        header = items[0]["attachments"][0]["content"]["body"][0]
        assert header["id"] == "mio-newer"
        assert items[0]["created"].endswith("Z")
        # The person's id names the same room.
        by_id = direct(personId=account.upstream_user_id).json()["items"]
        assert [i["id"] for i in by_id] == [i["id"] for i in items]

    def test_it_refuses_what_webex_refuses(self, account, direct) -> None:
        forged = direct(token="not-a-webex-token", personEmail=account.email)
        assert forged.status_code == 401
        assert forged.json()["message"] == UNAUTHORIZED_TEXT
        assert forged.headers["TrackingID"]
        assert direct().status_code == 400  # neither personId nor personEmail
        assert direct(personEmail="nobody@nowhere.example").status_code == 404

    def test_it_finds_the_key_in_the_card_and_nowhere_else(self, adapter, account) -> None:
        _send(adapter, account, "k-1")
        installation = _installation(account)
        assert adapter.find_sent(installation, account, "k-1") is True
        assert adapter.find_sent(installation, account, "k-") is False
        assert adapter.find_sent(installation, account, "Prompt") is False

    def test_it_cannot_tell_from_a_split_answer_that_stops_short_of_since(
        self, adapter, account, sandbox
    ) -> None:
        _send(adapter, account, "k-1")
        recent = timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        sandbox.script("webex", "direct", user=account.email, **_split_answer(recent))
        with pytest.raises(PlatformError) as unsure:
            adapter.find_sent(_installation(account), account, "k-1")
        assert unsure.value.situation == Situation.UNKNOWN
        assert unsure.value.evidence.error == "lookup_incomplete"

    def test_it_trusts_a_split_answer_that_reaches_back_past_since(
        self, adapter, account, sandbox
    ) -> None:
        old = (timezone.now() - timedelta(days=2)).isoformat().replace("+00:00", "Z")
        sandbox.script("webex", "direct", user=account.email, **_split_answer(old))
        assert adapter.find_sent(_installation(account), account, "k-1") is False
