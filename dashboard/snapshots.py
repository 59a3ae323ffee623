"""Writing the daily snapshots: account states per tenant, platform and day, plus the day's
prompts, incidents and median time-to-heal.

The task rewrites today's rows every few minutes; the first run after midnight (UTC) also closes
yesterday's rows. Each run is a few grouped queries whatever the number of accounts, and one
bulk upsert.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from dashboard import sources
from dashboard.models import COUNTED_STATES, DailySnapshot
from tokens.models import Credential

Key = tuple[int, str]  # (tenant id, platform)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def state_counts(tenant_id: int | None = None, platform: str | None = None) -> dict[Key, dict]:
    """Current accounts per state, grouped by (tenant, platform): one grouped query."""
    qs = Credential.objects.filter(kind=Credential.Kind.USER)
    if tenant_id is not None:
        qs = qs.filter(tenant_id=tenant_id)
    if platform is not None:
        qs = qs.filter(platform=platform)
    counts: dict[Key, dict] = defaultdict(lambda: dict.fromkeys(COUNTED_STATES, 0))
    for row in qs.values("tenant_id", "platform", "state").annotate(n=Count("id")).order_by():
        if row["state"] in COUNTED_STATES:
            counts[(row["tenant_id"], row["platform"])][row["state"]] += row["n"]
    return counts


def activity(day: date, tenant_id: int | None, platform: str | None) -> dict[Key, dict]:
    """The day's prompts sent, incidents opened and resolved, and median time-to-heal."""
    start, end = day_bounds(day)
    result: dict[Key, dict] = defaultdict(dict)
    for key, n in sources.prompts_sent(start, end, tenant_id, platform).items():
        result[key]["prompts_sent"] = n
    for key, n in sources.incidents_opened(start, end, tenant_id, platform).items():
        result[key]["incidents_opened"] = n
    for key, durations in sources.heal_durations(start, end, tenant_id, platform).items():
        result[key]["incidents_resolved"] = len(durations)
        result[key]["median_heal_seconds"] = int(statistics.median(durations))
    return result


def take_snapshots(
    now: datetime | None = None, *, tenant_id: int | None = None, platform: str | None = None
) -> int:
    """Rewrite today's rows (for one tenant/platform when given); returns the rows written."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    days = [today]
    yesterday = today - timedelta(days=1)
    midnight, _ = day_bounds(today)
    stale = DailySnapshot.objects.filter(day=yesterday, computed_at__lt=midnight)
    if tenant_id is None and platform is None and stale.exists():
        days.insert(0, yesterday)

    states = state_counts(tenant_id, platform)
    rows = []
    for day in days:
        acts = activity(day, tenant_id, platform)
        for key in states.keys() | acts.keys():
            counts = states.get(key) or dict.fromkeys(COUNTED_STATES, 0)
            rows.append(
                DailySnapshot(
                    tenant_id=key[0],
                    platform=key[1],
                    day=day,
                    total=sum(counts.values()),
                    **counts,
                    prompts_sent=acts.get(key, {}).get("prompts_sent", 0),
                    incidents_opened=acts.get(key, {}).get("incidents_opened", 0),
                    incidents_resolved=acts.get(key, {}).get("incidents_resolved", 0),
                    median_heal_seconds=acts.get(key, {}).get("median_heal_seconds"),
                    computed_at=now,
                )
            )
    DailySnapshot.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["tenant", "platform", "day"],
        update_fields=[
            "total",
            *COUNTED_STATES,
            "prompts_sent",
            "incidents_opened",
            "incidents_resolved",
            "median_heal_seconds",
            "computed_at",
        ],
    )
    return len(rows)
