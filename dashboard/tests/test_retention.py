"""Retention of the audit log and the daily snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule
from django_q.tasks import async_task

from accounts.models import Tenant
from dashboard import retention, tasks
from dashboard.models import AuditEntry, DailySnapshot
from tests.factories import make_tenant

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def audit(days_ago: int, tenant: Tenant | None = None, **kw: object) -> AuditEntry:
    return AuditEntry.objects.create(
        at=NOW - days_ago * DAY, actor_name="admin", action="incident.verify", tenant=tenant, **kw
    )


def snapshot(tenant: Tenant, day: date) -> DailySnapshot:
    return DailySnapshot.objects.create(tenant=tenant, platform="slack", day=day, total=1)


def test_it_deletes_audit_entries_and_snapshots_past_their_retention(db, settings) -> None:
    settings.DASHBOARD_AUDIT_RETENTION_DAYS = 400
    settings.DASHBOARD_SNAPSHOT_RETENTION_DAYS = 90
    tenant = make_tenant()
    audit(401, tenant)
    kept_entry = audit(399, tenant)
    snapshot(tenant, NOW.date() - 91 * DAY)
    kept_day = snapshot(tenant, NOW.date() - 90 * DAY)

    with time_machine.travel(NOW, tick=False):
        counts = retention.purge()

    assert counts == {"audit.AuditEntry": 1, "dashboard.DailySnapshot": 1}
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [kept_entry.pk]
    assert list(DailySnapshot.objects.values_list("pk", flat=True)) == [kept_day.pk]


def test_no_delete_elsewhere_takes_an_audit_entry_before_its_time(db) -> None:
    tenant = make_tenant()
    user = get_user_model().objects.create_user("gone", "gone@example.com", "x")
    entry = audit(1, tenant, actor=user, target_type="notifications.Incident", target_id="7")

    user.delete()
    tenant.delete()

    entry.refresh_from_db()
    assert (entry.actor_id, entry.tenant_id, entry.actor_name) == (None, None, "admin")


def test_a_dry_run_counts_and_deletes_nothing(db) -> None:
    tenant = make_tenant()
    for age in (500, 600):
        audit(age, tenant)
        snapshot(tenant, NOW.date() - age * DAY)

    with time_machine.travel(NOW, tick=False):
        counts = retention.purge(dry_run=True)

    assert counts == {"audit.AuditEntry": 2, "dashboard.DailySnapshot": 2}
    assert AuditEntry.objects.count() == 2
    assert DailySnapshot.objects.count() == 2


def test_it_deletes_in_bounded_batches(db) -> None:
    for age in range(500, 505):
        audit(age)

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        counts = retention.purge(batch=2)

    assert counts["audit.AuditEntry"] == 5
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len([sql for sql in deletes if "dashboard_auditentry" in sql]) == 3  # 2 + 2 + 1


def test_the_retention_schedule_is_installed_once_and_runs(db) -> None:
    tasks.install_schedule()
    tasks.install_schedule()
    rows = Schedule.objects.filter(name="mio-dashboard-retention")
    assert rows.count() == 1
    assert (rows[0].func, rows[0].schedule_type) == ("dashboard.tasks.purge_old", "D")

    audit(10_000)
    async_task(rows[0].func, sync=True)
    assert not AuditEntry.objects.exists()
