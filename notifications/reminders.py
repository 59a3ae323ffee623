"""Reminders and escalation of ignored prompts, by each tenant's policy.

Counting starts at the first prompt that went out (``Incident.prompted_at``) — or may have
(``unconfirmed``), or was tried on every channel and failed (which has also gone up at once:
``notifications.unreached``), so no open incident waits without a follow-up. Reminder *n* is
due ``policies.rules.reminder_hours(tenant)[n]`` hours after it; a user prompt still ignored after
``escalate_after_hours`` goes to the tenant's admins. Muted incidents get neither; snoozed ones
wait until the snooze ends (then only the latest due reminder goes out, not a burst). Quiet
hours hold the message until they end (``notifications.quiet``). Each step is taken by a
conditional UPDATE of the incident, so two schedulers running at once send it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications import outbox
from notifications.models import Incident, OutboxMessage
from policies import rules
from tokens.situations import Audience

# Nothing is due earlier than an hour after the first prompt (reminder_hours are whole hours).
EARLIEST = timedelta(hours=1)
# Incidents looked at per run (every minute); the rest wait for the next run.
BATCH_LIMIT = 5000


def due_reminders(hours: list[int] | None, prompted_at: datetime, now: datetime) -> int:
    """How many of the policy's reminders are due by ``now``."""
    return sum(1 for h in (hours or []) if prompted_at + timedelta(hours=int(h)) <= now)


def run(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"reminders": 0, "escalations": 0}
    candidates = (
        Incident.objects.filter(
            status=Incident.Status.OPEN,
            muted=False,
            prompted_at__lte=now - EARLIEST,
            audience__in=[Audience.USER, Audience.ADMIN],
        )
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
        .order_by("pk")
    )
    # Ids first, then small batches: no cursor stays open while messages are queued (queueing
    # may recycle the database connection).
    ids = list(candidates.values_list("pk", flat=True)[:BATCH_LIMIT])
    for start in range(0, len(ids), 200):
        batch = Incident.objects.filter(pk__in=ids[start : start + 200]).select_related(
            "tenant", "account__person__tenant"
        )
        for incident in batch:
            with transaction.atomic():
                counts["reminders"] += _remind(incident, now)
                counts["escalations"] += _escalate(incident, now)
    return counts


def _remind(incident: Incident, now: datetime) -> int:
    assert incident.prompted_at is not None
    due = due_reminders(rules.reminder_hours(incident.tenant), incident.prompted_at, now)
    if due <= incident.reminders_sent:
        return 0
    if not Incident.objects.filter(pk=incident.pk, reminders_sent__lt=due).update(
        reminders_sent=due
    ):
        return 0
    incident.reminders_sent = due
    return outbox.prompts_for(incident, incident.account, kind=OutboxMessage.Kind.REMINDER)


def _escalate(incident: Incident, now: datetime) -> int:
    hours = rules.escalate_after_hours(incident.tenant)
    if incident.audience != Audience.USER or incident.escalated_at is not None or not hours:
        return 0
    assert incident.prompted_at is not None
    if incident.prompted_at + timedelta(hours=hours) > now:
        return 0
    if not Incident.objects.filter(pk=incident.pk, escalated_at__isnull=True).update(
        escalated_at=now
    ):
        return 0
    return outbox.escalation_for(incident)
