"""What an end user reads: why their chat stopped, and the one button that fixes it."""

from __future__ import annotations

from platforms.messages import Action, Message
from tokens.situations import Situation

from .common import platform_label, when

# Why it stopped, in the user's words. ``{p}`` is the platform's name.
WHY: dict[str, str] = {
    Situation.GRANT_REVOKED: (
        "your {p} sign-in for Mio was revoked or expired (this happens after a password reset, "
        "a \u201csign out everywhere\u201d, or when an admin revokes sessions)"
    ),
    Situation.MFA_ENROLLMENT_REQUIRED: (
        "your organisation now asks for multi-factor authentication on your {p} account, and "
        "Mio's sign-in has to go through it once"
    ),
    Situation.REFRESH_TOKEN_INACTIVE: (
        "Mio's sign-in to your {p} account expired after a long time without use"
    ),
    Situation.PASSWORD_EXPIRED: (
        "your {p} password expired; the sign-in will ask you to choose a new one first"
    ),
}
DEFAULT_WHY = "Mio's sign-in to your {p} account stopped working"


def resync_label(platform: str) -> str:
    return f"Re-sync your {platform_label(platform)} account"


def user_prompt(
    *,
    platform: str,
    situation: str,
    email: str,
    since: object,
    link_url: str,
    reminder: int = 0,
    first_prompt_at: object = None,
) -> Message:
    p = platform_label(platform)
    why = WHY.get(situation, DEFAULT_WHY).format(p=p)
    title = f"Reminder: your {p} chats are paused" if reminder else f"Your {p} chats are paused"
    text = (
        f"Mio stopped relaying your {p} messages to your other chat apps because {why}. "
        "Messages people send you there are not reaching you through Mio.\n\n"
        f"Press the button to sign in to {p} again; it takes about a minute, and your chats "
        "continue where they stopped."
    )
    if reminder and first_prompt_at:
        text += f"\n\n(We first asked on {when(first_prompt_at)}.)"  # type: ignore[arg-type]
    facts = [("Account", email), ("Paused since", when(since))]  # type: ignore[arg-type]
    return Message(
        title=title,
        text=text,
        facts=facts,
        actions=[Action(resync_label(platform), link_url)],
        tone="warning",
    )


def user_resynced(*, platform: str, email: str) -> Message:
    p = platform_label(platform)
    return Message(
        title="You're re-synced",
        text=(
            f"Your {p} account is connected to Mio again, and your cross-platform chats "
            "continue as before. There is nothing else to do."
        ),
        facts=[("Account", email)],
        tone="success",
    )
