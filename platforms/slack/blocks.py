"""How a neutral ``Message`` looks on Slack: Block Kit built with ``slack_sdk.models``.

Header with a tone emoji, the text as mrkdwn, the facts as a two-column field grid, the actions
as URL buttons, and a context line that names the tone in words (colour alone is not enough).
Every string is escaped for mrkdwn and clipped to Block Kit's limits, so a long title or fact
never makes Slack refuse the whole message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.metadata import Metadata

from platforms import markup
from platforms.messages import Message

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
BUTTON_TEXT_MAX = 75
BUTTON_URL_MAX = 3000
BUTTONS_MAX = 25
FALLBACK_MAX = 4000

METADATA_EVENT_TYPE = "mio_auto_heal_prompt"

TONES: dict[str, tuple[str, str]] = {
    # tone -> (emoji shortcode, words for the context line)
    "warning": (":warning:", "Action needed"),
    "success": (":white_check_mark:", "All good"),
    "info": (":information_source:", "For your information"),
}


def escape(text: str) -> str:
    """Slack's mrkdwn control characters (https://docs.slack.dev/messaging/formatting-message-text),
    and no bare URL Slack would turn into a link (platforms/markup.py)."""
    return _entities(markup.plain(text, SECTION_TEXT_MAX))


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_blocks(message: Message) -> list[Block]:
    emoji, words = TONES.get(message.tone, TONES["info"])
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(
                text=clip(f"{emoji} {markup.plain(message.title, single_line=True)}", HEADER_MAX)
            )
        ),
        SectionBlock(text=MarkdownTextObject(text=clip(escape(message.text), SECTION_TEXT_MAX))),
    ]
    if message.facts:
        fields = [
            MarkdownTextObject(text=clip(f"*{escape(label)}*\n{escape(value)}", FIELD_MAX))
            for label, value in message.facts[:FIELDS_MAX]
        ]
        blocks.append(SectionBlock(fields=fields))
    if message.actions:
        buttons = []
        for index, action in enumerate(message.actions[:BUTTONS_MAX]):
            # Slack styles: "primary" is green, "danger" red; a warning's main action is the
            # fix, so it stays green and the header's emoji carries the alarm.
            buttons.append(
                ButtonElement(
                    text=clip(action.label, BUTTON_TEXT_MAX),
                    url=action.url[:BUTTON_URL_MAX],
                    action_id=f"mio_action_{index}",
                    style="primary" if action.primary else None,
                )
            )
        blocks.append(ActionsBlock(elements=buttons))
    blocks.append(DividerBlock())
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text=f"{emoji} {words} · Mio Auto Heal")])
    )
    return blocks


def render_payload(message: Message) -> dict[str, Any]:
    """What ``chat.postMessage`` gets besides the channel: blocks, fallback text, metadata."""
    payload: dict[str, Any] = {
        "text": clip(fallback_text(message), FALLBACK_MAX),
        "blocks": [block.to_dict() for block in build_blocks(message)],
    }
    if message.idempotency_key:
        # Slack has no idempotency key on chat.postMessage; message metadata travels with the
        # message, so a retried delivery is recognisable in the conversation.
        payload["metadata"] = Metadata(
            event_type=METADATA_EVENT_TYPE,
            event_payload={"idempotency_key": message.idempotency_key, "tone": message.tone},
        ).to_dict()
    return payload


def idempotency_key_of(message: Mapping[str, Any]) -> str:
    """The idempotency key a Mio message carries in its metadata, as ``conversations.history``
    returns it with ``include_all_metadata``; "" for any other message (or none returned)."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT_TYPE:
        return ""
    payload = metadata.get("event_payload")
    key = payload.get("idempotency_key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else ""


def fallback_text(message: Message) -> str:
    """Notification and screen-reader text: Slack shows it where blocks cannot be drawn."""
    lines = [escape(f"{message.title}: {message.text}")]
    lines += [escape(f"{label}: {value}") for label, value in message.facts]
    # Mio's own links stay links.
    lines += [f"{escape(action.label)}: {_entities(action.url)}" for action in message.actions]
    return "\n".join(lines)
