"""django-q2 tasks of the health engine, and the idempotent install of their schedules.

Schedules (installed after every ``migrate`` by ``install_schedules``, keyed by name, so running
migrate again changes nothing and an operator's edits to timing survive):

- ``mio-health-sweep``: every minute, ``sweep_due`` checks every due credential;
- ``mio-health-retention``: daily, ``purge_history`` deletes old CheckRecords and event ids.
"""

from __future__ import annotations

from typing import Any

from django_q.models import Schedule

from tokens import ratelimit
from tokens.events import purge_events
from tokens.recording import purge_history as purge_checks
from tokens.services import check_now
from tokens.sweep import sweep

SCHEDULES: dict[str, dict[str, Any]] = {
    "mio-health-sweep": {
        "func": "tokens.tasks.sweep_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    "mio-health-retention": {"func": "tokens.tasks.purge_history", "schedule_type": Schedule.DAILY},
}


def sweep_due() -> dict:
    return sweep().as_dict()


def check_credentials(ids: list[int], source: str, hint: str | None = None) -> dict:
    results = check_now(ids, source, hint=hint)
    return {"checked": sum(1 for check in results.values() if check is not None)}


def purge_history() -> dict:
    return {
        "checks": purge_checks(),
        "events": purge_events(),
        "backoffs": ratelimit.purge_backoffs(),
    }


def install_schedules(**kwargs: Any) -> None:
    """Create the schedules that do not exist yet (a ``post_migrate`` receiver)."""
    for name, spec in SCHEDULES.items():
        schedule, created = Schedule.objects.get_or_create(
            name=name, defaults={**spec, "repeats": -1}
        )
        if not created and schedule.func != spec["func"]:
            schedule.func = spec["func"]
            schedule.save(update_fields=["func"])
