"""Confirmations: the user hears they are re-synced, the admins that things work again.

- user re-sync: the user gets "you're re-synced"; each tenant admin gets "<person>'s <platform>
  token was refreshed" at once, or in the daily digest (``Tenant.admin_confirmations``);
- an admin incident resolved (fix verified with "Verify now", or seen working by a scheduled
  check after the admin's fix): each admin gets "<platform> is configured to work with Mio";
- a user incident that recovered on its own tells the user only if they had been prompted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Tenant
from notifications import outbox
from notifications.models import AffectedAccount, Incident, OutboxMessage, Resolution
from policies import rules
from tokens.situations import Audience

Row = OutboxMessage


def on_resolved(incident: Incident) -> int:
    how = incident.resolution
    if how in (Resolution.SUPERSEDED, Resolution.CLOSED):
        return 0
    if incident.audience == Audience.USER and incident.account is not None:
        return _user_incident(incident, resynced=how == Resolution.USER_RESYNC)
    if incident.audience == Audience.ADMIN:
        return _configured(incident)
    return 0


def _user_incident(incident: Incident, *, resynced: bool) -> int:
    account = incident.account
    assert account is not None
    person = account.person
    written = 0
    if resynced or incident.prompted_at is not None:
        written += bool(
            outbox.queue(
                key=f"confirm-user:{incident.pk}:{person.pk}",
                tenant=incident.tenant,
                template=Row.Template.USER_RESYNCED,
                kind=Row.Kind.CONFIRMATION,
                audience=Audience.USER,
                recipient=person,
                incident=incident,
                channel=outbox.first_channel(person, preferred=incident.platform),
                context={"platform": incident.platform, "email": account.email or person.email},
                quiet=False,
            )
        )
    if resynced and not rules.daily_digest(incident.tenant):
        written += outbox.to_admins(
            incident,
            template=Row.Template.ADMIN_USER_RESYNCED,
            kind=Row.Kind.CONFIRMATION,
            key=f"confirm-admin:{incident.pk}:{{person}}",
            context={"person": person.name or person.email, "platform": incident.platform},
            quiet=False,
        )
    return written


def _configured(incident: Incident) -> int:
    links = AffectedAccount.objects.filter(incident=incident)
    accounts = links.exclude(left_as__in=[Resolution.SUPERSEDED, Resolution.CLOSED]).count()
    moved = links.filter(left_as=Resolution.SUPERSEDED).count()
    return outbox.to_admins(
        incident,
        template=Row.Template.ADMIN_CONFIGURED,
        kind=Row.Kind.CONFIRMATION,
        key=f"configured:{incident.pk}:{{person}}",
        context={"accounts": accounts, "moved": moved},
        quiet=False,
    )


def send_digest(tenant: Tenant, *, now: datetime | None = None) -> int:
    """One message per admin listing the last day's user re-syncs (the digest option)."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    resolved = (
        Incident.objects.filter(
            tenant=tenant,
            resolution=Resolution.USER_RESYNC,
            resolved_at__gt=since,
            resolved_at__lte=now,
        )
        .select_related("account__person")
        .order_by("resolved_at")
    )
    entries = [
        {"person": i.account.person.name or i.account.person.email, "platform": i.platform}
        for i in resolved
        if i.account is not None
    ]
    if not entries:
        return 0
    day = f"{now.astimezone(rules.time_zone(tenant)):%Y-%m-%d}"
    written = 0
    for admin in outbox.admins_of(tenant):
        written += bool(
            outbox.queue(
                key=f"digest:{tenant.pk}:{day}:{admin.pk}",
                tenant=tenant,
                template=Row.Template.ADMIN_DIGEST,
                kind=Row.Kind.CONFIRMATION,
                audience=Audience.ADMIN,
                recipient=admin,
                context={"day": day, "entries": entries},
            )
        )
    return written
