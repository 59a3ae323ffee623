"""What admins read once things work again."""

from __future__ import annotations

from typing import Any

from platforms.messages import Action, Message

from .common import error_code, incident_url, platform_label, when


def admin_user_resynced(*, person: str, platform: str, at: Any) -> Message:
    p = platform_label(platform)
    return Message(
        title=f"{person}'s {p} token was refreshed",
        text=f"{person} re-synced their {p} account; Mio relays their chats again.",
        facts=[("Person", person), ("Platform", p), ("Re-synced", when(at))],
        tone="success",
    )


def admin_digest(*, day: str, entries: list[dict[str, str]]) -> Message:
    n = len(entries)
    return Message(
        title=f"{n} {'person' if n == 1 else 'people'} re-synced on {day}",
        text="These people's tokens were refreshed; Mio relays their chats again.",
        facts=[(e["person"], platform_label(e["platform"])) for e in entries[:25]]
        + ([("…and more", str(n - 25))] if n > 25 else []),
        tone="success",
    )


def admin_configured(
    *,
    incident_id: int,
    platform: str,
    situation_label: str,
    evidence: Any,
    accounts: int,
    moved: int = 0,
) -> Message:
    p = platform_label(platform)
    code = error_code(platform, evidence)
    was = f"{situation_label} ({code})" if code else situation_label
    text = (
        f"Mio verified the fix: {accounts} affected account{'s' if accounts != 1 else ''} "
        f"on {p} work{'s' if accounts == 1 else ''} again. Thank you!"
    )
    if moved:
        text += (
            f" {moved} {'person needs' if moved == 1 else 'people need'} to sign in again "
            "themselves; Mio has asked them directly."
        )
    return Message(
        title=f"{p} is configured to work with Mio",
        text=text,
        facts=[("Platform", p), ("Was", was)],
        actions=[Action("Open the incident", incident_url(incident_id), primary=False)],
        tone="success",
    )
