"""django-q2 tasks of the notifications layer, and the idempotent install of their schedules.

- ``mio-notify-tick`` (every minute): rows a dead worker left in ``sending`` are recovered,
  due reminders and escalations are written, and due outbox rows (retries, messages held by
  quiet hours, anything the on-commit queueing missed) are delivered;
- ``mio-notify-digest`` (hourly): tenants on the daily digest get it at 17:00 their time.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django.utils import timezone
from django_q.models import Schedule

from accounts.models import Tenant
from notifications import confirmations, recovery, reminders
from notifications.delivery import deliver
from notifications.models import OutboxMessage

DIGEST_HOUR = 17

SCHEDULES: dict[str, dict[str, Any]] = {
    "mio-notify-tick": {
        "func": "notifications.tasks.tick",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    "mio-notify-digest": {
        "func": "notifications.tasks.digests",
        "schedule_type": Schedule.HOURLY,
    },
}


def tick() -> dict[str, Any]:
    return {
        "recovered": recovery.recover_stuck(),
        "reminders": reminders.run(),
        "delivered": dispatch_due(),
    }


def dispatch_due(limit: int = 200, now: datetime | None = None) -> dict[str, int]:
    """Deliver the due pending rows, oldest first (each one claimed, so workers never collide)."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for row_id in ids:
        status = deliver(row_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def digests(now: datetime | None = None) -> int:
    now = now or timezone.now()
    written = 0
    tenants = Tenant.objects.filter(admin_confirmations=Tenant.AdminConfirmations.DAILY_DIGEST)
    for tenant in tenants:
        local = now.astimezone(zoneinfo.ZoneInfo(tenant.timezone or "UTC"))
        if local.hour == DIGEST_HOUR:
            written += confirmations.send_digest(tenant, now=now)
    return written


def install_schedules(**kwargs: Any) -> None:
    """Create the schedules that do not exist yet (a ``post_migrate`` receiver)."""
    for name, spec in SCHEDULES.items():
        schedule, created = Schedule.objects.get_or_create(
            name=name, defaults={**spec, "repeats": -1}
        )
        if not created and schedule.func != spec["func"]:
            schedule.func = spec["func"]
            schedule.save(update_fields=["func"])
