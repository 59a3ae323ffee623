"""The chatbot message card: valid against Zoom's card format, recognisable per tone."""

from __future__ import annotations

import json

from jsonschema import Draft7Validator

from platforms.messages import Action, Message
from platforms.registry import get_adapter
from platforms.zoom.chatbot import (
    CONTENT_SCHEMA,
    ENVELOPE_SCHEMA,
    MESSAGE_TEXT_LIMIT,
    envelope,
    jid_for,
)

MESSAGE = Message(
    title="Your Zoom connection needs you",
    text="Mio can no longer relay your messages.",
    facts=[("Platform", "Zoom"), ("Since", "2026-11-27 08:55 UTC")],
    actions=[
        Action("Re-sync your account", "https://heal.example.com/r/abc"),
        Action("Help", "https://heal.example.com/help", primary=False),
    ],
    tone="warning",
)


def test_it_puts_title_text_facts_and_links_in_the_card() -> None:
    content = get_adapter("zoom").render(MESSAGE)
    Draft7Validator(CONTENT_SCHEMA).validate(content)
    assert content["head"]["text"] == MESSAGE.title
    section = content["body"][0]
    assert section["type"] == "section"
    assert section["sections"][0] == {"type": "message", "text": MESSAGE.text}
    assert section["sections"][1]["items"][0] == {"key": "Platform", "value": "Zoom", "short": True}
    links = [item for item in content["body"] if item.get("link")]
    assert [(item["text"], item["link"]) for item in links] == [
        (a.label, a.url) for a in MESSAGE.actions
    ]
    assert links[0]["style"]["bold"]
    assert not links[1]["style"]["bold"]


def test_it_gives_each_tone_its_own_colour_and_label() -> None:
    adapter = get_adapter("zoom")
    looks = set()
    for tone in ("info", "warning", "success"):
        content = adapter.render(Message(title="T", text="B", tone=tone))
        looks.add((content["body"][0]["sidebar_color"], content["head"]["sub_head"]["text"]))
    assert len(looks) == 3


def test_it_cuts_text_longer_than_zoom_allows() -> None:
    content = get_adapter("zoom").render(Message(title="T", text="x" * 10_000))
    Draft7Validator(CONTENT_SCHEMA).validate(content)
    assert len(content["body"][0]["sections"][0]["text"]) == MESSAGE_TEXT_LIMIT


def test_it_refuses_a_card_zoom_would_refuse() -> None:
    bad = {
        "head": {"text": "T"},
        "body": [{"type": "message", "text": "x", "link": "javascript:alert(1)"}],
    }
    assert list(Draft7Validator(CONTENT_SCHEMA).iter_errors(bad))


def test_it_addresses_the_user_by_their_chat_jid() -> None:
    assert jid_for("KDcuGIm1QgePTO8WbOqwIQ") == "kdcugim1qgepto8wboqwiq@xmpp.zoom.us"
    body = envelope(
        robot_jid="v1bot@xmpp.zoom.us",
        to_jid=jid_for("KDcuGIm1QgePTO8WbOqwIQ"),
        account_id="AbCdEfGhIjKlMnOpQrStUv",
        content=get_adapter("zoom").render(MESSAGE),
    )
    Draft7Validator(ENVELOPE_SCHEMA).validate(json.loads(json.dumps(body)))
