"""The sandbox inbox draws a delivered Webex message as the Webex app would: a card."""

from __future__ import annotations

import json

import requests

from platforms.messages import Action, Message
from platforms.sandbox.fakes.webex.inbox import card_view
from platforms.tests.contract import PlatformContract
from platforms.webex import cards
from tokens.models import Installation

MESSAGE = Message(
    title="Your Webex connection needs you",
    text="Mio can no longer relay your messages.",
    facts=[("Platform", "Webex"), ("Since", "08:55 UTC")],
    actions=[Action("Re-sync your account", "https://heal.example.com/r/abc")],
    tone="warning",
)


class TestWebexInbox:
    platform = "webex"
    adapter = PlatformContract.adapter
    account = PlatformContract.account

    def test_it_draws_the_card_with_facts_and_working_buttons(
        self, sandbox, adapter, account
    ) -> None:
        installation = Installation.objects.get(tenant=account.person.tenant, platform="webex")
        adapter.send(installation, account, MESSAGE)
        adapter.send(installation, account, Message(title="All fixed", text="ok", tone="success"))
        http = requests.Session()
        http.trust_env = False
        site = sandbox.base.rsplit("/sandbox", 1)[0]
        page = http.get(f"{site}/sandbox/inbox/webex/{account.person.email}/", timeout=10)
        assert page.status_code == 200
        html = page.text
        assert "Your Webex connection needs you" in html
        assert "<dt>Since</dt><dd>08:55 UTC</dd>" in html
        assert 'href="https://heal.example.com/r/abc"' in html
        assert "wx-style-warning" in html
        assert "wx-style-good" in html
        assert "mio/sandbox/webex.css" in html


def test_it_only_turns_web_links_into_buttons() -> None:
    payload = cards.payload(MESSAGE)
    payload["attachments"][0]["content"]["actions"].append(
        {"type": "Action.OpenUrl", "title": "Bad", "url": "javascript:alert(1)"}
    )
    view = card_view(json.dumps(payload))
    assert [a["url"] for a in view["card"]["actions"]] == ["https://heal.example.com/r/abc"]


def test_it_falls_back_to_the_markdown_without_a_card() -> None:
    view = card_view(json.dumps({"toPersonEmail": "a@b.c", "markdown": "**hello**"}))
    assert view["card"] is None
    assert view["markdown"] == "**hello**"
    assert card_view("not json")["markdown"] == "not json"
