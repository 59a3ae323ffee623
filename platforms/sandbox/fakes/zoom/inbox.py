"""A delivered chatbot message, flattened for templates/sandbox/inbox/zoom.html.

The payload is whatever the sender posted, so every value is checked for its type, and only
http(s) links become clickable.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from platforms.sandbox.models import SandboxMessage

DEFAULT_COLOR = "#0B5CFF"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _color(value: Any) -> str:
    text = _text(value)
    if (
        len(text) == 7
        and text.startswith("#")
        and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    ):
        return text
    return ""


def _link(value: Any) -> str:
    text = _text(value)
    return text if text.startswith(("https://", "http://")) else ""


def _style(value: Any) -> dict[str, Any]:
    style = value if isinstance(value, dict) else {}
    return {
        "bold": style.get("bold") is True,
        "italic": style.get("italic") is True,
        "color": _color(style.get("color")),
    }


def _part(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    kind = item.get("type")
    if kind == "message":
        return {
            "kind": "message",
            "text": _text(item.get("text")),
            "link": _link(item.get("link")),
            "style": _style(item.get("style")),
        }
    if kind == "fields":
        items = item.get("items") if isinstance(item.get("items"), list) else []
        return {
            "kind": "fields",
            "items": [
                {
                    "key": _text(f.get("key")),
                    "value": _text(f.get("value")),
                    "short": f.get("short") is True,
                }
                for f in items
                if isinstance(f, dict)
            ],
        }
    if kind == "actions":
        items = item.get("items") if isinstance(item.get("items"), list) else []
        return {
            "kind": "actions",
            "items": [_text(b.get("text")) for b in items if isinstance(b, dict)],
        }
    if kind == "section":
        parts = item.get("sections") if isinstance(item.get("sections"), list) else []
        return {
            "kind": "section",
            "color": _color(item.get("sidebar_color")) or DEFAULT_COLOR,
            "parts": [p for p in (_part(x) for x in parts) if p and p["kind"] != "section"],
            "footer": _text(item.get("footer")),
        }
    return {"kind": "unsupported", "type": _text(kind)}


def card_of(message: SandboxMessage) -> dict[str, Any]:
    try:
        data = json.loads(message.payload)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("content"), dict):
        return {"valid": False}
    content = data["content"]
    head = content.get("head") if isinstance(content.get("head"), dict) else {}
    sub = head.get("sub_head") if isinstance(head.get("sub_head"), dict) else {}
    body = content.get("body") if isinstance(content.get("body"), list) else []
    key = message.content_type.partition("idempotency-key=")[2]
    return {
        "valid": True,
        "bot_name": "Mio Auto Heal",
        "robot_jid": _text(data.get("robot_jid")),
        "is_ours": data.get("robot_jid") == settings.PLATFORM_APPS["zoom"]["bot_jid"],
        "head": {"text": _text(head.get("text")), "style": _style(head.get("style"))},
        "sub_head": {"text": _text(sub.get("text")), "style": _style(sub.get("style"))},
        "parts": [p for p in (_part(x) for x in body) if p],
        "idempotency_key": key,
    }
