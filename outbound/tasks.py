"""django-q2 tasks for webhooks, and the idempotent install of their schedule.

``mio-webhooks-due`` (every minute) sends every delivery whose retry is due, and any whose
queued task was lost: nothing waits on a single queued task.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_q.models import Schedule

from outbound import delivery
from outbound.models import Delivery

SCHEDULES: dict[str, dict[str, Any]] = {
    "mio-webhooks-due": {
        "func": "outbound.tasks.deliver_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
}
BATCH = 500
RETENTION_SCHEDULES = {"mio-webhooks-retention": "outbound.tasks.purge_old"}


def deliver(ids: list[int]) -> dict:
    sent = [delivery.send(pk) for pk in ids]
    return {"attempted": sum(1 for a in sent if a is not None)}


def deliver_due() -> dict:
    due = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return deliver(due)


def purge_old() -> dict[str, int]:
    """Delete webhook events and key use counts past their retention (``outbound.retention``)."""
    from outbound.retention import purge

    return purge()


def install_schedules(**kwargs: Any) -> None:
    from mio_heal.retention import install_daily

    for name, spec in SCHEDULES.items():
        Schedule.objects.get_or_create(name=name, defaults={**spec, "repeats": -1})
    install_daily(RETENTION_SCHEDULES)
