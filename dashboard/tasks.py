"""django-q2 work of the dashboard: the snapshot task and its schedule."""

from __future__ import annotations

from typing import Any

# Today's snapshot is refreshed this often, so the overview is never older than this.
SNAPSHOT_EVERY_MINUTES = 5
SCHEDULE_NAME = "dashboard: daily snapshots"


def take_snapshots() -> int:
    """Rewrite today's snapshot rows (and yesterday's, to close the day); returns rows written."""
    from dashboard.snapshots import take_snapshots as take

    return take()


def install_schedule(using: str = "default", **_: Any) -> None:
    """Create or correct the schedule; safe to run on every migrate."""
    from django_q.models import Schedule

    Schedule.objects.using(using).update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "dashboard.tasks.take_snapshots",
            "schedule_type": Schedule.MINUTES,
            "minutes": SNAPSHOT_EVERY_MINUTES,
            "repeats": -1,
        },
    )
