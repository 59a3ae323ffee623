"""Mio's neutral message as a Zoom Team Chat chatbot message card.

A card is ``{"head": {...}, "body": [...]}`` (https://developers.zoom.us/docs/chat/customizing-messages/).
Mio sends no ``is_markdown_support``, so Zoom shows every text literally; names and evidence
are still cleaned of bare links and control characters and clipped (platforms/markup.py).
Zoom's ``actions`` buttons post back to the bot's endpoint instead of opening a page, so every
action is a ``message`` with a ``link``, which Zoom renders as a hyperlink the person can click.
The tone shows as the colour of the section's sidebar and as a labelled sub-head.
"""

from __future__ import annotations

from typing import Any

from platforms import markup
from platforms.messages import Message

# Zoom's limit for one message text; longer texts are cut rather than refused.
MESSAGE_TEXT_LIMIT = 4096
FIELD_LIMIT = 256
JID_DOMAIN = "xmpp.zoom.us"

TONES: dict[str, dict[str, str]] = {
    "warning": {"color": "#E8A317", "label": "⚠️ Action needed"},
    "success": {"color": "#2B8A3E", "label": "✅ All set"},
    "info": {
        "color": "#0B5CFF",
        "label": "\N{INFORMATION SOURCE}\ufe0f For your information",
    },  # Zoom blue
}


def jid_for(user_id: str) -> str:
    """A Zoom user's chat JID: the user id in lower case at Zoom's XMPP domain."""
    return f"{user_id.lower()}@{JID_DOMAIN}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_content(message: Message) -> dict[str, Any]:
    """The ``content`` object of a chatbot message."""
    tone = TONES.get(message.tone, TONES["info"])
    sections: list[dict[str, Any]] = [
        {"type": "message", "text": markup.plain(message.text, MESSAGE_TEXT_LIMIT)}
    ]
    if message.facts:
        sections.append(
            {
                "type": "fields",
                "items": [
                    {
                        "key": markup.plain(key, FIELD_LIMIT, single_line=True),
                        "value": markup.plain(value, FIELD_LIMIT),
                        "short": True,
                    }
                    for key, value in message.facts
                ],
            }
        )
    body: list[dict[str, Any]] = [
        {
            "type": "section",
            "sidebar_color": tone["color"],
            "sections": sections,
            "footer": "Mio Auto Heal",
        }
    ]
    body += [
        {
            "type": "message",
            "text": _clip(action.label, MESSAGE_TEXT_LIMIT),
            "link": action.url,
            "style": {"bold": action.primary},
        }
        for action in message.actions
    ]
    return {
        "head": {
            "text": markup.plain(message.title, MESSAGE_TEXT_LIMIT, single_line=True),
            "style": {"bold": True},
            "sub_head": {"text": tone["label"], "style": {"color": tone["color"]}},
        },
        "body": body,
    }


def envelope(
    *, robot_jid: str, to_jid: str, account_id: str, content: dict[str, Any]
) -> dict[str, Any]:
    """The request body of ``POST /v2/im/chat/messages``, to one person.

    ``user_jid`` is required for a user-managed app, which Mio's Zoom app is (docs/operations.md):
    "the user JID of the user who has authorized the app and who you want to see the message"
    (https://developers.zoom.us/docs/chat/send-edit-and-delete-messages/, 'Send messages'), and
    Zoom's own SDK types it as required whatever the app (zoom/rivet-javascript,
    ``SendChatbotMessagesRequestBody``). Mio writes to the person who authorized it, so it is
    the recipient's own JID.
    """
    return {
        "robot_jid": robot_jid,
        "to_jid": to_jid,
        "user_jid": to_jid,
        "account_id": account_id,
        "content": content,
    }


_STYLE = {
    "type": "object",
    "properties": {
        "color": {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"},
        "bold": {"type": "boolean"},
        "italic": {"type": "boolean"},
    },
    "additionalProperties": False,
}
_LINK = {"type": "string", "pattern": "^https?://", "maxLength": 2048}
_MESSAGE = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"const": "message"},
        "text": {"type": "string", "minLength": 1, "maxLength": MESSAGE_TEXT_LIMIT},
        "link": _LINK,
        "style": _STYLE,
    },
    "additionalProperties": False,
}
_FIELDS = {
    "type": "object",
    "required": ["type", "items"],
    "properties": {
        "type": {"const": "fields"},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "value"],
                "properties": {
                    "key": {"type": "string", "maxLength": FIELD_LIMIT},
                    "value": {"type": "string", "maxLength": FIELD_LIMIT},
                    "short": {"type": "boolean"},
                    "style": _STYLE,
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
_SECTION = {
    "type": "object",
    "required": ["type", "sections"],
    "properties": {
        "type": {"const": "section"},
        "sidebar_color": {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"},
        "sections": {"type": "array", "minItems": 1, "items": {"anyOf": [_MESSAGE, _FIELDS]}},
        "footer": {"type": "string", "maxLength": 256},
    },
    "additionalProperties": False,
}
# The part of Zoom's card format this module produces, with Zoom's documented limits: what the
# tests validate every rendered and delivered card against.
CONTENT_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["head", "body"],
    "properties": {
        "head": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": MESSAGE_TEXT_LIMIT},
                "style": _STYLE,
                "sub_head": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}, "style": _STYLE},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "body": {
            "type": "array",
            "minItems": 1,
            "items": {"anyOf": [_SECTION, _MESSAGE, _FIELDS]},
        },
    },
    "additionalProperties": False,
}
_JID = {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]+@xmpp\.zoom\.us$"}
ENVELOPE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["robot_jid", "to_jid", "account_id", "content"],
    "properties": {
        "robot_jid": _JID,
        "to_jid": _JID,
        "account_id": {"type": "string", "minLength": 1},
        "user_jid": _JID,
        "reply_to": {"type": "string"},
        "is_markdown_support": {"type": "boolean"},
        "content": CONTENT_SCHEMA,
    },
    "additionalProperties": False,
}
