"""The dashboard's actions, each one call into the service that owns the work.

The health engine checks (``tokens.services.check_now``); the notifications layer verifies,
resends, snoozes and resolves incidents (``notifications.services``). This module only turns
their answers into a sentence for the page and a detail for the audit log. The overview
follows at once: ``dashboard.receivers`` refreshes the snapshot after every check an admin or a
user caused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from notifications.models import Incident
from tokens.models import CheckRecord, PlatformAccount


@dataclass
class Result:
    ok: bool
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


def _refresh_snapshot(tenant_id: int, platform: str) -> None:
    from dashboard.snapshots import take_snapshots

    take_snapshots(tenant_id=tenant_id, platform=platform)


def check_account(account: PlatformAccount) -> Result:
    from tokens.services import check_now

    # Whether it failed before this check decides between "now fails" and "still fails".
    was_failing = bool(account.credential.situation) if account.credential_id else False
    results = check_now([account.credential_id], CheckRecord.Source.MANUAL)
    check = results.get(account.credential_id)
    if check is None:
        return Result(
            False,
            "The check was deferred (the platform asked Mio to slow down).",
            {"summary": "deferred"},
        )
    detail = {"summary": check.outcome, "situation": check.situation, "state": check.state_after}
    label = f"{account.get_platform_display()} account of {account.person.name}"
    if check.outcome in (CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED):
        return Result(True, f"Checked: the {label} works.", detail)
    how = "still fails" if was_failing else "now fails"
    return Result(False, f"Checked: the {label} {how} ({check.get_situation_display()}).", detail)


def verify(incident: Incident) -> Result:
    from notifications import services

    verified = services.verify_incident(incident)
    incident.refresh_from_db()
    detail = {
        "summary": "resolved" if verified.resolved else "still open",
        "checked": verified.checked,
        "working": verified.working,
        "still_failing": verified.still_failing,
        "queued": verified.queued,
    }
    if verified.queued and not verified.resolved:
        return Result(
            True,
            f"Checking {_accounts(verified.queued)} in the background. This incident updates "
            "as the results come in, and resolves itself when they all work.",
            detail,
        )
    if verified.resolved:
        return Result(
            True,
            f"Verified: {_accounts(verified.working)} {_verb(verified.working, 'work')} again. "
            "The incident is resolved and the admins are told.",
            detail,
        )
    if not verified.checked:
        return Result(False, "Nothing was checked: the platform asked Mio to slow down.", detail)
    return Result(False, still_failing_message(verified.working, verified.still_failing), detail)


def still_failing_message(working: int, failing: int) -> str:
    """What "Verify now" says when the fix has not (fully) worked yet: no "Verified" there."""
    latest = "The evidence below is the latest."
    if not working:
        checked = "The account" if failing == 1 else f"All {failing} accounts"
        return (
            f"Not fixed yet: {checked} checked still {_verb(failing, 'fail')}. Fix it in "
            f"the platform's admin center, then press Verify now again. {latest}"
        )
    return (
        f"Partly fixed: {_accounts(working)} {_verb(working, 'work')} again, "
        f"{failing} still {_verb(failing, 'fail')}. {latest}"
    )


def resend(incident: Incident, *, by: Any) -> Result:
    from notifications import services

    n = services.resend(incident, by=by.get_username())
    if not n:
        return Result(
            False, "Nothing to resend: nobody can be prompted for this incident.", {"summary": 0}
        )
    return Result(True, f"{n} prompt{'s' if n != 1 else ''} sent again.", {"summary": n})


def snooze(incident: Incident, length: timedelta) -> Result:
    from notifications import services

    until = timezone.now() + length
    services.snooze(incident, until)
    hours = int(length.total_seconds() // 3600)
    return Result(
        True,
        f"Snoozed: no reminders until {until:%Y-%m-%d %H:%M} UTC.",
        {"summary": f"{hours} h", "until": until.isoformat(timespec="minutes")},
    )


def resolve(incident: Incident, *, by: Any, note: str = "") -> Result:
    from notifications import services

    closed = services.close_incident(incident, by=by.get_username())
    _refresh_snapshot(incident.tenant_id, incident.platform)
    detail = {"summary": "closed" if closed else "already resolved"}
    if note:
        detail["note"] = note
    if not closed:
        return Result(False, "The incident was already resolved.", detail)
    return Result(True, "Resolved by hand: its unsent prompts are cancelled.", detail)


def _accounts(n: int) -> str:
    return f"{n} account{'s' if n != 1 else ''}"


def _verb(n: int, verb: str) -> str:
    """The verb agreeing with ``n`` accounts: "1 account works", "3 accounts work"."""
    return f"{verb}s" if n == 1 else verb
