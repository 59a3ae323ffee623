"""The worker heartbeat: stamped by real queue tasks, late jobs alerted once, shown to operators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from dashboard.tests.factories import make_tenant, make_user
from operations.heartbeat import scheduler_late, statuses
from operations.models import Heartbeat
from operations.tasks import watch

pytestmark = pytest.mark.django_db


def _status(key: str):
    return next(s for s in statuses() if s.job.key == key)


def test_it_stamps_the_heartbeat_of_a_job_the_queue_ran():
    assert _status("snapshots").last_ok_at is None
    async_task("dashboard.tasks.take_snapshots")  # inline in tests, through django-q2's worker
    assert _status("snapshots").last_ok_at is not None
    assert _status("sweep").last_ok_at is None  # only the job that ran


def test_it_counts_a_job_that_never_ran_as_late_only_after_its_allowance():
    assert not _status("sweep").late
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert _status("sweep").late
        assert not _status("snapshots").late  # allowed 20 minutes


def test_it_emails_the_operators_once_per_episode_of_lateness(settings):
    settings.ADMINS = [("ops", "ops@example.com")]
    later = timezone.now() + timedelta(minutes=30)
    with time_machine.travel(later):
        assert set(watch()["alerted"]) == {"sweep", "outbox", "snapshots"}
        assert len(mail.outbox) == 1
        assert "Health sweep" in mail.outbox[0].body
        assert mail.outbox[0].to == ["ops@example.com"]
        assert mail.outbox[0].subject == "Mio Auto Heal: background work is late"
        assert watch()["alerted"] == []  # still late: no second email
        assert len(mail.outbox) == 1
        async_task("tokens.tasks.sweep_due")  # the sweep runs again: its episode ends
        assert not _status("sweep").late
        assert Heartbeat.objects.get(job="sweep").alerted_at is None
    with time_machine.travel(later + timedelta(minutes=15)):
        assert watch()["alerted"] == ["sweep"]  # late again: a new episode, a new email
    assert len(mail.outbox) == 2


def test_it_says_the_scheduler_is_late_when_the_sweep_was_not_queued_for_long():
    from django_q.models import Schedule

    assert not scheduler_late()
    Schedule.objects.filter(name="mio-health-sweep").update(
        next_run=timezone.now() - timedelta(minutes=10)
    )
    assert scheduler_late()


def test_it_shows_operators_when_work_last_ran_and_a_banner_when_late(client):
    operator = make_user(superuser=True)
    client.force_login(operator)
    async_task("notifications.tasks.tick")
    page = client.get(reverse("dashboard:overview")).content.decode()
    assert "Background work" in page
    assert "Outbox delivery" in page
    assert "Background work is late" not in page
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        page = client.get(reverse("dashboard:overview")).content.decode()
    assert "Background work is late" in page
    assert "Health sweep (has not run yet)" in page


def test_it_shows_no_worker_status_to_a_tenant_admin(client):
    tenant = make_tenant("acme")
    client.force_login(make_user(tenant))
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        page = client.get(reverse("dashboard:overview")).content.decode()
    assert "Background work" not in page


def test_it_does_not_count_a_failed_run_as_a_heartbeat():
    from operations.heartbeat import record_finished

    record_finished(func="tokens.tasks.sweep_due", task={"success": False})
    beat = Heartbeat.objects.get(job="sweep")
    assert beat.last_failed_at is not None
    assert beat.last_ok_at is None
