"""Delivering outbox rows: claim, send through the platform adapter, record; retry; fall back.

Idempotency — why a crash between sending and recording never double-sends:

1. **Claim** (``claim``): a conditional UPDATE moves the row ``pending -> sending`` with a fresh
   claim token and a lease (``claimed_until``). It runs in autocommit, so the mark is durable
   *before* any HTTP call. The channel about to be used is stored in the row, also before the
   call, so whoever finds the row later knows where it may have gone.
2. **Send** with ``Message.idempotency_key`` = the row's UNIQUE key. The adapters put the key in
   the payload they send (the sandbox keeps every payload exactly as received).
3. **Record** (``_finish``): a conditional UPDATE ``sending -> sent`` that must match the claim
   token, so a worker whose lease ran out can never overwrite a newer outcome.

A worker killed between 2 and 3 leaves the row ``sending`` with a lapsed lease. Recovery
(``notifications.recovery``) never resends blindly: it asks the channel whether a message with
that key arrived — delivered: record it as sent; not delivered: back to pending, sending is safe;
the channel cannot tell (email; a platform without a history lookup): ``unconfirmed``, not
resent. That last case is deliberately at-most-once: a duplicate prompt is noise the person
sees twice, while a lost one is covered by the reminder schedule and shown to admins, who can
resend it. None of the four platforms offers an idempotent bot send, so asking is the only
way to be exactly-once; see ``recovery.delivered_upstream`` for how each channel is asked.

Retries: a transient failure (429, 5xx, timeout) puts the row back to ``pending`` with an
exponential backoff with jitter; after ``NOTIFY_MAX_ATTEMPTS`` on one channel, or at once on a
permanent failure (the bot itself is the broken part), the next channel is tried: the one the
row started with, the person's preferred platform, their other platforms whose bot works, then
email.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.texts import compose
from platforms.errors import PlatformError
from platforms.messages import Message
from platforms.registry import get_adapter
from tokens.models import CredentialState, Installation, PlatformAccount

log = logging.getLogger(__name__)
Row = OutboxMessage
_rng = random.SystemRandom()

# Seconds to wait between a successful send and its record. Zero except in the crash test,
# which sets it (``deliver_prompts --pause-after-send``) to kill the worker inside that window.
PAUSE_AFTER_SEND = 0.0

BROKEN_BOT_STATES = {
    CredentialState.WAITING_ADMIN,
    CredentialState.WAITING_USER,
    CredentialState.WAITING_OPERATOR,
    CredentialState.DISABLED,
}


class Transient(Exception):
    """Try this channel again later."""


class Unusable(Exception):
    """This channel cannot carry the message: move on to the next one."""


def claim(row_id: int) -> str | None:
    token = secrets.token_hex(8)
    now = timezone.now()
    taken = Row.objects.filter(
        pk=row_id, status=Row.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=Row.Status.SENDING,
        claim_token=token,
        claimed_until=now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return token if taken == 1 else None


def deliver(row_id: int) -> str:
    """The django-q task: deliver one row if it is due and nobody else holds it; its status."""
    token = claim(row_id)
    if token is None:
        return "skipped"
    row = Row.objects.select_related(
        "tenant", "recipient__tenant", "incident__account__person", "incident__tenant"
    ).get(pk=row_id)
    try:
        message = compose(row)
    except Exception as exc:  # the data it needed is gone or wrong: retrying won't help
        log.exception("outbox row %s could not be composed", row_id)
        return _finish(row, token, Row.Status.FAILED, error=f"compose: {exc!r}")
    errors: list[str] = []
    for channel in candidates(row):
        if channel != row.channel:
            _switch(row, token, channel)
        try:
            provider_id = send_on(channel, row, message)
        except Transient as exc:
            if row.attempts < settings.NOTIFY_MAX_ATTEMPTS:
                return _retry_later(row, token, f"{channel}: {exc}")
            errors.append(f"{channel}: {exc} (gave up after {row.attempts} attempts)")
        except Unusable as exc:
            errors.append(f"{channel}: {exc}")
        else:
            if PAUSE_AFTER_SEND:
                time.sleep(PAUSE_AFTER_SEND)
            return _finish(
                row,
                token,
                Row.Status.SENT,
                provider_id=provider_id,
                subject=message.title,
                error="; ".join(errors),  # why earlier channels were passed over
            )
    return _finish(
        row,
        token,
        Row.Status.FAILED,
        error="; ".join(errors) or "no channel",
        subject=message.title,
    )


def candidates(row: OutboxMessage) -> list[str]:
    """Channels in order: the row's own, then the person's preferred platform, their other
    platforms, email last. Channels that already failed for good are skipped."""
    if row.recipient is None:
        return [Row.EMAIL]
    person = row.recipient
    platforms = sorted(
        PlatformAccount.objects.filter(person=person).values_list("platform", flat=True)
    )
    order = [row.channel, person.preferred_platform, *platforms, Row.EMAIL]
    tried = set(row.tried_channels or [])
    seen: list[str] = []
    for channel in order:
        if not channel or channel in seen or (channel in tried and channel != row.channel):
            continue
        if channel != Row.EMAIL and channel not in platforms:
            continue
        seen.append(channel)
    return seen


def send_on(channel: str, row: OutboxMessage, message: Message) -> str:
    if channel == Row.EMAIL:
        return _email(row, message)
    assert row.recipient is not None
    installation = (
        Installation.objects.select_related("credential")
        .filter(tenant_id=row.recipient.tenant_id, platform=channel, is_active=True)
        .first()
    )
    if installation is None:
        raise Unusable("Mio is not installed there")
    if installation.credential and installation.credential.state in BROKEN_BOT_STATES:
        raise Unusable(f"the bot's credential is {installation.credential.state}")
    account = PlatformAccount.objects.filter(person=row.recipient, platform=channel).first()
    if account is None:
        raise Unusable("the person has no account there")
    try:
        result = get_adapter(channel).send(installation, account, message)
    except PlatformError as exc:
        if exc.transient:
            raise Transient(str(exc)) from exc
        raise Unusable(f"{exc} ({exc.evidence.error or exc.evidence.http_status})") from exc
    except Exception as exc:  # an adapter bug must not stop the fallback to other channels
        log.exception("sending outbox row %s on %s failed", row.pk, channel)
        raise Unusable(repr(exc)) from exc
    if result.conversation_id and result.conversation_id != account.conversation_id:
        PlatformAccount.objects.filter(pk=account.pk).update(conversation_id=result.conversation_id)
    return result.message_id or ""


def _email(row: OutboxMessage, message: Message) -> str:
    if row.recipient is not None:
        to = [row.recipient.email]
    elif row.recipient_email:
        to = [row.recipient_email]
    else:
        to = [email for _, email in settings.ADMINS]
    if not to:
        # No operator address configured: the log is the operator's channel.
        log.error("operator alert (no ADMINS set): %s\n%s", message.title, message.plain_text())
        return "log"
    email = EmailMessage(
        subject=message.title,
        body=message.plain_text(),
        to=to,
        headers={"X-Mio-Idempotency-Key": row.idempotency_key},
    )
    try:
        email.send()
    except OSError as exc:  # SMTP trouble: try again later
        raise Transient(f"email: {exc!r}") from exc
    return f"email:{row.idempotency_key}"


def backoff(attempts: int) -> float:
    base = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    capped = min(base, settings.NOTIFY_RETRY_MAX_SECONDS)
    return capped * _rng.uniform(0.5, 1.0)  # jitter: retries of one outage spread out


def _switch(row: OutboxMessage, token: str, channel: str) -> None:
    tried = [*(row.tried_channels or []), row.channel]
    Row.objects.filter(pk=row.pk, claim_token=token).update(
        channel=channel, tried_channels=tried, attempts=1
    )
    row.channel, row.tried_channels, row.attempts = channel, tried, 1


def _retry_later(row: OutboxMessage, token: str, error: str, *, delay: float | None = None) -> str:
    wait = backoff(row.attempts) if delay is None else delay
    Row.objects.filter(pk=row.pk, claim_token=token, status=Row.Status.SENDING).update(
        status=Row.Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
        claimed_until=None,
        claim_token="",
        last_error=error[:2000],
    )
    return Row.Status.PENDING


def schedule_retry_now(row: OutboxMessage, token: str, error: str) -> None:
    """Back to pending at once (recovery found that nothing left), and queue its delivery."""
    from notifications.outbox import schedule_delivery

    _retry_later(row, token, error, delay=0)
    schedule_delivery(row.pk)


def _finish(
    row: OutboxMessage,
    token: str,
    status: str,
    *,
    provider_id: str = "",
    error: str = "",
    subject: str = "",
) -> str:
    now = timezone.now()
    fields: dict[str, object] = {"status": status, "claimed_until": None, "claim_token": ""}
    if subject:
        fields["subject"] = subject[:300]
    if status == Row.Status.SENT:
        fields.update(sent_at=now, provider_message_id=provider_id[:256])
    if error:
        fields["last_error"] = error[:2000]
    done = Row.objects.filter(pk=row.pk, claim_token=token, status=Row.Status.SENDING).update(
        **fields
    )
    if done and status == Row.Status.SENT:
        mark_prompted(row, now)
    return status if done else "lost-claim"


def mark_prompted(row: OutboxMessage, at: object) -> None:
    """Reminders and escalation count from the first prompt that actually went out."""
    if row.incident_id and row.kind == Row.Kind.PROMPT:
        from notifications.models import Incident

        Incident.objects.filter(pk=row.incident_id, prompted_at__isnull=True).update(prompted_at=at)
