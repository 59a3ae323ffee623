"""What the dashboard reads from the notifications layer (incidents and the prompt outbox), in
one module so the snapshots do not spread its field names around.

Every function is one grouped query over a time window, keyed by (tenant id, platform); the
platform of a prompt is its incident's platform (the one that broke), not the channel it went by.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, QuerySet

from notifications.models import Incident, OutboxMessage, Resolution

Key = tuple[int, str]

PROMPT_KINDS = (
    OutboxMessage.Kind.PROMPT,
    OutboxMessage.Kind.REMINDER,
    OutboxMessage.Kind.ESCALATION,
)
# Resolutions that mean the accounts work again ("superseded" or "closed" do not).
HEALED = (Resolution.USER_RESYNC, Resolution.ADMIN_VERIFIED, Resolution.RECOVERED)


def _narrow(
    qs: QuerySet, tenant_id: int | None, platform: str | None, prefix: str = ""
) -> QuerySet:
    if tenant_id is not None:
        qs = qs.filter(tenant_id=tenant_id)
    if platform is not None:
        qs = qs.filter(**{f"{prefix}platform": platform})
    return qs


def prompts_sent(
    start: datetime, end: datetime, tenant_id: int | None, platform: str | None
) -> dict[Key, int]:
    qs = OutboxMessage.objects.filter(
        kind__in=PROMPT_KINDS,
        status=OutboxMessage.Status.SENT,
        sent_at__gte=start,
        sent_at__lt=end,
        incident__isnull=False,
    )
    qs = _narrow(qs, tenant_id, platform, prefix="incident__")
    rows = qs.values("tenant_id", "incident__platform").annotate(n=Count("id")).order_by()
    return {(r["tenant_id"], r["incident__platform"]): r["n"] for r in rows}


def incidents_opened(
    start: datetime, end: datetime, tenant_id: int | None, platform: str | None
) -> dict[Key, int]:
    qs = _narrow(
        Incident.objects.filter(opened_at__gte=start, opened_at__lt=end), tenant_id, platform
    )
    rows = qs.values("tenant_id", "platform").annotate(n=Count("id")).order_by()
    return {(r["tenant_id"], r["platform"]): r["n"] for r in rows}


def heal_durations(
    start: datetime, end: datetime, tenant_id: int | None, platform: str | None
) -> dict[Key, list[float]]:
    """Seconds from opened to resolved, for the incidents healed in the window."""
    qs = Incident.objects.filter(
        status=Incident.Status.RESOLVED,
        resolution__in=HEALED,
        resolved_at__gte=start,
        resolved_at__lt=end,
    )
    result: dict[Key, list[float]] = defaultdict(list)
    rows = _narrow(qs, tenant_id, platform).values_list(
        "tenant_id", "platform", "opened_at", "resolved_at"
    )
    for tenant, plat, opened, resolved in rows.iterator(chunk_size=2000):
        result[(tenant, plat)].append(max(0.0, (resolved - opened).total_seconds()))
    return result
