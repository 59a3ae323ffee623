"""Opening, updating and resolving incidents: the table, not the transition, decides.

Each check's outcome is applied idempotently: a permanent situation finds-or-creates the open
incident for its key (one per account and situation, or one per tenant, platform and situation
for tenant-wide admin situations) and adds the account to it; only the check that *creates* the
incident writes prompts. So "exactly one prompt" holds after any number of checks, in any order,
from any number of workers: the UNIQUE ``open_key`` lets only one of them create it.

A healthy outcome marks the account recovered in every open incident that lists it; the last
account to recover resolves the incident, and the resolution says how (user re-sync, admin fix
verified, recovered on its own).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from notifications import confirmations, outbox
from notifications.models import AffectedAccount, Incident, Resolution
from notifications.signals import incident_resolved
from tokens.models import CheckRecord, Credential, PlatformAccount
from tokens.situations import CATALOGUE, Audience

# A busy tenant-wide incident is seen by every check of every affected account; its
# ``last_seen_at`` is refreshed at most this often so parallel workers don't queue on its row.
SEEN_EVERY = timedelta(minutes=1)


def account_of(credential: Credential) -> PlatformAccount | None:
    """The credential's account (the engine has usually loaded it, with person and tenant)."""
    try:
        return credential.account
    except PlatformAccount.DoesNotExist:  # a bot's credential has no account
        return None


def audience_for(situation: str, account: PlatformAccount | None) -> Audience | None:
    audience = CATALOGUE[situation].audience
    # A bot's token has no person behind it: whatever broke it, an admin reinstalls or fixes.
    if audience == Audience.USER and account is None:
        return Audience.ADMIN
    return audience


def apply_check(
    credential: Credential, situation: str | None, evidence: dict[str, Any] | None, source: str
) -> Incident | None:
    """Bring the incidents in line with one check's outcome. Call inside its transaction."""
    if situation is None:
        recover(credential, source)
        return None
    account = account_of(credential)
    audience = audience_for(situation, account)
    if audience is None:  # transient, or an expired access token that was refreshed
        return None
    return report(credential, account, situation, audience, evidence)


def report(
    credential: Credential,
    account: PlatformAccount | None,
    situation: str,
    audience: Audience,
    evidence: dict[str, Any] | None,
) -> Incident:
    supersede(credential, keep=situation)
    tenant_wide = CATALOGUE[situation].tenant_wide or audience == Audience.OPERATOR
    key = (
        Incident.key_for_tenant(credential.tenant_id, credential.platform, situation)
        if tenant_wide
        else Incident.key_for_account(credential.pk, situation)
    )
    now = timezone.now()
    incident, created = _get_or_create(
        key,
        {
            "tenant_id": credential.tenant_id,
            "platform": credential.platform,
            "situation": situation,
            "audience": audience,
            "tenant_wide": tenant_wide,
            "credential": None if tenant_wide else credential,
            "account": None if tenant_wide else account,
            "evidence": evidence,
            "opened_at": now,
            "last_seen_at": now,
        },
    )
    link, added = AffectedAccount.objects.get_or_create(
        incident=incident,
        credential=credential,
        defaults={"account": account, "evidence": evidence, "added_at": now},
    )
    if added or link.recovered_at is not None:
        if not added:
            AffectedAccount.objects.filter(pk=link.pk).update(
                recovered_at=None, left_as="", evidence=evidence
            )
        # The incident keeps the evidence it was opened with (the prompt quotes it, so the
        # admin finds the same sign-in in the logs); each account keeps its own.
        Incident.objects.filter(pk=incident.pk).update(
            affected_count=F("affected_count") + 1, last_seen_at=now
        )
        incident.refresh_from_db()
    else:
        Incident.objects.filter(pk=incident.pk, last_seen_at__lt=now - SEEN_EVERY).update(
            last_seen_at=now
        )
    if created:
        outbox.prompts_for(incident, account)
    return incident


def _get_or_create(key: str, defaults: dict[str, Any]) -> tuple[Incident, bool]:
    """The open incident for ``key``; two workers racing to open it both end up with one."""
    existing = Incident.objects.select_related("tenant").filter(open_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(open_key=key, **defaults)
    except IntegrityError:
        # The other worker committed first (PostgreSQL made us wait for it on the unique index).
        return Incident.objects.select_related("tenant").get(open_key=key), False
    return Incident.objects.select_related("tenant").get(pk=incident.pk), True


def supersede(credential: Credential, *, keep: str) -> None:
    """The account now fails differently: it leaves its incidents for other situations."""
    links = AffectedAccount.objects.filter(
        credential=credential, recovered_at__isnull=True, incident__status=Incident.Status.OPEN
    ).exclude(incident__situation=keep)
    for link in links.select_related("incident"):
        _leave(link, Resolution.SUPERSEDED)


def recover(credential: Credential, source: str) -> list[Incident]:
    """The account works: mark it recovered everywhere; resolve incidents it was the last of."""
    resolved = []
    links = AffectedAccount.objects.filter(
        credential=credential, recovered_at__isnull=True, incident__status=Incident.Status.OPEN
    ).select_related("incident")
    for link in links:
        how = _resolution(link.incident, source)
        if _leave(link, how):
            resolved.append(link.incident)
    return resolved


def _resolution(incident: Incident, source: str) -> str:
    if source == CheckRecord.Source.RESYNC:
        return Resolution.USER_RESYNC
    if source == CheckRecord.Source.MANUAL and incident.audience != Audience.USER:
        return Resolution.ADMIN_VERIFIED
    return Resolution.RECOVERED


def _leave(link: AffectedAccount, how: str) -> bool:
    """Take one account out of its incident; True when that resolved the incident."""
    now = timezone.now()
    if not AffectedAccount.objects.filter(pk=link.pk, recovered_at__isnull=True).update(
        recovered_at=now, left_as=how
    ):
        return False
    # This UPDATE locks the incident's row (PostgreSQL) until commit, so of two workers
    # recovering its last two accounts at once, the second sees the first's recovery below.
    Incident.objects.filter(pk=link.incident_id, affected_count__gt=0).update(
        affected_count=F("affected_count") - 1
    )
    left = AffectedAccount.objects.filter(incident_id=link.incident_id)
    if left.filter(recovered_at__isnull=True).exists():
        return False
    if how == Resolution.SUPERSEDED:
        # The last account moved to another situation, but if others work again, the fix that
        # made them work is what resolved this incident ("Verify now" after a CA fix, say).
        worked = (
            left.exclude(left_as__in=[Resolution.SUPERSEDED, Resolution.CLOSED, ""])
            .order_by("-recovered_at")
            .values_list("left_as", flat=True)
            .first()
        )
        how = worked or how
    return resolve(link.incident, how)


def resolve(incident: Incident, how: str, *, by: str = "") -> bool:
    """Close the incident once (True for the caller that closed it) and queue confirmations."""
    now = timezone.now()
    closed = Incident.objects.filter(pk=incident.pk, status=Incident.Status.OPEN).update(
        status=Incident.Status.RESOLVED,
        open_key=None,
        resolved_at=now,
        resolution=how,
        resolved_by=by[:150],
    )
    if not closed:
        return False
    incident.refresh_from_db()
    outbox.cancel_pending(incident)
    if how in (Resolution.CLOSED, Resolution.SUPERSEDED):
        AffectedAccount.objects.filter(incident=incident, recovered_at__isnull=True).update(
            recovered_at=now, left_as=how
        )
    confirmations.on_resolved(incident)
    incident_resolved.send(sender=Incident, incident=incident)
    return True


def open_incidents_for(credential: Credential) -> list[Incident]:
    return list(
        Incident.objects.filter(
            affected__credential=credential,
            affected__recovered_at__isnull=True,
            status=Incident.Status.OPEN,
        ).distinct()
    )
