"""Retention of re-sync links: a link goes ``RESYNC_LINK_RETENTION_DAYS`` after it was used or
expired. An unused link that still works is never deleted, whatever its age.

Two more kinds of link stay however old they are:

- a link of an incident that is still open: its page is how the person asks for a fresh link
  (``notifications.services.request_fresh_link``), and that needs the row;
- a link an outbox message that may still be sent names (anything but ``sent``: pending or
  sending, and failed, unconfirmed or cancelled ones an admin can requeue): the message renders
  its URL at send time. Those messages go with their incident (``notifications.retention``),
  after which the link is free to go.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import ResyncLink
from mio_heal import retention
from mio_heal.retention import Counts
from notifications.models import Incident, OutboxMessage

DEFAULTS = {"RESYNC_LINK_RETENTION_DAYS": 30}


def expired_links(now: datetime | None = None) -> QuerySet[ResyncLink]:
    days = int(retention.setting("RESYNC_LINK_RETENTION_DAYS", DEFAULTS))
    cutoff = retention.cutoff(days, now)
    may_send = OutboxMessage.objects.filter(resync_link__isnull=False).exclude(
        status=OutboxMessage.Status.SENT
    )
    return (
        ResyncLink.objects.filter(Q(used_at__lt=cutoff) | Q(expires_at__lt=cutoff))
        .exclude(incident__status=Incident.Status.OPEN)
        .exclude(pk__in=may_send.values("resync_link_id"))
    )


def purge(*, dry_run: bool = False, batch: int | None = None) -> Counts:
    """Delete (or with ``dry_run`` count) the links past their retention; rows per table."""
    return retention.purge(expired_links(), dry_run=dry_run, batch=batch)
