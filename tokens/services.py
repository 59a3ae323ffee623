"""What the rest of the project asks of the health engine.

- ``check_now(ids, source)``: check these credentials now and wait for the answers ("Verify
  now" for a few accounts, ``check_tokens``, tests).
- ``queue_check(ids, source)``: the same through django-q2, for many accounts or when the caller
  must answer fast (webhooks, the relay API, "Verify now" on a large incident).
- ``health_summary(tenant)``: counts per platform and state, for the dashboard.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Count
from django_q.tasks import async_task

from accounts.models import Tenant
from tokens import claims, conf
from tokens.models import CheckRecord, Credential
from tokens.pool import CheckPool


def check_now(
    credential_ids: Iterable[int],
    source: str = CheckRecord.Source.MANUAL,
    *,
    wait: float = 30.0,
    progress: Any = None,
    hint: str | None = None,
) -> dict[int, CheckRecord | None]:
    """Check these credentials now; return {credential id: its CheckRecord}.

    Credentials that are not checkable (bot credentials, removed from sync, unknown ids) are
    left out. One held by another worker is waited for (up to ``wait`` seconds), then checked,
    so the answer is always fresh; ``None`` marks one not recorded (deferred by a rate limit,
    or its recording failed and it will be retried when the claim lapses).
    ``progress``: called with 1 after each check (a tqdm bar's ``update``).
    ``hint``: the situation a platform event announced (``tokens.checking.apply_hint``).
    """
    pending = set(
        claims.checkable().filter(pk__in=set(credential_ids)).values_list("pk", flat=True)
    )
    results: dict[int, CheckRecord | None] = {}

    def done(credential: Credential, check: CheckRecord | None) -> None:
        results[credential.pk] = check
        if progress is not None:
            progress(1)

    # Threads cannot see a caller's uncommitted rows (and would wait on its locks).
    inline = connection.in_atomic_block or len(pending) <= 1
    deadline = time.monotonic() + wait
    with CheckPool(source=source, on_result=done, inline=inline, hint=hint) as pool:
        while pending:
            for chunk in _chunks(sorted(pending), conf.get("HEALTH_CLAIM_BATCH")):
                token = claims.new_token()
                for credential in claims.claim_ids(token, chunk):
                    pending.discard(credential.pk)
                    pool.submit(credential, token)
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # the rest are held by another worker right now
            pending &= set(claims.checkable().filter(pk__in=pending).values_list("pk", flat=True))
    return results


def queue_check(
    credential_ids: Iterable[int],
    source: str = CheckRecord.Source.MANUAL,
    *,
    hint: str | None = None,
) -> int:
    """Queue checks of these credentials on django-q2, in chunks. Returns how many."""
    ids = sorted(set(credential_ids))
    for chunk in _chunks(ids, conf.get("HEALTH_EVENT_TASK_CHUNK")):
        async_task("tokens.tasks.check_credentials", chunk, source, hint, group="health-checks")
    return len(ids)


def account_credentials(**filters: Any) -> list[int]:
    """Ids of checkable user credentials whose account matches ``filters``."""
    return list(
        claims.checkable()
        .filter(**{f"account__{k}": v for k, v in filters.items()})
        .values_list("pk", flat=True)
    )


def health_summary(tenant: Tenant) -> dict[str, dict[str, int]]:
    """{platform: {state: count}} of the tenant's user credentials."""
    summary: dict[str, dict[str, int]] = {}
    rows = (
        Credential.objects.filter(tenant=tenant, kind=Credential.Kind.USER)
        .values("platform", "state")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        summary.setdefault(row["platform"], {})[row["state"]] = row["n"]
    return summary


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
