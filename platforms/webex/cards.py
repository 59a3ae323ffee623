"""The neutral message as Webex shows it: an Adaptive Card 1.3 plus a markdown fallback.

Webex renders Adaptive Cards up to version 1.3 (https://developer.webex.com/docs/buttons-and-cards)
and shows the message's ``markdown`` where a client cannot draw the card (and in notifications),
so both carry the whole message.
"""

from __future__ import annotations

from typing import Any

from platforms import markup
from platforms.messages import Message

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.3"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# The card's header element id: this prefix, then the message's idempotency key.
KEY_PREFIX = "mio-"
# Webex refuses messages whose text exceeds 7439 bytes; stay well below it.
MARKDOWN_LIMIT = 7000
# Every title, text and fact is escaped for markdown (platforms/markup.py): names and evidence
# come from outside, and Webex renders markdown in the card's TextBlocks and facts and in
# ``markdown``.
TEXT_LIMIT = 4000

# tone -> (container style, title colour, emoji): three looks a person tells apart at a glance.
TONES: dict[str, tuple[str, str, str]] = {
    "warning": ("warning", "Warning", "\u26a0\ufe0f"),
    "success": ("good", "Good", "\u2714\ufe0f"),
    "info": ("accent", "Accent", "\u2139\ufe0f"),
}


def tone_of(message: Message) -> tuple[str, str, str]:
    return TONES.get(message.tone, TONES["info"])


def card(message: Message) -> dict[str, Any]:
    """The Adaptive Card (schema 1.3) for ``message``."""
    style, colour, emoji = tone_of(message)
    header: dict[str, Any] = {
        "type": "Container",
        "style": style,
        "bleed": True,
        "items": [
            {
                "type": "TextBlock",
                "text": f"{emoji} {markup.markdown(message.title, single_line=True)}",
                "weight": "Bolder",
                "size": "Medium",
                "color": colour,
                "wrap": True,
            }
        ],
    }
    if message.idempotency_key:
        # The card carries the message's idempotency key, so a retried delivery is
        # recognisable in what Webex (and the sandbox) received.
        header["id"] = KEY_PREFIX + message.idempotency_key
    body: list[dict[str, Any]] = [
        header,
        {
            "type": "TextBlock",
            "text": markup.markdown(message.text, TEXT_LIMIT),
            "wrap": True,
            "spacing": "Medium",
        },
    ]
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {
                        "title": markup.markdown(str(k), single_line=True),
                        "value": markup.markdown(str(v)),
                    }
                    for k, v in message.facts
                ],
            }
        )
    body.append(
        {
            "type": "TextBlock",
            "text": "Mio Auto Heal",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
            "spacing": "Medium",
        }
    )
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "fallbackText": markdown(message),
        "body": body,
    }
    if message.actions:
        content["actions"] = [
            {
                "type": "Action.OpenUrl",
                "title": action.label,
                "url": action.url,
                "style": "positive" if action.primary else "default",
            }
            for action in message.actions
        ]
    return content


def markdown(message: Message) -> str:
    """The fallback Webex shows without the card: the same words, facts and links."""
    _, _, emoji = tone_of(message)
    text = f"{emoji} {markup.markdown_fallback(message)}"
    if len(text) > MARKDOWN_LIMIT:
        text = text[: MARKDOWN_LIMIT - 1] + "\u2026"
    return text


def idempotency_key_of(message: dict[str, Any]) -> str:
    """The idempotency key a Mio card carries (its header's element id), read from a message as
    Webex lists it (``attachments[].content``); "" for any other message."""
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        body = content.get("body") if isinstance(content, dict) else None
        for element in body if isinstance(body, list) else []:
            element_id = element.get("id") if isinstance(element, dict) else None
            if isinstance(element_id, str) and element_id.startswith(KEY_PREFIX):
                return element_id[len(KEY_PREFIX) :]
    return ""


def payload(message: Message) -> dict[str, Any]:
    """The body of ``POST /v1/messages`` without its recipient."""
    return {
        "markdown": markdown(message),
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card(message)}],
    }
