"""When a message that someone must act on reaches nobody: tell the next person up, at once.

Reminders and escalation count from ``Incident.prompted_at``. A first prompt that ends
``unconfirmed`` (it may have arrived; the channel cannot say) counts as prompted: the reminder
schedule re-asks the person, so a lost prompt is caught by the first reminder. A prompt that
ended ``failed`` (every channel, email included, refused it) counts as prompted too — the
reminders try the person again later, when a channel may work — and, because nobody has been
told, it goes up at once instead of after ``escalate_after_hours``:

- a user's prompt -> the tenant's admins (an escalation saying Mio could not reach them);
- an admin's prompt or an escalation -> the operator (``settings.ADMINS`` by email, else the
  log), so a tenant whose admins cannot be reached is still seen by someone;
- an operator message -> the error log (the last resort).

The dashboard's incident timeline shows each failed or unconfirmed message and the escalation.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from notifications import outbox
from notifications.models import Incident, OutboxMessage
from tokens.situations import Audience

log = logging.getLogger(__name__)
Row = OutboxMessage

# Messages someone has to act on; confirmations and digests are courtesy, and do not go up.
MUST_ARRIVE = {Row.Kind.PROMPT, Row.Kind.REMINDER, Row.Kind.ESCALATION}


def mark_prompted(row: OutboxMessage, at: object) -> None:
    """Reminders and escalation count from the first prompt that went out (or may have)."""
    if row.incident_id and row.kind == Row.Kind.PROMPT:
        Incident.objects.filter(pk=row.incident_id, prompted_at__isnull=True).update(prompted_at=at)


def on_failed(row: OutboxMessage, error: str) -> int:
    """``row`` reached nobody: tell the next person up; how many messages that wrote."""
    if row.kind not in MUST_ARRIVE or row.incident_id is None:
        return 0
    incident = Incident.objects.select_related("tenant", "account__person").get(pk=row.incident_id)
    if not incident.is_open:
        return 0
    with transaction.atomic():
        if row.template == Row.Template.USER_PROMPT:
            return _escalate_now(incident, row, error)
        if row.recipient_id is not None:
            return _to_operator(incident, row, error)
    log.error(
        "outbox row %s (%s, incident %s) reached nobody: %s",
        row.pk,
        row.template,
        incident.pk,
        error,
    )
    return 0


def _escalate_now(incident: Incident, row: OutboxMessage, error: str) -> int:
    taken = Incident.objects.filter(pk=incident.pk, escalated_at__isnull=True).update(
        escalated_at=timezone.now()
    )
    if not taken:
        return 0  # already escalated: the admins know
    return outbox.to_admins(
        incident,
        template=Row.Template.ESCALATION,
        kind=Row.Kind.ESCALATION,
        key=f"escalation:{incident.pk}:{{person}}",
        context={"unreachable": True, "error": error[:500]},
    )


def _to_operator(incident: Incident, row: OutboxMessage, error: str) -> int:
    assert row.recipient is not None
    written = outbox.queue(
        key=f"unreached:{row.pk}",
        tenant=incident.tenant,
        template=Row.Template.UNREACHED,
        kind=Row.Kind.ESCALATION,
        audience=Audience.OPERATOR,
        incident=incident,
        channel=Row.EMAIL,
        context={
            "recipient": f"{row.recipient.name} <{row.recipient.email}>",
            "message": row.get_template_display(),
            "error": error[:500],
        },
        quiet=False,
    )
    return int(written is not None)
