"""The worker heartbeat: which scheduled jobs we watch, when they last ran, which are late.

A job's heartbeat is written by the worker that ran it (django-q2's ``post_execute_in_worker``
signal, so no task function had to change). A job is *late* when it has not finished
successfully within ``late_after`` of its last success (or of the moment we started watching,
for a fresh install): the operator is told by email (``operations.tasks.watch``) and by a
banner on the dashboard, and ``/readyz`` answers 503 when the scheduler itself stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    key: str
    label: str
    func: str
    schedule: str  # the django-q2 Schedule's name
    late_after: timedelta


# The sweep is scheduled every minute and may run its 4-minute budget; the outbox tick every
# minute; snapshots every five minutes. Late = several intervals missed, not one slow run.
JOBS: dict[str, Job] = {
    "sweep": Job(
        "sweep", "Health sweep", "tokens.tasks.sweep_due", "mio-health-sweep", timedelta(minutes=10)
    ),
    "outbox": Job(
        "outbox", "Outbox delivery", "notifications.tasks.tick", "mio-notify-tick",
        timedelta(minutes=5),
    ),
    "snapshots": Job(
        "snapshots", "Dashboard snapshots", "dashboard.tasks.take_snapshots",
        "dashboard: daily snapshots", timedelta(minutes=20),
    ),
}  # fmt: skip
BY_FUNC = {job.func: job for job in JOBS.values()}


def late_after(job: Job) -> timedelta:
    """``OPERATIONS_LATE_AFTER = {"sweep": timedelta(...)}`` overrides a job's allowance."""
    return getattr(settings, "OPERATIONS_LATE_AFTER", {}).get(job.key, job.late_after)


def _func_name(func: Any) -> str:
    if isinstance(func, str):
        return func
    return f"{getattr(func, '__module__', '')}.{getattr(func, '__name__', '')}"


def record_finished(sender: Any = None, func: Any = None, task: dict | None = None, **_: Any):
    """``post_execute_in_worker`` receiver: stamp the job's heartbeat. Never fails the task."""
    job = BY_FUNC.get(_func_name(func if func is not None else (task or {}).get("func")))
    if job is None or task is None:
        return
    from operations.models import Heartbeat

    now = timezone.now()
    fields: dict[str, Any] = {"last_finished_at": now}
    if task.get("success"):  # absent: an inline task that raised
        fields.update(last_ok_at=now, alerted_at=None)
    else:
        fields["last_failed_at"] = now
    try:
        Heartbeat.objects.update_or_create(job=job.key, defaults=fields)
    except DatabaseError:
        log.warning("could not record the %s heartbeat", job.key, exc_info=True)


@dataclass(frozen=True)
class Status:
    job: Job
    last_ok_at: datetime | None
    last_failed_at: datetime | None
    late: bool
    alerted_at: datetime | None

    @property
    def label(self) -> str:
        return self.job.label


def statuses(now: datetime | None = None) -> list[Status]:
    """Every watched job, with whether it is late now (a job with no row yet: not watched)."""
    from operations.models import Heartbeat

    now = now or timezone.now()
    beats = {beat.job: beat for beat in Heartbeat.objects.all()}
    result = []
    for job in JOBS.values():
        beat = beats.get(job.key)
        reference = (beat.last_ok_at or beat.watched_since) if beat else None
        result.append(
            Status(
                job=job,
                last_ok_at=beat.last_ok_at if beat else None,
                last_failed_at=beat.last_failed_at if beat else None,
                late=reference is not None and now - reference > late_after(job),
                alerted_at=beat.alerted_at if beat else None,
            )
        )
    return result


def scheduler_late(now: datetime | None = None) -> bool:
    """True when django-q2's scheduler has not queued the sweep within its interval + grace.

    The scheduler moves a schedule's ``next_run`` forward each time it queues it; a
    ``next_run`` far in the past means no cluster is scheduling (all stopped, or stuck).
    """
    from django_q.models import Schedule

    now = now or timezone.now()
    grace = getattr(settings, "OPERATIONS_SCHEDULER_GRACE", timedelta(minutes=5))
    next_run = (
        Schedule.objects.filter(name=JOBS["sweep"].schedule)
        .values_list("next_run", flat=True)
        .first()
    )
    return next_run is None or next_run < now - grace
