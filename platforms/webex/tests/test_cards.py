"""The Webex message: an Adaptive Card 1.3 and a markdown fallback."""

from __future__ import annotations

from platforms.messages import Action, Message
from platforms.webex import cards
from platforms.webex.adapter import WebexAdapter
from platforms.webex.tests.payloads import validate_card_payload

MESSAGE = Message(
    title="Your Webex connection needs you",
    text="Mio can no longer relay your messages.",
    facts=[("Platform", "Webex"), ("Since", "2026-11-27 08:55 UTC")],
    actions=[
        Action("Re-sync your account", "https://heal.example.com/r/abc"),
        Action("What happened?", "https://heal.example.com/help", primary=False),
    ],
    tone="warning",
    idempotency_key="prompt-42",
)


def test_it_renders_a_valid_card_with_a_markdown_fallback() -> None:
    payload = WebexAdapter().render(MESSAGE)
    validate_card_payload(payload)
    markdown = payload["markdown"]
    assert "**Your Webex connection needs you**" in markdown
    assert "- Since: 2026-11-27 08:55 UTC" in markdown
    assert "[Re-sync your account](https://heal.example.com/r/abc)" in markdown


def test_it_puts_title_facts_and_buttons_in_the_card() -> None:
    card = cards.card(MESSAGE)
    header = card["body"][0]
    assert header["items"][0]["text"].endswith("Your Webex connection needs you")
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]
    assert {"title": "Platform", "value": "Webex"} in facts
    assert [a["url"] for a in card["actions"]] == [
        "https://heal.example.com/r/abc",
        "https://heal.example.com/help",
    ]
    assert [a["style"] for a in card["actions"]] == ["positive", "default"]


def test_it_gives_each_tone_its_own_look() -> None:
    looks = set()
    for tone in ("info", "warning", "success"):
        message = Message(title="T", text="Body", tone=tone)
        header = cards.card(message)["body"][0]
        looks.add((header["style"], header["items"][0]["color"], cards.markdown(message)[:2]))
        validate_card_payload(cards.payload(message))
    assert len(looks) == 3


def test_it_carries_the_idempotency_key_in_the_card() -> None:
    assert cards.card(MESSAGE)["body"][0]["id"] == "mio-prompt-42"
    assert "id" not in cards.card(Message(title="T", text="x"))["body"][0]


def test_it_keeps_the_markdown_under_webex_s_size_limit() -> None:
    message = Message(title="Long", text="x" * 20_000)
    assert len(cards.markdown(message)) <= cards.MARKDOWN_LIMIT
    validate_card_payload(cards.payload(message))


def test_it_leaves_out_empty_facts_and_actions() -> None:
    card = cards.card(Message(title="T", text="Body"))
    assert "actions" not in card
    assert all(e["type"] != "FactSet" for e in card["body"])
