"""Reminders, escalation, quiet hours, snooze and mute, on a controlled clock (time-machine).

The scheduled task (``notifications.tasks.tick``) is run at chosen instants; what it sends is
read from the sandbox inbox.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from notifications import services, tasks
from notifications.models import Incident, OutboxMessage
from notifications.quiet import in_quiet_hours, next_allowed
from notifications.tests.world import build, payload_text
from tests.factories import make_tenant

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Berlin


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=True) as traveller:
        yield traveller


def prompted(sandbox, **tenant):
    world = build(sandbox, "slack", users=1, admins=2, **tenant)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    incident = Incident.objects.get(tenant=world.tenant)
    assert incident.prompted_at is not None
    return world, user, incident


def texts(world, person) -> list[str]:
    return [payload_text(m) for m in world.inbox(person)]


def at(clock, hours: float) -> dict:
    clock.move_to(T0 + timedelta(hours=hours))
    return tasks.tick()


def test_it_reminds_after_24_and_72_hours_then_escalates_after_7_days(sandbox, clock) -> None:
    world, user, incident = prompted(sandbox)
    at(clock, 23.9)
    assert len(texts(world, user.person)) == 1
    at(clock, 24.1)
    at(clock, 24.2)  # a second pass sends nothing more
    inbox = texts(world, user.person)
    assert len(inbox) == 2
    assert "Reminder: your Slack chats are paused" in inbox[1]
    assert "We first asked on 2026-12-01 10:00 UTC" in inbox[1]
    at(clock, 71)
    assert len(texts(world, user.person)) == 2
    at(clock, 72.5)
    assert len(texts(world, user.person)) == 3
    for admin in world.admins:
        assert texts(world, admin) == []
    at(clock, 7 * 24 - 1)
    assert all(texts(world, admin) == [] for admin in world.admins)
    at(clock, 7 * 24 + 0.1)
    at(clock, 8 * 24)
    for admin in world.admins:
        inbox = texts(world, admin)
        assert len(inbox) == 1
        assert f"{user.person.name} <{user.person.email}> has not re-synced" in inbox[0]
        assert "reminded them 2 times" in inbox[0]
    assert len(texts(world, user.person)) == 3  # the policy had two reminders, not more
    incident.refresh_from_db()
    assert (incident.reminders_sent, incident.escalated_at is not None) == (2, True)


def test_it_follows_the_tenants_own_policy(sandbox, clock) -> None:
    world, user, _incident = prompted(sandbox, reminder_hours=[2], escalate_after_hours=5)
    at(clock, 2.1)
    assert len(texts(world, user.person)) == 2
    at(clock, 5.1)
    assert all(len(texts(world, admin)) == 1 for admin in world.admins)


def test_it_holds_a_first_prompt_in_quiet_hours(sandbox, clock) -> None:
    world = build(
        sandbox, "slack", users=1, admins=0, quiet_hours_start=time(9), quiet_hours_end=time(12)
    )
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)  # 10:00 UTC, tenant in UTC: quiet until 12:00
    assert world.inbox(user.person) == []
    at(clock, 2.01)
    assert len(world.inbox(user.person)) == 1


def test_it_holds_reminders_until_the_quiet_hours_end(sandbox, clock) -> None:
    # Berlin is UTC+1 in December: quiet from 22:00 to 07:00 local = 21:00 to 06:00 UTC.
    world, user, _incident = prompted(
        sandbox,
        timezone="Europe/Berlin",
        quiet_hours_start=time(22, 0),
        quiet_hours_end=time(7, 0),
        reminder_hours=[12],
    )
    at(clock, 12.5)  # 22:30 UTC = 23:30 Berlin: quiet
    row = OutboxMessage.objects.get(kind="reminder")
    assert row.status == "pending"
    assert row.next_attempt_at == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    at(clock, 19.9)  # 05:54 UTC = 06:54 Berlin: still quiet
    assert len(texts(world, user.person)) == 1
    at(clock, 20.05)  # 06:03 UTC = 07:03 Berlin
    assert len(texts(world, user.person)) == 2


def test_it_waits_out_a_snooze_then_sends_only_the_latest_reminder(sandbox, clock) -> None:
    world, user, incident = prompted(sandbox)
    services.snooze(incident, T0 + timedelta(hours=100))
    at(clock, 25)
    at(clock, 73)
    assert len(texts(world, user.person)) == 1
    at(clock, 100.5)
    at(clock, 101)
    inbox = texts(world, user.person)
    assert len(inbox) == 2  # not a burst of both missed reminders
    assert "Reminder" in inbox[1]


def test_it_sends_nothing_more_for_a_muted_incident(sandbox, clock) -> None:
    world, user, incident = prompted(sandbox)
    services.mute(incident)
    for hours in (25, 73, 24 * 8):
        at(clock, hours)
    assert len(texts(world, user.person)) == 1
    assert all(texts(world, admin) == [] for admin in world.admins)


def test_it_cancels_a_held_reminder_when_the_account_recovers(sandbox, clock) -> None:
    world, user, _incident = prompted(sandbox, reminder_hours=[1])
    world.tenant.quiet_hours_start, world.tenant.quiet_hours_end = time(0, 0), time(23, 59)
    world.tenant.save()
    at(clock, 1.5)
    assert OutboxMessage.objects.get(kind="reminder").status == "pending"
    world.break_(user, None)
    world.check(user)
    assert OutboxMessage.objects.get(kind="reminder").status == "cancelled"


def test_it_reminds_the_admins_of_their_own_incidents(sandbox, clock, settings) -> None:
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0
    world = build(sandbox, "zoom", users=2, admins=1, reminder_hours=[24])
    for account in world.users:
        world.break_(account, "app_disabled")
    world.check()
    at(clock, 24.5)
    inbox = texts(world, world.admins[0])
    assert len(inbox) == 2
    assert "Reminder: The Mio app is disabled in Zoom Team Chat" in inbox[1]


@pytest.mark.parametrize(
    ("start", "end", "local", "quiet"),
    [
        (time(22), time(7), time(23), True),
        (time(22), time(7), time(6, 59), True),
        (time(22), time(7), time(7), False),
        (time(12), time(14), time(13), True),
        (time(12), time(14), time(14, 1), False),
        (None, time(7), time(3), False),
    ],
)
def test_it_knows_when_quiet_hours_apply(start, end, local, quiet) -> None:
    assert in_quiet_hours(start, end, local) is quiet


@pytest.mark.django_db
def test_it_wakes_up_at_the_local_end_of_quiet_hours_across_a_dst_change() -> None:
    tenant = make_tenant(
        timezone="Europe/Berlin", quiet_hours_start=time(22), quiet_hours_end=time(7)
    )
    # The night clocks go back (26 Oct 2025): 23:30 CEST -> wake at 07:00 CET = 06:00 UTC.
    moment = datetime(2025, 10, 25, 21, 30, tzinfo=UTC)
    assert next_allowed(tenant, moment) == datetime(2025, 10, 26, 6, 0, tzinfo=UTC)
    noon = datetime(2025, 10, 25, 10, 0, tzinfo=UTC)
    assert next_allowed(tenant, noon) == noon
