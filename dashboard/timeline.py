"""What the incident page shows: the evidence, the remedy, who is affected, and a timeline
(detected, each prompt and its delivery, reminders, escalation, checks, actions, resolution).

The remedy comes from the notifications layer's own texts, so the page says exactly what the
admin's prompt said. A fixed handful of queries, each capped, whatever the incident's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from dashboard import auditwords
from dashboard.affected import annotate_totals
from dashboard.models import AuditEntry
from notifications.models import AffectedAccount, Incident, OutboxMessage
from notifications.texts.admins import AdminContext, admin_consent_url, admin_prompt
from notifications.texts.common import evidence_facts, incident_url, platform_label
from tokens.models import CheckRecord
from tokens.situations import CATALOGUE, Audience, Situation

AFFECTED_SHOWN = 25
MESSAGES_SHOWN = 100
CHECKS_SHOWN = 20
# Encrypted token columns: never needed on a page, so never loaded (nor decrypted) for one.
SEALED = ("credential__access_token", "credential__refresh_token")
CONSENT_SITUATIONS = {Situation.CONSENT_MISSING, Situation.INSUFFICIENT_SCOPE}


@dataclass
class Event:
    at: datetime
    kind: str  # detected / prompt / delivery / failure / check / action / resolved / escalated
    title: str
    detail: str = ""
    tone: str = "info"  # info / warning / success / danger


def consent_link(incident: Incident) -> str:
    """Entra's admin-consent URL for the tenant, where consent is the remedy (Teams)."""
    if incident.platform != "teams":
        return ""
    client_id = str(settings.PLATFORM_APPS.get("teams", {}).get("client_id", ""))
    return admin_consent_url(incident.tenant.entra_tenant_id, client_id)


def remedy(incident: Incident, affected: list[AffectedAccount]) -> dict[str, Any]:
    """Title, explanation and steps, as the admin prompt words them."""
    info = CATALOGUE.get(incident.situation)
    if incident.audience != Audience.ADMIN:
        who = incident.account.person.name if incident.account_id else "the person"
        return {
            "title": info.key.label if info else incident.situation,
            "text": f"{who} must act: {info.remedy if info else ''} Mio has asked them with a "
            "re-sync button on their platform; reminders follow the tenant's policy.",
            "steps": [],
        }
    person = incident.account.person.email if incident.account_id else ""
    message = admin_prompt(
        AdminContext(
            incident_id=incident.pk,
            platform=incident.platform,
            situation=incident.situation,
            # Everyone it hit so far, recovered or not: the table below lists them all.
            affected=getattr(incident, "affected_total", None) or incident.affected_count or 1,
            examples=[a.account.person.email for a in affected[:3] if a.account_id],
            person=person if not incident.tenant_wide else "",
            evidence=incident.evidence,
            directory_id=incident.tenant.entra_tenant_id,
            since=incident.opened_at,
        )
    )
    what, _, steps = message.text.partition("\n\nTo fix it:\n")
    return {
        "title": message.title,
        "text": what,
        "steps": [line.split(". ", 1)[-1] for line in steps.splitlines() if line.strip()],
        "links": [a for a in message.actions if a.url != incident_url(incident.pk) and a.url],
    }


def _message_events(rows: list[OutboxMessage]) -> list[Event]:
    events = []
    for m in rows:
        who = m.recipient.name if m.recipient_id else (m.recipient_email or "the operator")
        kind = m.get_kind_display()
        events.append(
            Event(m.created_at, "prompt", f"{kind} queued for {who}", m.get_template_display())
        )
        if m.status == OutboxMessage.Status.SENT and m.sent_at:
            events.append(
                Event(
                    m.sent_at,
                    "delivery",
                    f"{kind} delivered to {who} on {platform_label(m.channel)}",
                    f"after {m.attempts} attempt{'s' if m.attempts != 1 else ''}",
                    "success",
                )
            )
        elif m.status in (OutboxMessage.Status.FAILED, OutboxMessage.Status.UNCONFIRMED):
            events.append(
                Event(
                    m.updated_at,
                    "failure",
                    f"{kind} to {who}: {m.get_status_display()}",
                    m.last_error[:300],
                    "danger",
                )
            )
        elif (
            m.status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING) and m.attempts
        ):
            events.append(
                Event(
                    m.updated_at,
                    "failure",
                    f"{kind} to {who}: retrying",
                    m.last_error[:300],
                    "warning",
                )
            )
    return events


def incident_context(incident: Incident) -> dict[str, Any]:
    annotate_totals([incident])
    affected = list(
        AffectedAccount.objects.filter(incident=incident)
        .select_related("account__person", "credential")
        .defer(*SEALED)
        # The (incident, credential) unique index walks them in this order: no sort.
        .order_by("credential_id")[:AFFECTED_SHOWN]
    )
    rows = list(
        OutboxMessage.objects.filter(incident=incident)
        .select_related("recipient")
        .order_by("created_at", "pk")[:MESSAGES_SHOWN]
    )
    checks = []
    if incident.credential_id:
        checks = list(
            CheckRecord.objects.filter(
                credential_id=incident.credential_id, checked_at__gte=incident.opened_at
            ).order_by("-checked_at")[:CHECKS_SHOWN]
        )
    audit = auditwords.annotate(
        list(
            AuditEntry.objects.filter(
                tenant_id=incident.tenant_id,
                target_type=Incident._meta.label,
                target_id=str(incident.pk),
            )
            .select_related("actor")
            .order_by("-at")[:50]
        )
    )
    facts = evidence_facts(incident.platform, incident.evidence)
    events = [
        Event(
            incident.opened_at,
            "detected",
            f"Detected: {incident.get_situation_display()}",
            ", ".join(f"{k} {v}" for k, v in facts[:2]),
            "warning",
        ),
        *_message_events(rows),
        *(
            Event(
                c.checked_at,
                "check",
                f"Checked ({c.get_source_display().lower()}): {c.get_outcome_display().lower()}",
                c.situation or "",
                "success" if c.outcome in ("ok", "healed") else "info",
            )
            for c in checks
        ),
        *(
            Event(
                a.at,
                "action",
                a.sentence,  # "Ada Hopper verified incident 3 (resolved)"
                str(a.detail.get("summary", "")) if isinstance(a.detail, dict) else "",
            )
            for a in audit
        ),
    ]
    if incident.escalated_at:
        events.append(
            Event(incident.escalated_at, "escalated", "Escalated to the admins", "", "warning")
        )
    if incident.resolved_at:
        how = incident.get_resolution_display() or "Resolved"
        by = f" by {incident.resolved_by}" if incident.resolved_by else ""
        events.append(
            Event(incident.resolved_at, "resolved", f"Resolved: {how}{by}", "", "success")
        )
    events.sort(key=lambda e: e.at)
    return {
        "incident": incident,
        "facts": facts,
        "evidence": incident.evidence or {},
        "remedy": remedy(incident, affected),
        "consent_link": consent_link(incident),
        "consent_is_remedy": incident.situation in CONSENT_SITUATIONS,
        "affected": affected,
        "affected_more": max(0, incident.affected_total - len(affected)),
        "events": events,
    }
