"""What the dashboard, the Django admin and the re-sync pages ask of the notifications layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Person, ResyncLink
from notifications import incidents, outbox
from notifications.models import AffectedAccount, Incident, OutboxMessage, Resolution
from tokens.models import CheckRecord
from tokens.situations import Audience

Row = OutboxMessage


@dataclass
class Verified:
    checked: int
    working: int
    still_failing: int
    resolved: bool
    queued: int = 0  # handed to the workers instead (a large incident)


def verify_incident(incident: Incident) -> Verified:
    """ "Verify now": re-check the accounts the incident still lists.

    The checks are recorded by the health engine, whose signal brings the incidents up to date:
    accounts that pass leave the incident (the last one resolves it as "admin fix verified",
    and the admins are told the platform is configured); accounts that now fail in a way only
    their user can fix leave it for a user incident of their own, with its user prompt.

    Up to ``VERIFY_INLINE_MAX`` accounts are checked here and now, so the admin sees the answer
    at once. A larger incident (a policy that blocks a whole tenant) is queued for the workers
    instead: a web request must not hold hundreds of platform calls, and the incident updates
    itself as the results come in (``queued`` says how many).
    """
    from tokens.services import check_now, queue_check

    ids = list(
        AffectedAccount.objects.filter(incident=incident, recovered_at__isnull=True).values_list(
            "credential_id", flat=True
        )
    )
    if len(ids) > settings.VERIFY_INLINE_MAX:
        queue_check(ids, CheckRecord.Source.MANUAL)
        incident.refresh_from_db()  # an inline queue (MIO_QUEUE_SYNC) has already checked them
        return Verified(
            checked=0,
            working=0,
            still_failing=len(ids),
            resolved=not incident.is_open,
            queued=len(ids),
        )
    results = check_now(ids, CheckRecord.Source.MANUAL)
    working = sum(
        1
        for check in results.values()
        if check is not None
        and check.outcome in (CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED)
    )
    incident.refresh_from_db()
    return Verified(
        checked=sum(1 for check in results.values() if check is not None),
        working=working,
        still_failing=len(ids) - working,
        resolved=not incident.is_open,
    )


def close_incident(incident: Incident, *, by: str) -> bool:
    """An admin closes the incident by hand; its unsent prompts are cancelled."""
    with transaction.atomic():
        return incidents.resolve(incident, Resolution.CLOSED, by=by)


def resend(incident: Incident, *, by: str) -> int:
    """Send the incident's prompt again, now (a new message, on purpose: a new key)."""
    if not incident.is_open:
        return 0
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    with transaction.atomic():
        if incident.audience == Audience.USER and incident.account is not None:
            from accounts.resync.links import link_for

            person = incident.account.person
            row = outbox.queue(
                key=f"resend:{incident.pk}:{person.pk}:{stamp}",
                tenant=incident.tenant,
                template=Row.Template.USER_PROMPT,
                kind=Row.Kind.PROMPT,
                audience=Audience.USER,
                recipient=person,
                incident=incident,
                channel=outbox.first_channel(person, preferred=incident.platform),
                resync_link=link_for(person, incident.account, incident),
                context={"resent_by": by},
                quiet=False,
            )
            return int(row is not None)
        template = (
            Row.Template.OPERATOR_ALERT
            if incident.audience == Audience.OPERATOR
            else Row.Template.ADMIN_PROMPT
        )
        return outbox.to_admins(
            incident,
            template=template,
            kind=Row.Kind.PROMPT,
            key=f"resend:{incident.pk}:{{person}}:{stamp}",
            context={"resent_by": by},
            quiet=False,
        )


def snooze(incident: Incident, until: datetime) -> None:
    """No reminders nor escalation until ``until``; the prompt policy resumes after it."""
    Incident.objects.filter(pk=incident.pk).update(snoozed_until=until)
    incident.snoozed_until = until


def mute(incident: Incident, muted: bool = True) -> int:
    """Muted: no more reminders or escalations for this incident (pending ones are cancelled)."""
    Incident.objects.filter(pk=incident.pk).update(muted=muted)
    incident.muted = muted
    if not muted:
        return 0
    return Row.objects.filter(
        incident=incident,
        status=Row.Status.PENDING,
        kind__in=[Row.Kind.REMINDER, Row.Kind.ESCALATION],
    ).update(status=Row.Status.CANCELLED, last_error="incident muted")


class FreshLink:
    SENT = "sent"
    TOO_SOON = "too_soon"
    NOTHING_TO_DO = "nothing_to_do"


# A person gets at most this many fresh-link prompts an hour, for all their accounts, however
# many addresses ask and however many server processes answer (counted in the outbox).
FRESH_LINKS_PER_HOUR = 3
FRESH_KEY_PREFIX = "fresh:"


def request_fresh_link(link: ResyncLink) -> str:
    """The person behind an expired or used link asks for a new one: a new prompt, rate-limited.

    The new link goes out the way prompts go (their chat, else email), never to the browser
    that asked, so holding an old link is not enough to get a working one.

    Two requests at once (a double click, two tabs, two workers) send one prompt: the person's
    row is written first, which takes PostgreSQL's row lock and SQLite's write lock alike, so
    the second request waits and then sees the first one's link. (``SELECT … FOR UPDATE`` of the
    recent links would lock nothing when there are none yet, and nothing at all on SQLite.) The
    outbox key is also deterministic per (incident, person, account, window), and UNIQUE.
    """
    from accounts.resync.links import create_link

    incident = _open_user_incident(link)
    if incident is None:
        return FreshLink.NOTHING_TO_DO
    with transaction.atomic():
        # A write that changes nothing, for its lock (held until this transaction ends).
        Person.objects.filter(pk=link.person_id).update(name=F("name"))
        now = timezone.now()
        window = timedelta(minutes=settings.RESYNC_FRESH_LINK_MINUTES)
        recent = ResyncLink.objects.filter(
            person_id=link.person_id, account_id=link.account_id, created_at__gt=now - window
        )
        if recent.exists() or _fresh_prompts_last_hour(link.person_id, now) >= (
            FRESH_LINKS_PER_HOUR
        ):
            return FreshLink.TOO_SOON
        fresh = create_link(link.person, link.account, incident)
        row = outbox.queue(
            key=fresh_key(incident.pk, link.person_id, link.account_id, now),
            tenant=incident.tenant,
            template=Row.Template.USER_PROMPT,
            kind=Row.Kind.PROMPT,
            audience=Audience.USER,
            recipient=link.person,
            incident=incident,
            channel=outbox.first_channel(link.person, preferred=incident.platform),
            resync_link=fresh,
            quiet=False,
        )
        if row is None:  # the same window's request got there first
            transaction.set_rollback(True)
            return FreshLink.TOO_SOON
    return FreshLink.SENT


def fresh_key(incident_id: int, person_id: int, account_id: int, now: datetime) -> str:
    """One key per (incident, person, account, rate-limit window)."""
    window = max(settings.RESYNC_FRESH_LINK_MINUTES * 60, 60)
    bucket = int(now.timestamp() // window)
    return f"{FRESH_KEY_PREFIX}{incident_id}:{person_id}:{account_id}:{bucket}"


def _fresh_prompts_last_hour(person_id: int, now: datetime) -> int:
    return Row.objects.filter(
        recipient_id=person_id,
        idempotency_key__startswith=FRESH_KEY_PREFIX,
        created_at__gt=now - timedelta(hours=1),
    ).count()


def _open_user_incident(link: ResyncLink) -> Incident | None:
    if link.incident is not None and link.incident.is_open:
        return link.incident
    credential_id = link.account.credential_id
    if credential_id is None:
        return None
    return (
        Incident.objects.filter(
            status=Incident.Status.OPEN,
            audience=Audience.USER,
            affected__credential_id=credential_id,
            affected__recovered_at__isnull=True,
        )
        .select_related("tenant")
        .first()
    )


RESENDABLE = [Row.Status.FAILED, Row.Status.UNCONFIRMED, Row.Status.CANCELLED]


def requeue_messages(ids: list[int]) -> list[int]:
    """Back to pending, each only while it is still failed/unconfirmed/cancelled; which were.

    Conditional per row: a row another worker is sending (or an admin requeued a moment ago
    and a worker has claimed) is left alone instead of being flipped back to pending.
    """
    requeued = []
    for pk in ids:
        done = Row.objects.filter(pk=pk, status__in=RESENDABLE).update(
            status=Row.Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            tried_channels=[],
            claimed_until=None,
            claim_token="",
        )
        if done:
            requeued.append(pk)
    return requeued
