"""django-q2 work of the dashboard: the snapshot and retention tasks and their schedules."""

from __future__ import annotations

from typing import Any

# Today's snapshot is refreshed this often, so the overview is never older than this.
SNAPSHOT_EVERY_MINUTES = 5
SCHEDULE_NAME = "dashboard: daily snapshots"
# Daily; created once, so an operator's change of its time survives migrate.
RETENTION_SCHEDULES = {"mio-dashboard-retention": "dashboard.tasks.purge_old"}


def take_snapshots() -> int:
    """Rewrite today's snapshot rows (and yesterday's, to close the day); returns rows written."""
    from dashboard.snapshots import take_snapshots as take

    return take()


def purge_old() -> dict[str, int]:
    """Delete audit entries and snapshots past their retention (``dashboard.retention``)."""
    from dashboard.retention import purge

    return purge()


def install_schedule(using: str = "default", **_: Any) -> None:
    """Create or correct the schedules; safe to run on every migrate."""
    from django_q.models import Schedule

    from mio_heal.retention import install_daily

    Schedule.objects.using(using).update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "dashboard.tasks.take_snapshots",
            "schedule_type": Schedule.MINUTES,
            "minutes": SNAPSHOT_EVERY_MINUTES,
            "repeats": -1,
        },
    )
    install_daily(RETENTION_SCHEDULES, using=using)
