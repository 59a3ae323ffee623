"""Writing an event and its deliveries, in the caller's transaction; sending after the commit.

The engine's state changes and incidents call in through ``outbound.receivers``. An event is
only queued for sending once the change it announces is committed: a rolled-back check sends
nothing, and a committed one always has its deliveries (the schedule picks up any whose queued
task was lost).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Tenant
from outbound.models import EVENT_TYPES, Delivery, Endpoint, Event


def emit(tenant: Tenant | int, event_type: str, data: dict[str, Any]) -> Event | None:
    """Record ``event_type`` for every active endpoint of the tenant that wants it."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    endpoints = [
        e
        for e in Endpoint.objects.filter(tenant_id=tenant_id, is_active=True)
        if e.wants(event_type)
    ]
    if not endpoints:
        return None
    now = timezone.now()
    body = json.dumps(
        {"type": event_type, "timestamp": now.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    with transaction.atomic():
        event = Event.objects.create(
            tenant_id=tenant_id, type=event_type, body=body, created_at=now
        )
        deliveries = Delivery.objects.bulk_create(
            [Delivery(endpoint=e, event=event, next_attempt_at=now) for e in endpoints]
        )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: async_task("outbound.tasks.deliver", ids, group="webhooks"))
    return event
