"""The notifications layer's one subscription: ``tokens.signals.credential_checked``.

It runs inside the transaction that records the check, so the incident and the outbox rows it
writes commit (or roll back) with the check itself; deliveries are queued on commit.
"""

from __future__ import annotations

from typing import Any

from notifications import incidents
from platforms.base import CheckOutcome
from tokens.models import Credential


def on_credential_checked(
    sender: type,
    *,
    credential: Credential,
    outcome: CheckOutcome,
    source: str,
    changed: bool = True,
    **kwargs: Any,
) -> None:
    # Nearly every check finds a healthy account still healthy, and an account still failing
    # the same way already has its incident: both return without a query. (An incident an admin
    # closed by hand while the account still fails stays closed until the account changes.)
    if not changed:
        return
    situation = outcome.situation.value if outcome.situation is not None else None
    evidence = outcome.evidence.as_dict() if outcome.evidence is not None else None
    incidents.apply_check(credential, situation, evidence, source)
