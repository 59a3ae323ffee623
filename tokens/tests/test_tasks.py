"""Schedules installed once, and retention of the check history and event ids."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from tests.factories import make_account, make_person, make_tenant
from tokens import tasks
from tokens.events import purge_events
from tokens.models import CheckRecord, ProcessedEvent
from tokens.recording import purge_history
from tokens.tests.conftest import PLATFORMS


def test_migrate_installs_the_schedules_once(db) -> None:
    names = set(tasks.SCHEDULES)
    assert set(Schedule.objects.filter(name__in=names).values_list("name", flat=True)) == names
    sweep = Schedule.objects.get(name="mio-health-sweep")
    assert (sweep.func, sweep.schedule_type, sweep.minutes) == ("tokens.tasks.sweep_due", "I", 1)
    # An operator slows it down; migrating again neither duplicates nor undoes that.
    Schedule.objects.filter(pk=sweep.pk).update(minutes=5)
    call_command("migrate", verbosity=0)
    tasks.install_schedules()
    assert Schedule.objects.filter(name__in=names).count() == len(names)
    assert Schedule.objects.get(name="mio-health-sweep").minutes == 5


def test_it_deletes_check_history_past_the_retention_in_batches(db, settings) -> None:
    settings.HEALTH_CHECK_RETENTION_DAYS = 30
    credential = make_account(make_person(make_tenant())).credential
    now = timezone.now()
    for age in (40, 35, 31, 29, 1):
        CheckRecord.objects.create(
            credential=credential,
            checked_at=now - timedelta(days=age),
            outcome="ok",
            state_after="healthy",
        )
    assert purge_history(batch=2) == 3
    ages = sorted((now - c.checked_at).days for c in CheckRecord.objects.all())
    assert ages == [1, 29]


def test_it_forgets_event_ids_after_their_retention(db) -> None:
    old = ProcessedEvent.objects.create(platform="slack", event_id="Ev-old", event="x")
    ProcessedEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=8))
    ProcessedEvent.objects.create(platform="slack", event_id="Ev-new", event="x")
    assert purge_events() == 1
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == ["Ev-new"]


def test_the_retention_task_purges_everything_it_owns(db) -> None:
    assert tasks.purge_history() == {"checks": 0, "events": 0, "backoffs": 0}


def test_the_sweep_task_checks_what_is_due(sandbox, enroll) -> None:
    account = enroll(PLATFORMS[0])
    result = tasks.sweep_due()
    assert result["checked"] >= 1
    assert CheckRecord.objects.filter(credential_id=account.credential_id).exists()
    assert tasks.check_credentials([account.credential_id], "manual") == {"checked": 1}
