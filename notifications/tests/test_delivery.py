"""Delivery: retries with backoff, fallback to other platforms and email, claims, recovery.

Sends that fail after the request left (timeouts, 5xx), leases and time budgets are in
test_ambiguous.py.
"""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from django.utils import timezone

from notifications import delivery, recovery, tasks
from notifications.models import OutboxMessage
from notifications.tests.world import build, payload_text
from platforms.tests import corpus
from tokens.models import Credential, CredentialState, Installation

Row = OutboxMessage


def prompt_row(world) -> OutboxMessage:
    return OutboxMessage.objects.get(tenant=world.tenant, template=Row.Template.USER_PROMPT)


def test_it_backs_off_exponentially_with_a_cap(settings) -> None:
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    settings.NOTIFY_RETRY_MAX_SECONDS = 600
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (5, 480), (9, 600)]:
        waits = [delivery.backoff(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits), (attempts, min(waits))
        assert len(set(waits)) > 1  # jittered


def test_it_falls_back_to_another_platform_when_the_bot_is_broken(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=0)
    user = world.users[0]
    world.add_account(user.person, "webex")
    bot = Installation.objects.get(tenant=world.tenant, platform="slack")
    Credential.objects.filter(pk=bot.credential_id).update(state=CredentialState.WAITING_ADMIN)
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    assert (row.status, row.channel, row.tried_channels) == ("sent", "webex", ["slack"])
    assert world.inbox(user.person, "slack") == []
    delivered = world.inbox(user.person, "webex")
    assert len(delivered) == 1
    assert "Re-sync your Slack account" in payload_text(delivered[0])


def test_it_prefers_the_persons_preferred_platform_after_the_broken_one(sandbox) -> None:
    world = build(sandbox, "zoom", users=1, admins=0)
    user = world.users[0]
    for platform in ("slack", "teams"):
        world.add_account(user.person, platform)
    user.person.preferred_platform = "teams"
    user.person.save()
    Installation.objects.filter(tenant=world.tenant, platform="zoom").update(is_active=False)
    world.break_(user, "grant_revoked")
    world.check(user)
    assert prompt_row(world).channel == "teams"
    assert len(world.inbox(user.person, "teams")) == 1
    assert world.inbox(user.person, "slack") == []


def test_it_falls_back_to_email_when_no_chat_can_reach_the_person(sandbox, mail_outbox) -> None:
    world = build(sandbox, "webex", users=1, admins=0)
    user = world.users[0]
    sandbox.script(
        "webex",
        "send",
        user=user.person.email,
        status=404,
        body=json.dumps({"message": "Person not found.", "trackingId": "T1"}),
    )
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    assert (row.status, row.channel, row.tried_channels) == ("sent", "email", ["webex"])
    assert [m.to for m in mail_outbox] == [[user.person.email]]
    body = mail_outbox[0].body
    assert "Re-sync your Webex account" in body
    assert "/resync/" in body
    assert mail_outbox[0].extra_headers["X-Mio-Idempotency-Key"] == row.idempotency_key


def test_it_moves_on_after_the_last_transient_attempt(sandbox, settings, mail_outbox) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 2
    world = build(sandbox, "zoom", users=1, admins=0)
    user = world.users[0]
    # 429: a clear "not now" (a 5xx from the send may have delivered it: test_ambiguous.py).
    sandbox.script("zoom", "send", user=user.person.email, status=429, body="{}", times=5)
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=True):
        tasks.dispatch_due()
    row.refresh_from_db()
    assert (row.status, row.channel) == ("sent", "email")
    assert "zoom:" in row.last_error
    assert "gave up after 2 attempts" in row.last_error
    assert len(mail_outbox) == 1
    assert world.inbox(user.person, "zoom") == []


def test_it_delivers_a_row_once_whoever_asks(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    assert row.status == "sent"
    assert delivery.deliver(row.pk) == "skipped"
    assert tasks.dispatch_due() == {}
    assert len(world.inbox(user.person)) == 1


def stuck(row: OutboxMessage) -> None:
    """As a worker killed mid-send leaves it: sending, with a lease that has run out."""
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=Row.Status.SENDING,
        claim_token="dead-worker",
        claimed_until=timezone.now() - timedelta(seconds=1),
        sent_at=None,
    )


def test_it_records_a_message_that_arrived_before_the_worker_died(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    stuck(row)
    assert recovery.recover_stuck() == {"sent": 1, "resent": 0, "unconfirmed": 0, "later": 0}
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("sent", "recovered")
    assert len(world.inbox(user.person)) == 1


def test_it_resends_a_message_that_never_left(sandbox) -> None:
    world = build(sandbox, "teams", users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    sandbox.reset()  # the platform forgets it: as if the send had never happened
    stuck(row)
    assert recovery.recover_stuck()["resent"] == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(world.inbox(user.person)) == 1


def test_it_does_not_resend_what_email_cannot_confirm(sandbox, mail_outbox) -> None:
    world = build(sandbox, "slack", users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    OutboxMessage.objects.filter(pk=row.pk).update(channel=Row.EMAIL)
    stuck(row)
    assert recovery.recover_stuck()["unconfirmed"] == 1
    row.refresh_from_db()
    assert row.status == "unconfirmed"
    assert "cannot say" in row.last_error
    assert mail_outbox == []
    assert len(world.inbox(user.person)) == 1


def test_it_leaves_a_live_workers_row_alone(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=Row.Status.SENDING, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert recovery.recover_stuck() == {"sent": 0, "resent": 0, "unconfirmed": 0, "later": 0}


def test_it_uses_another_channel_when_the_person_blocked_the_teams_bot(
    sandbox, mail_outbox
) -> None:
    world = build(sandbox, "teams", users=1, admins=0)
    user = world.users[0]
    # Teams' own error shape for a blocked or uninstalled bot (a cited corpus fixture).
    blocked = next(w for w in corpus.load("teams") if w.id == "send/message_writes_blocked_403")
    sandbox.script(
        "teams",
        "send",
        user=user.person.email,
        status=blocked.status,
        headers=blocked.headers,
        body=blocked.body_text,
    )
    world.break_(user, "grant_revoked")
    world.check(user)
    row = prompt_row(world)
    assert (row.status, row.channel, row.tried_channels) == ("sent", "email", ["teams"])
    assert "app_uninstalled (MessageWritesBlocked)" in row.last_error
    assert world.inbox(user.person, "teams") == []
    assert [m.to for m in mail_outbox] == [[user.person.email]]


def test_it_stores_the_teams_user_id_learnt_while_sending(sandbox) -> None:
    world = build(sandbox, "teams", users=1, admins=0)
    user = world.users[0]
    assert user.chat_address == ""
    world.break_(user, "grant_revoked")
    world.check(user)
    assert prompt_row(world).status == "sent"
    account = world.account(user.person)
    assert account.chat_address.startswith("29:")
    assert account.conversation_id.startswith("a:1")
