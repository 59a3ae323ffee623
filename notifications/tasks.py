"""django-q2 tasks of the notifications layer, and the idempotent install of their schedules.

- ``mio-notify-tick`` (every minute): rows a dead worker left in ``sending`` are recovered,
  due reminders and escalations are written, and due outbox rows (retries, messages held by
  quiet hours, anything the on-commit queueing missed) are delivered. The tick has a time
  budget (``tick_budget()``, a quarter of django-q's task timeout): it starts no new recovery
  or delivery after it, and what is left waits for the next minute. One delivery in progress
  may run past the budget, by at most ``delivery.deliver_budget()`` and one channel's send;
  the sum stays under the timeout, so the cluster never kills a tick mid-send;
- ``mio-notify-digest`` (hourly): tenants on the daily digest get it at 17:00 their time;
- ``mio-notify-retention`` (daily): closed incidents and finished messages past their retention
  are deleted, in batches (``notifications.retention``).
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import Tenant
from notifications import confirmations, recovery, reminders, retention
from notifications.delivery import deliver
from notifications.models import OutboxMessage

log = logging.getLogger(__name__)

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
    "mio-notify-retention": {
        "func": "notifications.tasks.purge_old",
        "schedule_type": Schedule.DAILY,
    },
}


def tick_budget() -> float:
    return float(settings.Q_CLUSTER.get("timeout") or 300) / 4


def tick() -> dict[str, Any]:
    deadline = time.monotonic() + tick_budget()
    return {
        "recovered": _phase(recovery.recover_stuck, deadline=deadline),
        "reminders": _phase(reminders.run),
        "delivered": _phase(dispatch_due, deadline=deadline),
    }


def _phase(run: Any, **kwargs: Any) -> Any:
    """One part of the tick; its failure is logged and does not stop the others (what it
    left undone is still in the database: the next tick picks it up)."""
    try:
        return run(**kwargs)
    except Exception:
        log.exception("notify tick: %s failed", getattr(run, "__name__", run))
        return {"error": 1}


def dispatch_due(
    limit: int = 200,
    now: datetime | None = None,
    *,
    deadline: float | None = None,
    budget: float | None = None,
) -> dict[str, int]:
    """Deliver the due pending rows, oldest first (each one claimed, so workers never collide).

    No new row is started after ``deadline`` (``time.monotonic()``), or ``budget`` seconds
    from now (``tick_budget()`` when neither is given); the rest are counted as ``deferred``.
    """
    now = now or timezone.now()
    if deadline is None:
        deadline = time.monotonic() + (tick_budget() if budget is None else budget)
    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for done, row_id in enumerate(ids):
        if time.monotonic() > deadline:
            counts["deferred"] = len(ids) - done
            break
        try:
            status = deliver(row_id)
        except Exception:
            # This row's failure must not hold up the rows after it. It stays claimed
            # ("sending") until its lease lapses; recovery then asks its channel about it.
            log.exception("outbox row %s: delivery failed; recovery settles it", row_id)
            status = "error"
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


def purge_old() -> dict[str, int]:
    return retention.purge()


def install_schedules(**kwargs: Any) -> None:
    """Create the schedules that do not exist yet (a ``post_migrate`` receiver)."""
    for name, spec in SCHEDULES.items():
        schedule, created = Schedule.objects.get_or_create(
            name=name, defaults={**spec, "repeats": -1}
        )
        if not created and schedule.func != spec["func"]:
            schedule.func = spec["func"]
            schedule.save(update_fields=["func"])
