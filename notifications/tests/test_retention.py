"""Retention of closed incidents and their messages: old closed ones go, open and recent stay."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import Person, ResyncLink, Tenant
from accounts.resync.links import create_link
from dashboard.models import AuditEntry
from dashboard.tests.factories import make_incident
from notifications import retention, tasks
from notifications.models import AffectedAccount, Incident, OutboxMessage
from tests.factories import make_account, make_person, make_tenant

_keys = itertools.count(1)
DAY = timedelta(days=1)


def message(
    tenant: Tenant,
    incident: Incident | None,
    status: str,
    *,
    person: Person | None = None,
    template: str = OutboxMessage.Template.ADMIN_PROMPT,
) -> OutboxMessage:
    return OutboxMessage.objects.create(
        tenant=tenant,
        incident=incident,
        recipient=person,
        audience="admin",
        kind=OutboxMessage.Kind.PROMPT,
        template=template,
        channel="slack",
        idempotency_key=f"retention-test-{next(_keys)}",
        status=status,
    )


def closed_incident(tenant: Tenant, days_ago: int, *, affected: int = 1) -> Incident:
    """A tenant-wide incident resolved ``days_ago`` days ago, with a sent and a failed message."""
    accounts = [make_account(make_person(tenant)) for _ in range(affected)]
    resolved = timezone.now() - days_ago * DAY
    with time_machine.travel(resolved, tick=False):
        incident = make_incident(
            tenant=tenant,
            platform="slack",
            situation="app_disabled",
            affected=accounts,
            opened_at=resolved - DAY,
            resolved_at=resolved,
            resolution="admin_verified",
        )
        message(tenant, incident, OutboxMessage.Status.SENT)
        message(tenant, incident, OutboxMessage.Status.FAILED)
    return incident


def test_it_deletes_closed_incidents_past_retention_with_their_messages(db, settings) -> None:
    settings.NOTIFY_INCIDENT_RETENTION_DAYS = 180
    tenant = make_tenant()
    old = closed_incident(tenant, 181, affected=3)
    recent = closed_incident(tenant, 179)
    # Opened long ago, never resolved: it and its old messages stay.
    with time_machine.travel(timezone.now() - 400 * DAY, tick=False):
        still_open = make_incident(make_account(make_person(tenant), "slack"))
        message(tenant, still_open, OutboxMessage.Status.SENT)

    counts = retention.purge()

    assert counts == {
        "notifications.Incident": 1,
        "notifications.OutboxMessage": 2,
        "notifications.AffectedAccount": 3,
    }
    assert set(Incident.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert not OutboxMessage.objects.filter(incident_id=old.pk).exists()
    assert not AffectedAccount.objects.filter(incident_id=old.pk).exists()
    assert OutboxMessage.objects.filter(incident=still_open).count() == 1
    assert OutboxMessage.objects.filter(incident=recent).count() == 2


def test_it_follows_the_configured_retention(db, settings) -> None:
    tenant = make_tenant()
    closed_incident(tenant, 40)
    settings.NOTIFY_INCIDENT_RETENTION_DAYS = 60
    assert retention.purge()["notifications.Incident"] == 0
    settings.NOTIFY_INCIDENT_RETENTION_DAYS = 30
    assert retention.purge()["notifications.Incident"] == 1


def test_it_keeps_a_closed_incident_while_one_of_its_messages_is_in_flight(db) -> None:
    tenant = make_tenant()
    incident = closed_incident(tenant, 365)
    # A confirmation still queued (or being sent) for an incident resolved long ago.
    pending = message(tenant, incident, OutboxMessage.Status.PENDING)
    # A digest in flight belongs to no incident and holds none back.
    message(tenant, None, OutboxMessage.Status.PENDING)
    other = closed_incident(tenant, 365)

    assert retention.purge()["notifications.Incident"] == 1
    assert set(Incident.objects.values_list("pk", flat=True)) == {incident.pk}
    assert not Incident.objects.filter(pk=other.pk).exists()
    assert OutboxMessage.objects.filter(incident=incident).count() == 3

    OutboxMessage.objects.filter(pk=pending.pk).update(status=OutboxMessage.Status.SENDING)
    assert retention.purge()["notifications.Incident"] == 0

    OutboxMessage.objects.filter(pk=pending.pk).update(status=OutboxMessage.Status.SENT)
    assert retention.purge()["notifications.Incident"] == 1
    assert not OutboxMessage.objects.filter(incident_id=incident.pk).exists()


def test_it_deletes_only_finished_messages_of_no_incident_past_their_retention(
    db, settings
) -> None:
    settings.NOTIFY_MESSAGE_RETENTION_DAYS = 90
    tenant = make_tenant()
    digest = OutboxMessage.Template.ADMIN_DIGEST
    with time_machine.travel(timezone.now() - 91 * DAY, tick=False):
        old_sent = message(tenant, None, OutboxMessage.Status.SENT, template=digest)
        old_pending = message(tenant, None, OutboxMessage.Status.PENDING, template=digest)
    with time_machine.travel(timezone.now() - 89 * DAY, tick=False):
        recent = message(tenant, None, OutboxMessage.Status.SENT, template=digest)

    assert retention.purge()["notifications.OutboxMessage"] == 1
    left = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert left == {old_pending.pk, recent.pk}
    assert old_sent.pk not in left


def test_it_leaves_audit_entries_and_links_of_a_deleted_incident(db) -> None:
    tenant = make_tenant()
    account = make_account(make_person(tenant))
    with time_machine.travel(timezone.now() - 300 * DAY, tick=False):
        incident = make_incident(account, resolved_at=timezone.now(), resolution="user_resync")
        link = create_link(account.person, account, incident)
    entry = AuditEntry.objects.create(
        actor_name="admin",
        action="incident.close",
        tenant=tenant,
        target_type="notifications.Incident",
        target_id=str(incident.pk),
        target_label=str(incident),
    )

    assert retention.purge()["notifications.Incident"] == 1

    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    # The link is accounts' to purge (on its own retention); here it only loses its incident.
    assert ResyncLink.objects.get(pk=link.pk).incident_id is None


def test_it_deletes_in_bounded_batches(db) -> None:
    tenant = make_tenant()
    for _ in range(5):
        closed_incident(tenant, 365, affected=3)

    with CaptureQueriesContext(connection) as queries:
        counts = retention.purge(batch=2)

    assert counts["notifications.Incident"] == 5
    assert counts["notifications.AffectedAccount"] == 15
    assert counts["notifications.OutboxMessage"] == 10
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    incident_deletes = [sql for sql in deletes if 'FROM "notifications_incident"' in sql]
    assert len(incident_deletes) == 3  # 2 + 2 + 1
    for sql in deletes:
        for ids in re.findall(r"IN \(([^()]*)\)", sql):
            assert len(ids.split(",")) <= 2, sql


def test_a_dry_run_counts_and_deletes_nothing(db) -> None:
    tenant = make_tenant()
    closed_incident(tenant, 365, affected=2)
    before = (Incident.objects.count(), OutboxMessage.objects.count())

    counts = retention.purge(dry_run=True)

    assert counts == {
        "notifications.Incident": 1,
        "notifications.OutboxMessage": 2,
        "notifications.AffectedAccount": 2,
    }
    assert (Incident.objects.count(), OutboxMessage.objects.count()) == before
    assert AffectedAccount.objects.count() == 2
    assert retention.purge() == counts


def test_the_retention_schedule_is_installed_once_daily(db) -> None:
    (row,) = Schedule.objects.filter(name="mio-notify-retention")  # by migrate
    assert (row.func, row.schedule_type) == ("notifications.tasks.purge_old", "D")
    Schedule.objects.filter(pk=row.pk).update(func="notifications.tasks.renamed_since")

    tasks.install_schedules()

    (row,) = Schedule.objects.filter(name="mio-notify-retention")  # corrected, not doubled
    assert row.func == "notifications.tasks.purge_old"
    assert tasks.purge_old()["notifications.Incident"] == 0
