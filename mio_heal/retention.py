"""What every app's retention shares: its settings, bounded deletes, and its daily schedule.

Each app owns its purge (``notifications.retention``, ``accounts.retention``,
``dashboard.retention``; the health engine's is ``tokens.tasks.purge_history``). A purge returns
how many rows it deleted per table (``{"notifications.Incident": 3, ...}``), or with
``dry_run=True`` how many it would delete, touching nothing.

Deletes go in batches of ``RETENTION_BATCH`` primary keys, each its own statement (and, in
autocommit, its own transaction): the first run on a table that grew for years neither holds
a long lock nor loads the table into memory, and a run cut off half-way (a worker's task
timeout) keeps what it did; the next run carries on.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

Counts = dict[str, int]

# Rows per DELETE. Small enough that one statement is quick on PostgreSQL and SQLite alike.
DEFAULT_BATCH = 2000


def setting(name: str, defaults: dict[str, Any]) -> Any:
    """A Django setting, or the app's default (read at call time, so tests may change it)."""
    return getattr(settings, name, defaults[name])


def cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def batch_size() -> int:
    return max(int(getattr(settings, "RETENTION_BATCH", DEFAULT_BATCH)), 1)


def purge(queryset: QuerySet, *, dry_run: bool = False, batch: int | None = None) -> Counts:
    """Delete what ``queryset`` matches, ``batch`` rows a statement; the rows per table.

    Each batch re-applies the queryset's own filter, so a row that stopped matching between
    the SELECT of its id and the DELETE (an incident that got a new pending message) stays.
    The counts include what a batch's delete cascaded to.
    """
    label = queryset.model._meta.label
    if dry_run:
        return {label: queryset.count()}
    size = batch or batch_size()
    deleted: Counter[str] = Counter({label: 0})
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:size])
        if not ids:
            return dict(deleted)
        deleted.update(queryset.filter(pk__in=ids).delete()[1])
        if len(ids) < size:
            return dict(deleted)


def merge(*parts: Counts) -> Counts:
    total: Counter[str] = Counter()
    for part in parts:
        total.update(part)
    return dict(total)


def install_daily(schedules: dict[str, str], using: str = "default") -> None:
    """Create each named daily schedule (name -> task path) once; keep an operator's timing.

    Safe on every ``migrate``: an existing schedule only gets its task path corrected.
    """
    from django_q.models import Schedule

    rows = Schedule.objects.using(using)
    for name, func in schedules.items():
        current = rows.filter(name=name).first()
        if current is None:
            rows.create(name=name, func=func, schedule_type=Schedule.DAILY, repeats=-1)
        elif current.func != func:
            rows.filter(pk=current.pk).update(func=func)
