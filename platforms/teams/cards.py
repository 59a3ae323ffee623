"""The neutral message as a Teams activity carrying an Adaptive Card 1.5.

Teams renders Adaptive Cards up to 1.5. The tone shows in three places a reader notices at once:
the header band's container style, the title's colour and its leading symbol. Links are
``Action.OpenUrl`` buttons (the primary one styled ``positive``); ``summary`` is what Teams shows in
notifications, ``fallbackText`` what clients that cannot draw the card show.
"""

from __future__ import annotations

from typing import Any

from platforms import markup
from platforms.messages import Message

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Every title, text and fact is escaped for Adaptive Card markdown (platforms/markup.py): names
# and evidence come from outside, and Teams renders markdown in TextBlocks and facts.
TEXT_LIMIT = 4000

# tone -> (container style, TextBlock colour, symbol)
TONES: dict[str, tuple[str, str, str]] = {
    "warning": ("warning", "Warning", "\u26a0\ufe0f"),
    "success": ("good", "Good", "\u2714\ufe0f"),
    "info": ("accent", "Accent", "\u2139\ufe0f"),
}


def card(message: Message) -> dict[str, Any]:
    style, colour, symbol = TONES.get(message.tone, TONES["info"])
    body: list[dict[str, Any]] = [
        {
            "type": "Container",
            "style": style,
            "bleed": True,
            "items": [
                {
                    "type": "TextBlock",
                    "text": f"{symbol} {markup.markdown(message.title, single_line=True)}",
                    "weight": "Bolder",
                    "size": "Medium",
                    "color": colour,
                    "wrap": True,
                }
            ],
        },
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
                        "title": markup.markdown(title, single_line=True),
                        "value": markup.markdown(value),
                    }
                    for title, value in message.facts
                ],
                "spacing": "Medium",
            }
        )
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "fallbackText": markup.markdown_fallback(message),
        "body": body,
    }
    if message.actions:
        content["actions"] = [
            {
                "type": "Action.OpenUrl",
                "title": action.label,
                "url": action.url,
                **({"style": "positive"} if action.primary else {}),
            }
            for action in message.actions
        ]
    return content


def activity(message: Message) -> dict[str, Any]:
    """The Bot Framework activity ``send`` posts (conversation and sender are added there)."""
    return {
        "type": "message",
        "summary": markup.plain(message.title, single_line=True),
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card(message)}],
    }
