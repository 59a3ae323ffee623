"""What to say: one neutral ``Message`` per outbox row, for every situation and audience.

``notifications`` decides the words (title, text, facts, actions); each platform's ``render``
decides how they look (Block Kit, Adaptive Card, Zoom chatbot content) and validates them.
Texts are composed when a row is sent, from the incident as it is then (the affected count of a
tenant-wide incident keeps growing while it is open), so no text is stored with a link in it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from platforms.messages import Message
from tokens.situations import Situation

from . import admins, confirmations, users

if TYPE_CHECKING:
    from notifications.models import Incident, OutboxMessage

__all__ = ["compose"]


def compose(row: OutboxMessage) -> Message:
    from notifications.models import OutboxMessage as Row

    builder = {
        Row.Template.USER_PROMPT: _user_prompt,
        Row.Template.ADMIN_PROMPT: _admin_prompt,
        Row.Template.OPERATOR_ALERT: _operator_alert,
        Row.Template.ESCALATION: _escalation,
        Row.Template.USER_RESYNCED: _user_resynced,
        Row.Template.ADMIN_USER_RESYNCED: _admin_user_resynced,
        Row.Template.ADMIN_DIGEST: _admin_digest,
        Row.Template.ADMIN_CONFIGURED: _admin_configured,
        Row.Template.UNREACHED: _unreached,
    }[row.template]
    message = builder(row)
    return replace(message, idempotency_key=row.idempotency_key)


def _reminder(row: OutboxMessage) -> int:
    return int(row.context.get("reminder", 0)) if row.kind == row.Kind.REMINDER else 0


def _user_prompt(row: OutboxMessage) -> Message:
    from accounts.resync.links import url_for

    incident = row.incident
    assert incident is not None
    assert incident.account is not None
    assert row.resync_link is not None
    return users.user_prompt(
        platform=incident.platform,
        situation=incident.situation,
        email=incident.account.email or incident.account.person.email,
        since=incident.opened_at,
        link_url=url_for(row.resync_link),
        reminder=_reminder(row),
        first_prompt_at=incident.prompted_at,
    )


def _admin_context(row: OutboxMessage, incident: Incident) -> admins.AdminContext:
    from notifications.models import AffectedAccount

    person = ""
    if not incident.tenant_wide and incident.account is not None:
        person = f"{incident.account.person.name} <{incident.account.person.email}>"
    examples = list(
        AffectedAccount.objects.filter(incident=incident, recovered_at__isnull=True)
        .exclude(account=None)
        .order_by("pk")
        .values_list("account__email", flat=True)[:3]
    )
    directory = incident.tenant.entra_tenant_id
    if not directory and incident.platform == "teams":
        directory = next(
            iter(
                AffectedAccount.objects.filter(incident=incident)
                .exclude(account=None)
                .values_list("account__workspace_id", flat=True)[:1]
            ),
            "",
        )
    return admins.AdminContext(
        incident_id=incident.pk,
        platform=incident.platform,
        situation=incident.situation,
        affected=max(incident.affected_count, 1),
        examples=[e for e in examples if e],
        person=person,
        evidence=incident.evidence,
        directory_id=directory,
        since=incident.opened_at,
        reminder=_reminder(row),
    )


def _admin_prompt(row: OutboxMessage) -> Message:
    assert row.incident is not None
    return admins.admin_prompt(_admin_context(row, row.incident))


def _operator_alert(row: OutboxMessage) -> Message:
    assert row.incident is not None
    return admins.operator_alert(_admin_context(row, row.incident), row.tenant.name)


def _escalation(row: OutboxMessage) -> Message:
    incident = row.incident
    assert incident is not None
    assert incident.account is not None
    person = incident.account.person
    if row.context.get("unreachable"):
        return admins.unreachable(
            incident_id=incident.pk,
            platform=incident.platform,
            person=f"{person.name} <{person.email}>",
            situation=incident.situation,
        )
    return admins.escalation(
        incident_id=incident.pk,
        platform=incident.platform,
        person=f"{person.name} <{person.email}>",
        situation=incident.situation,
        since=incident.prompted_at or incident.opened_at,
        reminders=incident.reminders_sent,
    )


def _unreached(row: OutboxMessage) -> Message:
    assert row.incident is not None
    return admins.unreached(
        incident_id=row.incident.pk,
        tenant=row.tenant.name,
        recipient=str(row.context.get("recipient", "")),
        message=str(row.context.get("message", "")),
        error=str(row.context.get("error", "")),
    )


def _user_resynced(row: OutboxMessage) -> Message:
    platform = row.context.get("platform") or (row.incident.platform if row.incident else "")
    email = row.context.get("email") or (row.recipient.email if row.recipient else "")
    return users.user_resynced(platform=platform, email=email)


def _admin_user_resynced(row: OutboxMessage) -> Message:
    return confirmations.admin_user_resynced(
        person=row.context.get("person", ""),
        platform=row.context.get("platform", ""),
        at=row.incident.resolved_at if row.incident else row.created_at,
    )


def _admin_digest(row: OutboxMessage) -> Message:
    return confirmations.admin_digest(
        day=row.context.get("day", ""), entries=list(row.context.get("entries", []))
    )


def _admin_configured(row: OutboxMessage) -> Message:
    incident = row.incident
    assert incident is not None
    return confirmations.admin_configured(
        incident_id=incident.pk,
        platform=incident.platform,
        situation_label=Situation(incident.situation).label,
        evidence=incident.evidence,
        accounts=int(row.context.get("accounts", incident.affected.count())),
        moved=int(row.context.get("moved", 0)),
    )
