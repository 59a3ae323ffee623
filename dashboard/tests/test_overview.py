"""Daily snapshots (the task and its schedule) and the overview drawn from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django_q.models import Schedule

from dashboard.models import AuditEntry, DailySnapshot
from dashboard.snapshots import take_snapshots
from dashboard.stats import weighted_median
from dashboard.tasks import SCHEDULE_NAME, install_schedule
from dashboard.tests.factories import make_incident, make_prompt

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_it_counts_accounts_per_state_for_each_tenant_and_platform(world):
    take_snapshots()
    snap = DailySnapshot.objects.get(tenant=world["a"], platform="teams")
    assert (snap.total, snap.healthy, snap.waiting_user) == (4, 3, 1)
    assert snap.prompts_sent == 2  # the user prompt and the CA prompt, both sent today
    assert snap.incidents_opened == 2


def test_it_records_the_median_time_to_heal_of_the_day(world):
    account = world["data_a"]["accounts"][0]
    with time_machine.travel(NOON, tick=False):
        for minutes in (10, 30, 50):
            make_incident(
                account,
                situation="grant_revoked",
                opened_at=NOON - timedelta(minutes=minutes),
                resolved_at=NOON - timedelta(minutes=1),
                resolution="user_resync",
            )
        # Closed by hand is not a heal, and must not count.
        make_incident(
            account,
            situation="password_expired",
            opened_at=NOON - timedelta(days=3),
            resolved_at=NOON - timedelta(minutes=1),
            resolution="closed",
        )
        take_snapshots()
    snap = DailySnapshot.objects.get(tenant=world["a"], platform="teams", day=NOON.date())
    assert snap.incidents_resolved == 3
    assert snap.median_heal_seconds == 29 * 60


def test_it_rewrites_today_and_closes_yesterday_after_midnight(world):
    with time_machine.travel(NOON, tick=False):
        take_snapshots()
        take_snapshots()
    assert DailySnapshot.objects.filter(day=NOON.date()).count() == 2  # two tenants, one row each
    account = world["data_a"]["accounts"][0]
    account.credential.state = "waiting_admin"
    account.credential.save()
    with time_machine.travel(NOON + timedelta(hours=12, minutes=5), tick=False):
        take_snapshots()
    closed = DailySnapshot.objects.get(tenant=world["a"], day=NOON.date())
    today = DailySnapshot.objects.get(tenant=world["a"], day=NOON.date() + timedelta(days=1))
    assert closed.waiting_admin == 1  # the state at the close of the day
    assert today.waiting_admin == 1


def test_it_installs_its_schedule_once(db):
    install_schedule()
    install_schedule()
    (schedule,) = Schedule.objects.filter(name=SCHEDULE_NAME)
    assert schedule.func == "dashboard.tasks.take_snapshots"
    assert schedule.schedule_type == Schedule.MINUTES


def test_it_runs_the_scheduled_task_through_django_q(world):
    from django_q.tasks import async_task

    async_task("dashboard.tasks.take_snapshots", sync=True)
    assert DailySnapshot.objects.filter(tenant=world["a"]).exists()


def test_it_weights_daily_medians_by_their_resolutions():
    assert weighted_median([]) is None
    assert weighted_median([(100, 1)]) == 100
    assert weighted_median([(100, 1), (10, 5)]) == 10
    assert weighted_median([(10, 1), (20, 1), (30, 1)]) == 20
    assert weighted_median([(10, 0), (20, 2)]) == 20


def test_it_draws_the_overview_from_the_snapshots(member_client, world):
    empty = member_client.get(reverse("dashboard:overview")).content.decode()
    assert "Nothing to show yet" in empty

    today = datetime.now(UTC).date()
    for days_ago in range(1, 30):
        DailySnapshot.objects.create(
            tenant=world["a"],
            platform="teams",
            day=today - timedelta(days=days_ago),
            total=4,
            healthy=2,
            waiting_admin=2,
            prompts_sent=1,
            incidents_resolved=1,
            median_heal_seconds=3600,
        )
    take_snapshots()
    response = member_client.get(reverse("dashboard:overview"))
    (card,) = response.context["cards"]
    assert card["platform"] == "teams"
    assert card["total"] == 4
    assert {c["state"]: c["value"] for c in card["counts"]} == {
        "healthy": 3,
        "healing": 0,
        "waiting_user": 1,
        "waiting_admin": 0,
    }
    assert card["prompts_sent"] == 29 + 2
    assert card["median_heal"] == 3600
    html = response.content.decode()
    assert "<svg" in html
    assert "polygon" in html
    assert "1 h 0 min" in html
    # The CA incident is flagged for the admin on the overview too.
    assert reverse("dashboard:incident", args=[world["data_a"]["ca"].pk]) in html


def test_it_refreshes_a_tenant_snapshot_on_request_and_audits_it(member_client, world):
    response = member_client.post(reverse("dashboard:take-snapshot"), {"tenant": "acme"})
    assert response["Location"] == reverse("dashboard:tenant", args=["acme"])
    assert DailySnapshot.objects.filter(tenant=world["a"]).count() == 1
    assert not DailySnapshot.objects.filter(tenant=world["b"]).exists()
    assert AuditEntry.objects.get(action="snapshot.take").tenant == world["a"]
    # Every tenant at once is for superusers only.
    assert member_client.post(reverse("dashboard:take-snapshot")).status_code == 403


def test_it_counts_prompts_of_the_day_only(world):
    ca = world["data_a"]["ca"]
    make_prompt(ca, world["data_a"]["people"][0], sent_at=datetime.now(UTC) - timedelta(days=2))
    take_snapshots()
    assert DailySnapshot.objects.get(tenant=world["a"]).prompts_sent == 2
