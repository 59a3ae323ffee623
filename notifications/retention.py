"""Retention of closed incidents and of the messages about them.

- A *resolved* incident (whatever its resolution: re-synced, verified, recovered, superseded or
  closed by an admin) goes ``NOTIFY_INCIDENT_RETENTION_DAYS`` after it was resolved, with its
  affected accounts and its outbox messages. An open incident, and everything of it, stays.
- An incident that still has a message in flight (``pending`` or ``sending``: a confirmation
  queued at resolution, a message an admin requeued) stays until that message is done.
- Messages that belong to no incident (daily digests) go ``NOTIFY_MESSAGE_RETENTION_DAYS``
  after they were written, once they are done (sent, failed, cancelled or unconfirmed).

Audit entries only name incidents by id (no foreign key), so deleting an incident never takes
an audit row with it; re-sync links of a deleted incident lose their incident (SET NULL) and
are purged on their own schedule by ``accounts.retention``.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from mio_heal import retention
from mio_heal.retention import Counts
from notifications.models import AffectedAccount, Incident, OutboxMessage

DEFAULTS = {
    "NOTIFY_INCIDENT_RETENTION_DAYS": 180,
    "NOTIFY_MESSAGE_RETENTION_DAYS": 180,
}

IN_FLIGHT = [OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]


def days(name: str) -> int:
    return int(retention.setting(name, DEFAULTS))


def expired_incidents(now: datetime | None = None) -> QuerySet[Incident]:
    cutoff = retention.cutoff(days("NOTIFY_INCIDENT_RETENTION_DAYS"), now)
    return Incident.objects.filter(status=Incident.Status.RESOLVED, resolved_at__lt=cutoff).exclude(
        messages__status__in=IN_FLIGHT
    )


def expired_loose_messages(now: datetime | None = None) -> QuerySet[OutboxMessage]:
    cutoff = retention.cutoff(days("NOTIFY_MESSAGE_RETENTION_DAYS"), now)
    return OutboxMessage.objects.filter(incident__isnull=True, created_at__lt=cutoff).exclude(
        status__in=IN_FLIGHT
    )


def purge(*, dry_run: bool = False, batch: int | None = None) -> Counts:
    """Delete (or with ``dry_run`` count) what is past its retention; rows per table."""
    incidents = expired_incidents()
    loose = retention.purge(expired_loose_messages(), dry_run=dry_run, batch=batch)
    if dry_run:
        return retention.merge(
            retention.purge(OutboxMessage.objects.filter(incident__in=incidents), dry_run=True),
            loose,
            retention.purge(AffectedAccount.objects.filter(incident__in=incidents), dry_run=True),
            retention.purge(incidents, dry_run=True),
        )
    return retention.merge(loose, _purge_incidents(incidents, batch or retention.batch_size()))


def _purge_incidents(incidents: QuerySet[Incident], size: int) -> Counts:
    """A batch of incidents at a time; their children first, in bounded deletes of their own
    (a tenant-wide incident may list thousands of affected accounts)."""
    counts: list[Counts] = []
    while True:
        ids = list(incidents.order_by().values_list("pk", flat=True)[:size])
        if not ids:
            break
        counts.append(
            retention.purge(
                OutboxMessage.objects.filter(incident_id__in=ids).exclude(status__in=IN_FLIGHT),
                batch=size,
            )
        )
        counts.append(
            retention.purge(AffectedAccount.objects.filter(incident_id__in=ids), batch=size)
        )
        # Checked again here: an incident that got a message in flight meanwhile stays.
        counts.append(retention.purge(incidents.filter(pk__in=ids), batch=size))
        if len(ids) < size:
            break
    tables = (OutboxMessage, AffectedAccount, Incident)
    return retention.merge({model._meta.label: 0 for model in tables}, *counts)
