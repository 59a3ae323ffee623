"""Retention of webhook events: their deliveries and attempt log go with them.

An event goes ``OUTBOUND_EVENT_RETENTION_DAYS`` (default 30) after it was written, once none of
its deliveries is still pending (an endpoint disabled for a while keeps its events until it is
enabled and they are delivered, or an admin deletes the endpoint). API key use counts go after
``RELAY_KEY_USE_RETENTION_DAYS`` (default 400).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from api.models import KeyUse
from mio_heal import retention
from mio_heal.retention import Counts
from outbound.models import Delivery, Event

DEFAULTS = {"OUTBOUND_EVENT_RETENTION_DAYS": 30, "RELAY_KEY_USE_RETENTION_DAYS": 400}


def expired_events(now: datetime | None = None) -> QuerySet[Event]:
    days = int(retention.setting("OUTBOUND_EVENT_RETENTION_DAYS", DEFAULTS))
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).values("event_id")
    return Event.objects.filter(created_at__lt=retention.cutoff(days, now)).exclude(pk__in=pending)


def expired_key_uses(now: datetime | None = None) -> QuerySet[KeyUse]:
    days = int(retention.setting("RELAY_KEY_USE_RETENTION_DAYS", DEFAULTS))
    return KeyUse.objects.filter(day__lt=retention.cutoff(days, now).date())


def purge(
    *, dry_run: bool = False, batch: int | None = None, now: datetime | None = None
) -> Counts:
    now = now or timezone.now()
    return retention.merge(
        retention.purge(expired_events(now), dry_run=dry_run, batch=batch),
        retention.purge(expired_key_uses(now), dry_run=dry_run, batch=batch),
    )
