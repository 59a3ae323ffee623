"""Turn a delivered Bot Framework activity into what the Teams inbox template draws.

Only the elements Mio's cards use are drawn natively (Container, TextBlock, FactSet, ColumnSet
with its columns' items, Action.OpenUrl); anything else shows as its type so nothing is silently
lost. Links stay real links.
"""

from __future__ import annotations

import json
from typing import Any

CARD = "application/vnd.microsoft.card.adaptive"
_SAFE_SCHEMES = ("https://", "http://", "mailto:")


def card_context(payload: str) -> dict[str, Any]:
    try:
        activity = json.loads(payload)
    except ValueError:
        return {"raw": payload, "cards": [], "summary": ""}
    if not isinstance(activity, dict):
        return {"raw": payload, "cards": [], "summary": ""}
    cards = []
    for attachment in activity.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") == CARD:
            content = attachment.get("content") or {}
            if isinstance(content, dict):
                cards.append(
                    {
                        "version": str(content.get("version") or ""),
                        "elements": _elements(content.get("body") or []),
                        "actions": _actions(content.get("actions") or []),
                    }
                )
    return {
        "cards": cards,
        "summary": str(activity.get("summary") or ""),
        "text": str(activity.get("text") or ""),
        "activity_id": str(activity.get("id") or ""),
        "raw": "" if cards else payload,
    }


def _elements(items: list[Any]) -> list[dict[str, Any]]:
    drawn: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "TextBlock":
            drawn.append(
                {
                    "kind": "text",
                    "text": str(item.get("text") or ""),
                    "weight": str(item.get("weight") or "default").lower(),
                    "size": str(item.get("size") or "default").lower(),
                    "color": str(item.get("color") or "default").lower(),
                }
            )
        elif kind == "FactSet":
            facts = [
                (str(f.get("title") or ""), str(f.get("value") or ""))
                for f in item.get("facts") or []
                if isinstance(f, dict)
            ]
            drawn.append({"kind": "facts", "facts": facts})
        elif kind == "Container":
            drawn.append(
                {
                    "kind": "container",
                    "style": str(item.get("style") or "default").lower(),
                    "items": _elements(item.get("items") or []),
                }
            )
        elif kind == "ColumnSet":
            columns = [
                _elements(c.get("items") or [])
                for c in item.get("columns") or []
                if isinstance(c, dict)
            ]
            drawn.append({"kind": "columns", "columns": columns})
        else:
            drawn.append({"kind": "other", "type": str(kind)})
    return drawn


def _actions(items: list[Any]) -> list[dict[str, str]]:
    actions = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("type") != "Action.OpenUrl":
            continue
        url = str(item.get("url") or "")
        if not url.startswith(_SAFE_SCHEMES):
            continue  # never render javascript: and friends as a link
        actions.append(
            {
                "title": str(item.get("title") or url),
                "url": url,
                "style": str(item.get("style") or "default").lower(),
            }
        )
    return actions
