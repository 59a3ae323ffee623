"""Draw a delivered ``chat.postMessage`` the way Slack shows it: blocks, fields, buttons.

The payload is what the bot sent (Block Kit JSON with Slack's mrkdwn). It is turned into small,
already-escaped HTML fragments for ``templates/sandbox/inbox/slack.html``; every user-supplied
string is escaped here before any markup is added, and only http(s) links become anchors.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from platforms.sandbox.models import SandboxMessage

EMOJI = {
    ":warning:": "⚠️",
    # A drawn box rather than U+2705: it shows even where no colour-emoji font is installed.
    ":white_check_mark:": '<span class="slack-emoji-check" role="img" aria-label="✅">✔</span>',
    ":information_source:": "\u2139\ufe0f",
    ":rotating_light:": "🚨",
    ":wave:": "👋",
}
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_FORMATS = [
    (re.compile(r"\*([^*\n]+)\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w])_([^_\n]+)_(?![\w])"), r"<em>\1</em>"),
    (re.compile(r"~([^~\n]+)~"), r"<del>\1</del>"),
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
]


def context(message: SandboxMessage) -> dict[str, Any]:
    try:
        payload = json.loads(message.payload)
    except ValueError:
        return {"slack": {"error": "The payload is not JSON.", "raw": message.payload}}
    if not isinstance(payload, dict):
        return {"slack": {"error": "The payload is not a JSON object.", "raw": message.payload}}
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            blocks = []
    drawn = [b for b in (_block(block) for block in blocks or []) if b]
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    return {
        "slack": {
            "bot_name": "Mio Auto Heal",
            "blocks": drawn,
            "text": mrkdwn(str(payload.get("text") or "")),
            "idempotency_key": (metadata.get("event_payload") or {}).get("idempotency_key", ""),
            "tone": (metadata.get("event_payload") or {}).get("tone", ""),
        }
    }


def _block(block: Any) -> dict[str, Any] | None:
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "header":
        return {"kind": "header", "html": emojize(escape(_text(block.get("text"))))}
    if kind == "section":
        fields = block.get("fields") if isinstance(block.get("fields"), list) else []
        return {
            "kind": "section",
            "html": _object_html(block.get("text")),
            "fields": [_object_html(field) for field in fields],
        }
    if kind == "actions":
        buttons = []
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "button":
                url = str(element.get("url") or "")
                buttons.append(
                    {
                        "label": emojize(escape(_text(element.get("text")))),
                        "url": url if url.startswith(("http://", "https://")) else "",
                        "style": element.get("style") or "default",
                    }
                )
        return {"kind": "actions", "buttons": buttons}
    if kind == "context":
        items = [_object_html(e) for e in block.get("elements") or [] if isinstance(e, dict)]
        return {"kind": "context", "items": items}
    if kind == "divider":
        return {"kind": "divider"}
    return {"kind": "unknown", "type": str(kind)}


def _text(obj: Any) -> str:
    return str(obj.get("text") or "") if isinstance(obj, dict) else ""


def _object_html(obj: Any) -> SafeString:
    if not isinstance(obj, dict):
        return mark_safe("")
    if obj.get("type") == "mrkdwn":
        return mrkdwn(_text(obj))
    return emojize(escape(_text(obj)))


def mrkdwn(text: str) -> SafeString:
    """Slack mrkdwn -> HTML: links, bold, italic, strike, code, line breaks, known emoji."""
    parts: list[str] = []
    cursor = 0
    for match in _LINK.finditer(text):
        parts.append(_formatted(text[cursor : match.start()]))
        url, label = _unslack(match.group(1)), _unslack(match.group(2) or match.group(1))
        if url.startswith(("http://", "https://")):
            parts.append(format_html('<a href="{}" rel="noopener">{}</a>', url, label))
        else:
            parts.append(str(escape(label)))
        cursor = match.end()
    parts.append(_formatted(text[cursor:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece was escaped above


def _formatted(chunk: str) -> str:
    html = str(escape(_unslack(chunk)))
    for pattern, replacement in _FORMATS:
        html = pattern.sub(replacement, html)
    return str(emojize(html)).replace("\n", "<br>")


def _unslack(text: str) -> str:
    """Undo Slack's three escapes; HTML escaping follows."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(html: str) -> SafeString:
    for code, char in EMOJI.items():
        html = html.replace(code, char)
    return mark_safe(html)  # noqa: S308 - callers pass escaped HTML
