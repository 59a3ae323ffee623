"""Proactive refresh: redeem a refresh token before it dies of old age or disuse.

Entra's refresh tokens die after 90 days unused (sliding), Webex's after 90 days, Zoom's after
90 days: a person who is merely quiet would otherwise meet ``refresh_token_inactive`` and have to
sign in again. Each adapter declares ``refresh_idle_limit``; once ``HEALTH_PROACTIVE_FRACTION``
of it has passed since the refresh token was last used, the next check refreshes first. A known
absolute expiry (``refresh_token_expires_at``) triggers one refresh when it comes within
``HEALTH_PROACTIVE_MARGIN``, in case the platform hands out a fresh one.
"""

from __future__ import annotations

from datetime import datetime

from platforms.base import PlatformAdapter
from tokens import conf
from tokens.models import Credential


def last_used(credential: Credential) -> datetime | None:
    return (
        credential.refresh_token_last_used_at
        or credential.refresh_token_issued_at
        or credential.last_refreshed_at
        or credential.created_at
    )


def refresh_due_at(credential: Credential, adapter: PlatformAdapter) -> datetime | None:
    """When this credential's refresh token should be refreshed ahead (None: never)."""
    if adapter.refresh_on_every_check or credential.refresh_token is None:
        # Teams redeems its refresh token on every check already: it can never go idle.
        return None
    used = last_used(credential)
    candidates = []
    if adapter.refresh_idle_limit is not None and used is not None:
        candidates.append(used + adapter.refresh_idle_limit * conf.get("HEALTH_PROACTIVE_FRACTION"))
    if credential.refresh_token_expires_at is not None:
        due = credential.refresh_token_expires_at - conf.get("HEALTH_PROACTIVE_MARGIN")
        # Once per token: after a refresh inside the margin, do not refresh on every check.
        if used is None or used < due:
            candidates.append(due)
    return min(candidates) if candidates else None


def needs_refresh(credential: Credential, adapter: PlatformAdapter, now: datetime) -> bool:
    due = refresh_due_at(credential, adapter)
    return due is not None and due <= now
