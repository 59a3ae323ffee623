"""Delivering outbox rows: claim, send through the platform adapter, record; retry; fall back.

Idempotency — why a crash between sending and recording never double-sends:

1. **Claim** (``claim``): a conditional UPDATE moves the row ``pending -> sending`` with a fresh
   claim token and a lease (``claimed_until``). It runs in autocommit, so the mark is durable
   *before* any HTTP call. The channel about to be used is stored in the row, also before the
   call, so whoever finds the row later knows where it may have gone. The lease is renewed
   while the worker lives (``notifications.lease``): only a dead worker's lease runs out.
2. **Send** with ``Message.idempotency_key`` = the row's UNIQUE key. The adapters put the key in
   the payload they send (the sandbox keeps every payload exactly as received).
3. **Record** (``_finish``): a conditional UPDATE ``sending -> sent`` that must match the claim
   token, so a worker whose lease ran out can never overwrite a newer outcome.

A worker killed between 2 and 3 leaves the row ``sending`` with a lapsed lease. Recovery
(``notifications.recovery``) never resends blindly: it asks the channel whether a message with
that key arrived — delivered: record it as sent; not delivered: back to pending, sending is safe;
the channel cannot tell (email; a platform without a history lookup): ``unconfirmed``, not
resent. That last case is deliberately at-most-once: a duplicate prompt is noise the person
sees twice, while a lost one is covered by the reminder schedule (an unconfirmed prompt counts
as prompted) and shown to admins, who can resend it. None of the four platforms offers an
idempotent bot send, so asking is the only way to be exactly-once; see
``recovery.delivered_upstream`` for how each channel is asked.

The same holds for a send that failed *after* the request left (a read timeout, a connection
reset while waiting, a 5xx from the send endpoint: ``notifications.ambiguity``): the platform may
have stored the message before failing. The channel is asked at once; when it has the message
the row is sent, when it cannot tell the row is ``unconfirmed``, and when it does not have it
(yet: the platform may still be processing) the row is left ``sending`` to recovery, which asks
again once ``NOTIFY_VERIFY_AFTER_SECONDS`` have passed and resends only if it is still not there.

Retries: a clear transient failure (429, a refused connection, a 5xx before the send call) puts
the row back to ``pending`` with an exponential backoff with jitter; after
``NOTIFY_MAX_ATTEMPTS`` on one channel, or at once on a permanent failure (the bot itself is the
broken part), the next channel is tried: the one the row started with, the person's preferred
platform, their other platforms whose bot works, then email. A row that reached nobody goes up
at once (``notifications.unreached``). One delivery starts no new channel after
``deliver_budget()`` seconds: it hands the row, switched to that channel, back to the
dispatcher, so a task never runs into django-q's timeout.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from notifications import lease, unreached
from notifications.channels import MaybeSent, Transient, Unusable, candidates, send_on
from notifications.models import OutboxMessage
from notifications.texts import compose

log = logging.getLogger(__name__)
Row = OutboxMessage
_rng = random.SystemRandom()

# Seconds to wait between a successful send and its record. Zero except in the crash test,
# which sets it (``deliver_prompts --pause-after-send``) to kill the worker inside that window.
PAUSE_AFTER_SEND = 0.0
# The claim token of a row whose send may have arrived, waiting for recovery to ask again.
SETTLING = "settling"

__all__ = ["Transient", "Unusable", "candidates", "deliver", "send_on"]


def deliver_budget() -> float:
    """Seconds after which one delivery starts no further channel (a fifth of the task
    timeout: the channel in progress may still take its own HTTP timeouts)."""
    return float(settings.Q_CLUSTER.get("timeout") or 300) / 5


def verify_after() -> float:
    return float(getattr(settings, "NOTIFY_VERIFY_AFTER_SECONDS", 60))


def claim(row_id: int) -> str | None:
    token = secrets.token_hex(8)
    now = timezone.now()
    taken = Row.objects.filter(
        pk=row_id, status=Row.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=Row.Status.SENDING,
        claim_token=token,
        claimed_until=lease.until(),
        attempts=F("attempts") + 1,
    )
    return token if taken == 1 else None


def deliver(row_id: int) -> str:
    """The django-q task: deliver one row if it is due and nobody else holds it; its status."""
    token = claim(row_id)
    if token is None:
        return "skipped"
    with lease.Lease(row_id, token) as held:
        return _deliver(row_id, token, held)


def _deliver(row_id: int, token: str, held: lease.Lease) -> str:
    row = Row.objects.select_related(
        "tenant", "recipient__tenant", "incident__account__person", "incident__tenant"
    ).get(pk=row_id)
    try:
        message = compose(row)
    except Exception as exc:  # the data it needed is gone or wrong: retrying won't help
        log.exception("outbox row %s could not be composed", row_id)
        return _finish(row, token, Row.Status.FAILED, error=f"compose: {exc!r}")
    started = time.monotonic()
    errors: list[str] = []
    for channel in candidates(row):
        if channel != row.channel:
            if not held.renew():
                return "lost-claim"  # recovery took the row over: its outcome stands
            if time.monotonic() - started > deliver_budget():
                return _hand_over(row, token, channel, errors)
            _switch(row, token, channel)
        elif row.attempts > settings.NOTIFY_MAX_ATTEMPTS:
            # Resent after recovery found nothing, more often than a channel is tried.
            errors.append(f"{channel}: gave up after {row.attempts - 1} attempts")
            continue
        try:
            provider_id = send_on(channel, row, message)
        except MaybeSent as exc:
            return _maybe_sent(row, token, f"{channel}: {exc}", message.title)
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


def _maybe_sent(row: OutboxMessage, token: str, error: str, subject: str) -> str:
    """The send may have arrived: ask the channel before anything is sent again."""
    from notifications.recovery import CannotAskNow, delivered_upstream

    try:
        arrived = delivered_upstream(row)
    except CannotAskNow as exc:
        log.warning("outbox row %s: cannot ask %s yet: %s", row.pk, row.channel, exc)
        arrived = False
    if arrived is True:
        return _finish(
            row,
            token,
            Row.Status.SENT,
            provider_id="confirmed",
            subject=subject,
            error=f"{error}; the platform has it all the same",
        )
    if arrived is None:
        return _finish(
            row,
            token,
            Row.Status.UNCONFIRMED,
            subject=subject,
            error=f"{error}; {row.channel} cannot say whether it arrived, so it is not resent",
        )
    # Not there, or not yet: the platform may still be storing it. Recovery asks again later.
    Row.objects.filter(pk=row.pk, claim_token=token, status=Row.Status.SENDING).update(
        claim_token=SETTLING,
        claimed_until=timezone.now() + timedelta(seconds=verify_after()),
        last_error=f"{error}; may have arrived: to be checked before any resend"[:2000],
        subject=subject[:300],
    )
    return "verifying"


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


def _hand_over(row: OutboxMessage, token: str, channel: str, errors: list[str]) -> str:
    """Out of time for this task: the next delivery starts on ``channel``, now."""
    tried = [*(row.tried_channels or []), row.channel]
    Row.objects.filter(pk=row.pk, claim_token=token, status=Row.Status.SENDING).update(
        status=Row.Status.PENDING,
        channel=channel,
        tried_channels=tried,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_until=None,
        claim_token="",
        last_error="; ".join([*errors, f"continued on {channel} in the next delivery"])[:2000],
    )
    return Row.Status.PENDING


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
    if not done:
        return "lost-claim"
    # Sent, maybe sent, or tried for good: the reminder schedule starts either way, so no
    # prompt is left without a follow-up (an unconfirmed one is re-asked by the reminder).
    unreached.mark_prompted(row, now)
    if status == Row.Status.FAILED:
        unreached.on_failed(row, error)
    return status
