"""Atomic claiming: a credential is checked by one worker at a time.

A claim is two columns on the credential: ``claimed_by`` (a token unique to one worker's batch)
and ``claimed_until``. It lapses by itself after ``HEALTH_CLAIM_TTL`` — a worker that dies
blocks nobody for long — and is released when the check is recorded (``tokens.recording``).

PostgreSQL: ``SELECT id … FOR UPDATE SKIP LOCKED`` then one UPDATE, in one transaction; two
workers claiming at the same moment each skip the rows the other holds instead of waiting.

Elsewhere (SQLite): a conditional UPDATE whose WHERE repeats "due and not claimed", so for
each row exactly one worker's UPDATE can match it; the rows a worker won are then read back
by its unique claim token. (This is the "conditional UPDATE that must return 1", done for a
batch at once: the database evaluates the condition per row, atomically.)
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from tokens import conf
from tokens.models import Credential, CredentialState

# What a check needs besides the credential, loaded in the same query (the adapters read the
# account's workspace and the tenant; the notifications layer reads the person).
RELATED = ("tenant", "account", "account__person")


def new_token() -> str:
    """A claim token: which worker (host, pid) and which batch."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"


def checkable() -> QuerySet[Credential]:
    """User credentials the engine may check (removed-from-sync ones are left alone)."""
    return Credential.objects.filter(kind=Credential.Kind.USER).exclude(
        state=CredentialState.DISABLED
    )


def unclaimed(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claim_due(
    token: str,
    *,
    limit: int | None = None,
    platforms: Iterable[str] | None = None,
    now: datetime | None = None,
) -> list[Credential]:
    """Claim up to ``limit`` due credentials, most overdue first."""
    now = now or timezone.now()
    qs = checkable().filter(next_check_at__lte=now).filter(unclaimed(now))
    if platforms is not None:
        qs = qs.filter(platform__in=list(platforms))
    return _claim(qs.order_by("next_check_at"), token, limit or conf.get("HEALTH_CLAIM_BATCH"), now)


def claim_ids(token: str, ids: Iterable[int], *, now: datetime | None = None) -> list[Credential]:
    """Claim these credentials now, due or not (events, "Verify now", ``check_tokens``).

    Those another worker holds are skipped: they are being checked already.
    """
    ids = list(ids)
    if not ids:
        return []
    now = now or timezone.now()
    qs = checkable().filter(pk__in=ids).filter(unclaimed(now)).order_by("pk")
    return _claim(qs, token, len(ids), now)


def _claim(qs: QuerySet[Credential], token: str, limit: int, now: datetime) -> list[Credential]:
    """Claim rows of ``qs``, then load them with what a check needs.

    The claiming statement touches the credential table alone (its ``credential_claim``
    index gives platform + due order), never a join: joined and sorted before the LIMIT, a
    claim over 100,000 credentials costs seconds instead of a millisecond.
    """
    until = now + conf.get("HEALTH_CLAIM_TTL")
    ids = qs.values_list("pk", flat=True)
    if connection.vendor == "postgresql":
        with transaction.atomic():
            won = list(ids.select_for_update(skip_locked=True)[:limit])
            if won:
                Credential.objects.filter(pk__in=won).update(claimed_until=until, claimed_by=token)
    else:
        candidates = list(ids[:limit])
        # The condition again, inside the UPDATE: rows someone else claimed meanwhile do not
        # match, so each row goes to exactly one claimant.
        if not candidates or not qs.filter(pk__in=candidates).update(
            claimed_until=until, claimed_by=token
        ):
            return []
        won = candidates
    if not won:
        return []
    return list(
        Credential.objects.filter(pk__in=won, claimed_by=token)
        .select_related(*RELATED)
        .order_by("next_check_at", "pk")
    )


def release(credential: Credential, token: str, *, next_check_at: datetime | None = None) -> bool:
    """Give a claim back without recording a check (e.g. the workspace is rate limited)."""
    fields: dict = {"claimed_until": None, "claimed_by": ""}
    if next_check_at is not None:
        fields["next_check_at"] = next_check_at
    return Credential.objects.filter(pk=credential.pk, claimed_by=token).update(**fields) == 1
