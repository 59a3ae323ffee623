"""Writing outbox rows: who gets what, on which channel first, under which idempotency key.

Every function here runs inside the caller's transaction (the one that records the check or
resolves the incident). A row's delivery is queued with ``transaction.on_commit``, so a rolled
back check never sends anything, and a committed row is never lost: the scheduled dispatcher
picks up whatever the queue missed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Person, Tenant
from notifications.models import Incident, OutboxMessage
from notifications.quiet import next_allowed
from policies import rules
from tokens.models import PlatformAccount
from tokens.situations import Audience

log = logging.getLogger(__name__)

Row = OutboxMessage


def admins_of(tenant: Tenant) -> list[Person]:
    """Who receives the admin prompts (the tenant's policy: named people, else every admin)."""
    return rules.admin_recipients(tenant)


def first_channel(person: Person, preferred: str = "") -> str:
    """Where to try first: ``preferred`` (the platform the message is about, for a user), else
    the person's preferred platform, else the tenant's primary, else any platform of theirs."""
    platforms = set(
        PlatformAccount.objects.filter(person=person).values_list("platform", flat=True)
    )
    for choice in (preferred, person.preferred_platform, person.tenant.primary_platform):
        if choice and choice in platforms:
            return choice
    return sorted(platforms)[0] if platforms else Row.EMAIL


def queue(
    *,
    key: str,
    tenant: Tenant,
    template: str,
    kind: str,
    audience: str,
    recipient: Person | None = None,
    incident: Incident | None = None,
    channel: str = "",
    context: dict[str, Any] | None = None,
    resync_link: Any = None,
    quiet: bool = True,
    recipient_email: str = "",
    delay: float = 0,
) -> OutboxMessage | None:
    """Insert the row unless its key exists (then None); deliver it after commit (or when
    ``delay`` seconds and the tenant's quiet hours are over: the scheduled dispatcher)."""
    now = timezone.now()
    when: datetime = now + timedelta(seconds=delay)
    if quiet:
        when = next_allowed(tenant, when)
    row, created = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "tenant": tenant,
            "incident": incident,
            "recipient": recipient,
            "recipient_email": recipient_email,
            "audience": audience,
            "kind": kind,
            "template": template,
            "context": context or {},
            "resync_link": resync_link,
            "channel": channel or (first_channel(recipient) if recipient else Row.EMAIL),
            "next_attempt_at": when,
        },
    )
    if not created:
        return None
    if when <= now:
        schedule_delivery(row.pk)
    return row


def schedule_delivery(row_id: int) -> None:
    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task("notifications.delivery.deliver", row_id, task_name=f"deliver-{row_id}")

    transaction.on_commit(enqueue)


# --- what each event writes ---------------------------------------------------------------------


def prompts_for(
    incident: Incident, account: PlatformAccount | None, *, kind: str = "prompt"
) -> int:
    """The first prompt(s) of a new incident (or a reminder round, with ``kind``)."""
    n = incident.reminders_sent if kind == Row.Kind.REMINDER else 0
    suffix = f":{n}" if kind == Row.Kind.REMINDER else ""
    if incident.audience == Audience.USER and account is not None:
        from accounts.resync.links import link_for

        person = account.person
        link = link_for(person, account, incident)
        written = queue(
            key=f"{kind}:{incident.pk}:{person.pk}{suffix}",
            tenant=incident.tenant,
            template=Row.Template.USER_PROMPT,
            kind=kind,
            audience=Audience.USER,
            recipient=person,
            incident=incident,
            channel=first_channel(person, preferred=incident.platform),
            resync_link=link,
            context={"reminder": n} if n else {},
        )
        return int(written is not None)
    if incident.audience == Audience.OPERATOR:
        written = queue(
            key=f"{kind}:{incident.pk}:operator{suffix}",
            tenant=incident.tenant,
            template=Row.Template.OPERATOR_ALERT,
            kind=kind,
            audience=Audience.OPERATOR,
            incident=incident,
            channel=Row.EMAIL,
            quiet=False,
        )
        return int(written is not None)
    # A policy or a disabled app breaks many accounts within one sweep: the first prompt of a
    # tenant-wide incident waits a short window so it can say how many, not "1 person".
    window = settings.NOTIFY_GROUP_WINDOW_SECONDS if incident.tenant_wide and not n else 0
    return to_admins(
        incident,
        template=Row.Template.ADMIN_PROMPT,
        kind=kind,
        key=f"{kind}:{incident.pk}:{{person}}{suffix}",
        context={"reminder": n} if n else {},
        delay=window,
    )


def escalation_for(incident: Incident) -> int:
    return to_admins(
        incident,
        template=Row.Template.ESCALATION,
        kind=Row.Kind.ESCALATION,
        key=f"escalation:{incident.pk}:{{person}}",
    )


def to_admins(
    incident: Incident,
    *,
    template: str,
    kind: str,
    key: str,
    context: dict[str, Any] | None = None,
    quiet: bool = True,
    recipients: Iterable[Person] | None = None,
    delay: float = 0,
) -> int:
    people = list(recipients) if recipients is not None else admins_of(incident.tenant)
    if not people:
        # Nobody in the tenant is an admin: the operator hears of it rather than nobody.
        log.warning("tenant %s has no admin; %s goes to the operator", incident.tenant_id, key)
        people_or_none: list[Person | None] = [None]
    else:
        people_or_none = list(people)
    written = 0
    for person in people_or_none:
        row = queue(
            key=key.format(person=person.pk if person else "operator"),
            tenant=incident.tenant,
            template=template,
            kind=kind,
            audience=Audience.ADMIN,
            recipient=person,
            incident=incident,
            channel=first_channel(person) if person else Row.EMAIL,
            context=context,
            quiet=quiet,
            delay=delay,
        )
        written += row is not None
    return written


def cancel_pending(incident: Incident) -> int:
    """A resolved incident's unsent prompts, reminders and escalations are no longer true."""
    return OutboxMessage.objects.filter(
        incident=incident,
        status=Row.Status.PENDING,
        kind__in=[Row.Kind.PROMPT, Row.Kind.REMINDER, Row.Kind.ESCALATION],
    ).update(status=Row.Status.CANCELLED, last_error="incident resolved before sending")
