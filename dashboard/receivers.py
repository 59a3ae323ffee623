"""The overview follows what an admin or a user just did.

The snapshot task rewrites today's rows every few minutes, which is fresh enough for what the
sweep finds; but after "Verify now", "Check now" or a re-sync the person who acted expects the
overview to show it at once. So a check from those sources that changed an account's state
refreshes its tenant and platform's row once the check commits (a few grouped queries).
Scheduled checks, platform events and relay reports stay with the periodic task: a sweep that
changes thousands of accounts must not rewrite the snapshot thousands of times.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tokens.models import CheckRecord, Credential

# The check sources a person caused (and so is looking at the dashboard or the re-sync page).
FOLLOWED = {CheckRecord.Source.MANUAL, CheckRecord.Source.RESYNC}


def refresh_after_check(
    sender: type, *, credential: Credential, source: str, changed: bool = True, **_: Any
) -> None:
    if not changed or source not in FOLLOWED or credential.kind != Credential.Kind.USER:
        return
    tenant_id, platform = credential.tenant_id, credential.platform

    def refresh() -> None:
        from dashboard.snapshots import take_snapshots

        take_snapshots(tenant_id=tenant_id, platform=platform)

    transaction.on_commit(refresh)
