"""No incident sits silently: an unconfirmed first prompt gets reminders, a failed one goes up.

On a controlled clock (time-machine); the chats are the sandbox's, email a real SMTP
conversation (a server that hangs up after the message, or a port that refuses).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from notifications import tasks
from notifications.models import Incident, OutboxMessage
from notifications.tests.smtp import HangUpSMTP, closed_port
from notifications.tests.world import build, payload_text

Row = OutboxMessage
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
NOT_FOUND = json.dumps({"ok": False, "error": "channel_not_found"})


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=True) as traveller:
        yield traveller


def at(clock, hours: float) -> dict:
    clock.move_to(T0 + timedelta(hours=hours))
    return tasks.tick()


def refuse_chat_once(sandbox, person) -> None:
    """The person's chat refuses the first message for good (the next one goes through)."""
    sandbox.script("slack", "send", user=person.email, status=200, body=NOT_FOUND, times=1)


def texts(world, person) -> list[str]:
    return [payload_text(m) for m in world.inbox(person)]


def test_it_reminds_a_person_whose_first_prompt_is_unconfirmed(sandbox, settings, clock) -> None:
    smtp = HangUpSMTP()  # email takes the prompt, then hangs up before saying so
    try:
        for name, value in smtp.settings().items():
            setattr(settings, name, value)
        world = build(sandbox, "slack", users=1, admins=1)
        user = world.users[0]
        refuse_chat_once(sandbox, user.person)
        world.break_(user, "grant_revoked")
        world.check(user)
        prompt = Row.objects.get(kind="prompt", recipient=user.person)
        assert (prompt.status, prompt.channel, smtp.messages) == ("unconfirmed", "email", 1)
        incident = Incident.objects.get(pk=prompt.incident_id)
        assert incident.prompted_at is not None
        assert incident.escalated_at is None  # it may well have arrived: no alarm yet

        at(clock, 23.9)
        assert texts(world, user.person) == []
        at(clock, 24.1)
        inbox = texts(world, user.person)
        assert len(inbox) == 1
        assert "Reminder: your Slack chats are paused" in inbox[0]
        assert smtp.messages == 1  # the unconfirmed prompt itself was never resent
        at(clock, 7 * 24 + 0.1)
        assert len(texts(world, world.admins[0])) == 1  # the usual escalation, on schedule
    finally:
        smtp.close()


def test_it_tells_the_admins_at_once_when_no_channel_reaches_the_person(
    sandbox, settings, clock
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    world = build(sandbox, "slack", users=1, admins=2)
    user = world.users[0]
    refuse_chat_once(sandbox, user.person)
    world.break_(user, "grant_revoked")
    world.check(user)

    prompt = Row.objects.get(kind="prompt", recipient=user.person)
    assert prompt.status == "failed"
    assert "slack:" in prompt.last_error
    assert "email" in prompt.last_error
    incident = Incident.objects.get(pk=prompt.incident_id)
    assert incident.escalated_at is not None
    assert incident.prompted_at is not None
    for admin in world.admins:
        inbox = texts(world, admin)
        assert len(inbox) == 1
        assert f"Mio could not reach {user.person.name} <{user.person.email}>" in inbox[0]
        assert "about their Slack account" in inbox[0]

    at(clock, 24.1)  # the reminder schedule tries the person again: their chat works now
    inbox = texts(world, user.person)
    assert len(inbox) == 1
    assert "Reminder" in inbox[0]
    at(clock, 7 * 24 + 0.1)
    assert all(len(texts(world, admin)) == 1 for admin in world.admins)  # told once


def test_it_tells_the_operator_when_an_admin_cannot_be_reached(
    sandbox, settings, clock, caplog
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 1
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0
    settings.ADMINS = []  # the operator's channel is the error log
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    world = build(sandbox, "slack", users=1, admins=1)
    admin = world.admins[0]
    refuse_chat_once(sandbox, admin)
    user = world.users[0]
    with caplog.at_level(logging.ERROR, logger="notifications.channels"):
        world.break_(user, "app_disabled")
        world.check(user)
    prompt = Row.objects.get(kind="prompt", recipient=admin)
    assert prompt.status == "failed"
    alert = Row.objects.get(template=Row.Template.UNREACHED)
    assert (alert.status, alert.recipient_id, alert.audience) == ("sent", None, "operator")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"Mio could not deliver a message to {admin.name} <{admin.email}>" in logged
    assert world.tenant.name in logged
