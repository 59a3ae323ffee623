"""A failure on one row inside a sweep or a delivery run is retried, and loses nothing else.

The failure is real: the database refuses the write of one row (``poison.poisoned``).
"""

from __future__ import annotations

import time
from datetime import time as clock_time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.tasks import tick
from notifications.tests.world import build
from reliability import figures, world
from reliability.soak import mark_all_due
from tests.reliability.poison import poisoned
from tokens.models import Credential
from tokens.sweep import sweep

# The write that records a check and gives its claim back.
RELEASE = "NEW.claimed_by = '' AND OLD.claimed_by <> ''"


@pytest.fixture
def webex_accounts(sandbox, settings) -> list[int]:
    settings.HEALTH_CLAIM_TTL = timedelta(seconds=1)
    population = world.seed(12, platforms=("webex",), people_per_tenant=20, broken_fraction=0)
    mark_all_due(population.credentials)
    return population.credentials


def test_it_retries_a_credential_whose_record_failed_once_the_claim_lapses(
    webex_accounts, settings
) -> None:
    bad = webex_accounts[5]
    # Not a routine result (recorded on its own): an account that was retrying a fault.
    Credential.objects.filter(pk=bad).update(state="healing", situation="transient")
    since = timezone.now()
    with poisoned("tokens_credential", bad, RELEASE):
        stats = sweep(platforms=["webex"])
    assert stats.failed == 1
    others = [pk for pk in webex_accounts if pk != bad]
    assert figures.checks_per_credential(others, since) == {1: len(others)}
    # Not dropped: still due, held only by the claim the failed worker took.
    failed = Credential.objects.get(pk=bad)
    assert failed.next_check_at <= timezone.now()
    assert failed.claimed_by
    time.sleep(1.2)  # the claim lapses
    sweep(platforms=["webex"])
    assert figures.checks_per_credential([bad], since) == {1: 1}
    assert Credential.objects.get(pk=bad).state == "healthy"
    assert figures.still_claimed(webex_accounts) == 0


def test_a_database_error_on_one_healthy_credential_loses_none_of_the_others(
    webex_accounts, settings
) -> None:
    # One checking thread: its routine (healthy, still healthy) results share one batch.
    settings.HEALTH_CONCURRENCY = {"webex": 1}
    bad = webex_accounts[5]
    others = [pk for pk in webex_accounts if pk != bad]
    since = timezone.now()
    with poisoned("tokens_credential", bad, RELEASE):
        stats = sweep(platforms=["webex"])
    # The batch the bad row was in is recorded one by one: the others in this very sweep.
    assert figures.checks_per_credential(others, since) == {1: len(others)}
    assert stats.failed == 1
    time.sleep(1.2)  # the bad one's claim lapses; the error is gone
    sweep(platforms=["webex"])
    assert figures.checks_per_credential(webex_accounts, since) == {1: len(webex_accounts)}


def test_a_database_error_on_one_outbox_row_stops_no_other_delivery(sandbox, settings) -> None:
    settings.NOTIFY_SEND_LEASE_SECONDS = 1
    # Quiet hours all day: the prompts wait in the outbox for the tick, not sent inline.
    w = build(
        sandbox,
        "slack",
        users=3,
        admins=0,
        quiet_hours_start=clock_time(0, 0),
        quiet_hours_end=clock_time(23, 59, 59),
    )
    for user in w.users:
        w.break_(user, "grant_revoked")
    w.check(*w.users)
    first, *rest = w.rows(kind="prompt")
    assert len(rest) == 2
    later = timezone.now() + timedelta(hours=1)
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    OutboxMessage.objects.filter(pk__in=[r.pk for r in rest]).update(next_attempt_at=later)

    with poisoned("notifications_outboxmessage", first.pk, "NEW.status = 'sent'"):
        tick()  # sent, but its outcome cannot be recorded: the tick goes on
        first.refresh_from_db()
        assert first.status == "sending"
        # The other prompts fall due while the bad row is stuck and recovery keeps failing.
        OutboxMessage.objects.filter(pk__in=[r.pk for r in rest]).update(
            next_attempt_at=timezone.now()
        )
        time.sleep(1.2)  # the bad row's lease lapses: recovery takes it (and fails)
        tick()
        for row in rest:
            row.refresh_from_db()
            assert row.status == "sent", row.last_error
    time.sleep(1.2)
    tick()  # the error is gone: recovery finds the message on the platform, records it
    first.refresh_from_db()
    assert (first.status, first.provider_message_id) == ("sent", "recovered")
    delivered = figures.delivered_prompts()
    assert {r.idempotency_key: delivered[r.idempotency_key] for r in [first, *rest]} == {
        r.idempotency_key: 1 for r in [first, *rest]
    }
