"""Draw a delivered Webex message the way the Webex app shows it: the card, else the markdown.

The template cannot recurse, so the card is flattened into blocks (text, facts, containers of
text and facts) and its Action.OpenUrl buttons. Only http(s) links become buttons.
"""

from __future__ import annotations

import json
from typing import Any

from platforms.sandbox.fakes.webex.shapes import CARD_TYPE

MAX_DEPTH = 4


def card_view(payload: str) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except ValueError:
        return {"markdown": payload, "card": None}
    if not isinstance(body, dict):
        return {"markdown": payload, "card": None}
    card = None
    for attachment in body.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") == CARD_TYPE:
            content = attachment.get("content")
            if isinstance(content, dict):
                card = {
                    "blocks": _blocks(content.get("body"), 0),
                    "actions": _actions(content.get("actions")),
                    "version": str(content.get("version", "")),
                }
                break
    return {
        "markdown": str(body.get("markdown") or body.get("text") or ""),
        "card": card,
        "to": str(body.get("toPersonEmail") or ""),
    }


def _blocks(elements: Any, depth: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if not isinstance(elements, list) or depth > MAX_DEPTH:
        return blocks
    for element in elements:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "TextBlock":
            blocks.append(_text(element))
        elif kind == "FactSet":
            facts = [
                (str(f.get("title", "")), str(f.get("value", "")))
                for f in element.get("facts") or []
                if isinstance(f, dict)
            ]
            blocks.append({"kind": "facts", "facts": facts})
        elif kind == "Container":
            inner = _blocks(element.get("items"), depth + 1)
            # A container inside a container is drawn flat: the look needs one level.
            flat = [b for block in inner for b in (block.get("blocks") or [block])]
            style = str(element.get("style") or "default").lower()
            blocks.append({"kind": "container", "style": style, "blocks": flat})
        elif kind == "ActionSet":
            blocks.append({"kind": "actions", "actions": _actions(element.get("actions"))})
    return blocks


def _text(element: dict[str, Any]) -> dict[str, Any]:
    classes = [
        f"wx-size-{str(element.get('size') or 'default').lower()}",
        f"wx-weight-{str(element.get('weight') or 'default').lower()}",
        f"wx-color-{str(element.get('color') or 'default').lower()}",
    ]
    if element.get("isSubtle"):
        classes.append("wx-subtle")
    return {"kind": "text", "text": str(element.get("text", "")), "classes": " ".join(classes)}


def _actions(actions: Any) -> list[dict[str, str]]:
    found = []
    for action in actions or []:
        if not isinstance(action, dict) or action.get("type") != "Action.OpenUrl":
            continue
        url = str(action.get("url") or "")
        if url.startswith(("https://", "http://")):
            style = str(action.get("style") or "default").lower()
            found.append({"title": str(action.get("title") or url), "url": url, "style": style})
    return found
