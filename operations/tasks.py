"""The watch task: emails the operator once when a watched job is late (and its schedule)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

log = logging.getLogger(__name__)

WATCH_SCHEDULE = "mio-operations-watch"


def watch() -> dict[str, list[str]]:
    """Alert about each job that became late since it last ran; returns the late job keys.

    One email per episode: ``alerted_at`` is set here and cleared by the job's next success.
    A cluster that is down entirely cannot run this: ``/readyz`` and the dashboard banner
    (computed on each request) cover that case.
    """
    from operations.heartbeat import statuses
    from operations.models import Heartbeat

    late = [status for status in statuses() if status.late]
    fresh = [status for status in late if status.alerted_at is None]
    if fresh:
        lines = [f"- {s.label}: last succeeded {s.last_ok_at or 'never'} (UTC)" for s in fresh]
        body = (
            "Background work is late on Mio Auto Heal:\n\n"
            + "\n".join(lines)
            + "\n\nCheck that every `manage.py qcluster` is running and read its log; "
            "docs/operations.md, 'Worker heartbeat', says what each job does."
        )
        recipients = [address for _, address in settings.ADMINS]  # OPERATOR_EMAILS
        if recipients:
            send_mail(
                "Mio Auto Heal: background work is late",
                body,
                None,  # DEFAULT_FROM_EMAIL
                recipients,
                fail_silently=False,  # a failed send is retried on the next run
            )
        log.error("background work is late: %s", ", ".join(s.job.key for s in fresh))
        Heartbeat.objects.filter(job__in=[s.job.key for s in fresh]).update(
            alerted_at=timezone.now()
        )
    return {"late": [s.job.key for s in late], "alerted": [s.job.key for s in fresh]}


def install_schedule(using: str = "default", **_: Any) -> None:
    """The watch schedule and one heartbeat row per job; safe on every migrate."""
    from django_q.models import Schedule

    from operations.heartbeat import JOBS
    from operations.models import Heartbeat

    Schedule.objects.using(using).get_or_create(
        name=WATCH_SCHEDULE,
        defaults={
            "func": "operations.tasks.watch",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    for key in JOBS:
        Heartbeat.objects.using(using).get_or_create(job=key)
