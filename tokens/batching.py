"""Recording routine checks together: a healthy account found healthy again.

Nearly every check of a sweep is routine. Recording each in its own transaction costs two
statements and a commit per account; a checking thread instead collects its routine results
and records up to ``HEALTH_RECORD_BATCH`` of them in one transaction: one UPDATE of the
credentials (releasing their claims, and only where the claim is still ours and the account
still healthy) and one multi-row INSERT of their CheckRecords. ``credential_checked`` is still
sent for each, inside that transaction, with ``changed=False``.

A credential the UPDATE did not match (its claim lapsed, or something moved it out of healthy
meanwhile, e.g. a relay report) is recorded on its own by ``tokens.recording.record``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from platforms.base import CheckOutcome, PlatformAdapter
from tokens import scheduling
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.recording import outcome_kind, proactive_due_after, record
from tokens.signals import credential_checked


@dataclass
class Routine:
    credential: Credential
    outcome: CheckOutcome
    adapter: PlatformAdapter
    claim_token: str
    at: datetime


def is_routine(credential: Credential, outcome: CheckOutcome) -> bool:
    return (
        outcome.healthy and credential.state == CredentialState.HEALTHY and not credential.situation
    )


def record_routine(
    items: list[Routine], *, source: str
) -> list[tuple[Credential, CheckRecord | None]]:
    """Record routine checks: [(credential, its CheckRecord, or None if the claim was lost)]."""
    if not items:
        return []
    results: list[tuple[Credential, CheckRecord | None]] = []
    due = {
        item.credential.pk: scheduling.next_check_at(
            CredentialState.HEALTHY,
            now=item.at,
            proactive_due=proactive_due_after(item.credential, item.outcome, item.adapter, item.at),
        )
        for item in items
    }
    with transaction.atomic():
        updated: set[int] = set()
        for token in {item.claim_token for item in items}:
            group = [item for item in items if item.claim_token == token]
            updated |= _release(group, token, due)
        mine = [item for item in items if item.credential.pk in updated]
        checks = CheckRecord.objects.bulk_create(
            [
                CheckRecord(
                    credential=item.credential,
                    checked_at=item.at,
                    source=source,
                    outcome=outcome_kind(item.outcome),
                    situation="",
                    state_after=CredentialState.HEALTHY,
                    evidence=None,
                    latency_ms=max(0, int(item.outcome.latency_ms)),
                )
                for item in mine
            ]
        )
        for item, check in zip(mine, checks, strict=True):
            credential = item.credential
            credential.last_checked_at = item.at
            credential.next_check_at = due[credential.pk]
            credential.failure_count = 0
            credential.claimed_until, credential.claimed_by = None, ""
            credential_checked.send(
                sender=Credential,
                credential=credential,
                previous_state=CredentialState.HEALTHY,
                previous_situation="",
                outcome=item.outcome,
                check=check,
                source=source,
                changed=False,
            )
            results.append((credential, check))
    for item in items:
        if item.credential.pk not in updated:
            check = record(
                item.credential,
                item.outcome,
                source=source,
                claim_token=item.claim_token,
                adapter=item.adapter,
                now=item.at,
            )
            results.append((item.credential, check))
    return results


def _release(group: list[Routine], token: str, due: dict[int, datetime]) -> set[int]:
    """One UPDATE for a group claimed under one token; the ids it matched (RETURNING)."""
    ops = connection.ops
    cast = "::timestamptz" if connection.vendor == "postgresql" else ""
    table = ops.quote_name(Credential._meta.db_table)
    checked_case, due_case, params_checked, params_due = [], [], [], []
    for item in group:
        pk = item.credential.pk
        checked_case.append(f"WHEN %s THEN %s{cast}")
        params_checked += [pk, ops.adapt_datetimefield_value(item.at)]
        due_case.append(f"WHEN %s THEN %s{cast}")
        params_due += [pk, ops.adapt_datetimefield_value(due[pk])]
    ids = [item.credential.pk for item in group]
    sql = (
        f"UPDATE {table} SET "  # noqa: S608 - identifiers from the model, values are parameters
        f"last_checked_at = CASE id {' '.join(checked_case)} END, "
        f"next_check_at = CASE id {' '.join(due_case)} END, "
        f"updated_at = %s{cast}, failure_count = 0, claimed_until = NULL, claimed_by = '' "
        f"WHERE claimed_by = %s AND state = %s AND situation = '' "
        f"AND id IN ({', '.join(['%s'] * len(ids))}) RETURNING id"
    )
    params = [
        *params_checked,
        *params_due,
        ops.adapt_datetimefield_value(timezone.now()),
        token,
        CredentialState.HEALTHY.value,
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}
