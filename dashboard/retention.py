"""Retention of what the dashboard stores itself: the audit log and the daily snapshots.

Audit entries go ``DASHBOARD_AUDIT_RETENTION_DAYS`` after they were written. Nothing else
deletes them: their links to users and tenants are SET NULL and they name incidents, people
and accounts only by id, so no other purge (nor deleting a user or tenant) takes one early.
Keep the audit retention at least as long as the incidents' (``NOTIFY_INCIDENT_RETENTION_DAYS``)
so an incident's history outlives the incident.

Snapshots go ``DASHBOARD_SNAPSHOT_RETENTION_DAYS`` after their (UTC) day; the charts read the
last 30 days.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from dashboard.models import AuditEntry, DailySnapshot
from mio_heal import retention
from mio_heal.retention import Counts

DEFAULTS = {
    "DASHBOARD_AUDIT_RETENTION_DAYS": 400,
    "DASHBOARD_SNAPSHOT_RETENTION_DAYS": 400,
}


def days(name: str) -> int:
    return int(retention.setting(name, DEFAULTS))


def purge(
    *, dry_run: bool = False, batch: int | None = None, now: datetime | None = None
) -> Counts:
    """Delete (or with ``dry_run`` count) what is past its retention; rows per table."""
    now = now or timezone.now()
    audit_cutoff = retention.cutoff(days("DASHBOARD_AUDIT_RETENTION_DAYS"), now)
    snapshot_cutoff = retention.cutoff(days("DASHBOARD_SNAPSHOT_RETENTION_DAYS"), now)
    return retention.merge(
        retention.purge(
            AuditEntry.objects.filter(at__lt=audit_cutoff), dry_run=dry_run, batch=batch
        ),
        retention.purge(
            DailySnapshot.objects.filter(day__lt=snapshot_cutoff.astimezone(UTC).date()),
            dry_run=dry_run,
            batch=batch,
        ),
    )
