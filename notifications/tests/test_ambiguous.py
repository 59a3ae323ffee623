"""Sends that fail after the request left: asked about, never blindly resent; leases; budgets.

The sandbox's injected latency makes a real "accepted, but the answer came too late" send: the
platform sleeps, our client times out, and then the platform stores the message anyway.
"""

from __future__ import annotations

import threading
import time
from datetime import time as clock_time
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from notifications import delivery, recovery, tasks
from notifications.models import Incident, OutboxMessage
from notifications.tests.smtp import HangUpSMTP, closed_port
from notifications.tests.world import build

Row = OutboxMessage
ALL_DAY = {"quiet_hours_start": clock_time(0, 0), "quiet_hours_end": clock_time(23, 59, 59)}


def held_prompts(sandbox, platform: str = "slack", users: int = 1):
    """Users with a broken token whose prompts are written but held (quiet hours all day), then
    made due: the test, not the check, decides when they are delivered."""
    world = build(sandbox, platform, users=users, admins=0, **ALL_DAY)
    for user in world.users:
        world.break_(user, "grant_revoked")
    world.check()
    rows = world.rows(template=Row.Template.USER_PROMPT)
    assert [r.status for r in rows] == ["pending"] * users
    Row.objects.filter(pk__in=[r.pk for r in rows]).update(next_attempt_at=timezone.now())
    return world, rows


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("platform", ["slack", "webex"])
def test_it_does_not_resend_what_the_platform_took_before_the_answer_timed_out(
    sandbox, settings, platform
) -> None:
    world, [row] = held_prompts(sandbox, platform)
    person = world.users[0].person
    settings.PLATFORM_HTTP_TIMEOUT = 0.5
    sandbox.faults(platform, latency_ms=1500)  # the platform answers after our timeout

    assert delivery.deliver(row.pk) == "verifying"
    row.refresh_from_db()
    assert row.status == "sending"  # may have arrived: nothing is sent again for now
    assert "may have arrived" in row.last_error
    wait_for(lambda: len(world.inbox(person)) == 1)  # ...and the platform stored it after all
    sandbox.faults(platform)

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=True):
        result = tasks.tick()
    assert result["recovered"]["sent"] == 1
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("sent", "recovered")
    assert len(world.inbox(person)) == 1
    assert Incident.objects.get(pk=row.incident_id).prompted_at is not None


def test_it_resends_after_a_server_error_once_the_platform_has_had_time_and_lacks_it(
    sandbox,
) -> None:
    world, [row] = held_prompts(sandbox)
    person = world.users[0].person
    sandbox.script("slack", "send", user=person.email, status=503, body="{}", times=1)
    assert delivery.deliver(row.pk) == "verifying"
    assert tasks.dispatch_due() == {}
    assert recovery.recover_stuck()["resent"] == 0  # not before the platform has settled
    assert world.inbox(person) == []

    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        assert recovery.recover_stuck()["resent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.channel) == ("sent", 2, "slack")
    assert len(world.inbox(person)) == 1


def test_it_retries_a_rate_limited_send_with_backoff_then_sends_once(sandbox) -> None:
    world, [row] = held_prompts(sandbox)
    person = world.users[0].person
    sandbox.script(
        "slack",
        "send",
        user=person.email,
        status=429,
        body='{"ok": false, "error": "ratelimited"}',
        times=1,
    )
    assert delivery.deliver(row.pk) == "pending"  # a clear "not now": nothing arrived
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 5 < wait <= 30  # the first backoff step, with jitter
    assert tasks.dispatch_due() == {}  # not due yet
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=True):
        assert tasks.dispatch_due() == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(world.inbox(person)) == 1


def test_it_retries_when_the_connection_is_refused_before_anything_was_sent(
    sandbox, settings
) -> None:
    world, [row] = held_prompts(sandbox)
    live = settings.SANDBOX_URL
    settings.SANDBOX_URL = f"http://127.0.0.1:{closed_port()}/sandbox"
    assert delivery.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert (row.status, row.channel) == ("pending", "slack")
    assert "network error" in row.last_error
    settings.SANDBOX_URL = live
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=True):
        assert tasks.dispatch_due() == {"sent": 1}
    assert len(world.inbox(world.users[0].person)) == 1


def test_it_marks_an_email_cut_off_after_the_data_unconfirmed_and_sends_it_once(
    sandbox, settings
) -> None:
    smtp = HangUpSMTP()
    try:
        for name, value in smtp.settings().items():
            setattr(settings, name, value)
        _world, [row] = held_prompts(sandbox)
        Row.objects.filter(pk=row.pk).update(channel=Row.EMAIL)
        assert delivery.deliver(row.pk) == "unconfirmed"
        row.refresh_from_db()
        assert row.status == "unconfirmed"
        assert "cannot say whether it arrived" in row.last_error
        assert smtp.messages == 1
        with time_machine.travel(timezone.now() + timedelta(hours=2), tick=True):
            tasks.tick()
        assert smtp.messages == 1  # not sent again
    finally:
        smtp.close()


def test_it_retries_an_email_whose_server_refused_the_connection(sandbox, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    _world, [row] = held_prompts(sandbox)
    Row.objects.filter(pk=row.pk).update(channel=Row.EMAIL)
    assert delivery.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert (row.status, row.channel, row.attempts) == ("pending", "email", 1)


def test_it_keeps_a_slow_send_alive_past_its_lease(sandbox, settings) -> None:
    """A live worker's lease is renewed: recovery does not take its slow send for dead."""
    world, [row] = held_prompts(sandbox)
    person = world.users[0].person
    settings.NOTIFY_SEND_LEASE_SECONDS = 1
    sandbox.faults("slack", latency_ms=2500)
    outcome: list[str] = []

    def worker() -> None:
        try:
            outcome.append(delivery.deliver(row.pk))
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        time.sleep(1.8)  # well past the 1 s lease
        assert recovery.recover_stuck() == {"sent": 0, "resent": 0, "unconfirmed": 0, "later": 0}
    finally:
        thread.join(timeout=30)
    sandbox.faults("slack")
    assert outcome == ["sent"]
    assert len(world.inbox(person)) == 1


def test_it_stops_starting_deliveries_when_the_tick_is_out_of_time(sandbox) -> None:
    world, rows = held_prompts(sandbox, users=3)
    sandbox.faults("slack", latency_ms=300)
    assert tasks.dispatch_due(budget=0.2) == {"sent": 1, "deferred": 2}
    sandbox.faults("slack")
    assert tasks.dispatch_due() == {"sent": 2}
    assert all(len(world.inbox(user.person)) == 1 for user in world.users)
    assert {r.status for r in Row.objects.filter(pk__in=[r.pk for r in rows])} == {"sent"}


def test_it_hands_the_next_channel_to_a_new_delivery_when_out_of_time(sandbox, settings) -> None:
    world, [row] = held_prompts(sandbox)
    person = world.users[0].person
    world.add_account(person, "webex")
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 1}  # one delivery: 0.2 s
    sandbox.faults("slack", latency_ms=300)
    sandbox.script(
        "slack",
        "send",
        user=person.email,
        status=200,
        body='{"ok": false, "error": "channel_not_found"}',
        times=1,
    )
    assert delivery.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert (row.status, row.channel, row.tried_channels) == ("pending", "webex", ["slack"])
    assert world.inbox(person) == []
    sandbox.faults("slack")
    assert tasks.dispatch_due() == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.channel) == ("sent", "webex")
    assert len(world.inbox(person, "webex")) == 1
