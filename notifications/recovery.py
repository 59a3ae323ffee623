"""Rows a dead worker left in ``sending``: ask the channel whether the message arrived.

See ``notifications.delivery`` for the whole idempotency design. Asking works like this:

- an adapter that can look a sent message up by its key (``find_sent``, see
  ``platforms.base``) is asked through the platform's own API, in production and in the
  sandbox alike: **Slack** (``conversations.history`` of the bot's DM, with message metadata)
  and **Webex** (``GET /v1/messages/direct``, the card's key). Its transient failure means
  "ask again at the next pass"; any other failure means it cannot tell;
- a platform without one (**Teams**, **Zoom**) is asked only in sandbox mode, through the
  sandbox's record of what it received (the inbox, where each payload is kept exactly as the
  platform got it, idempotency key included): a test-only shortcut;
- otherwise (email; Teams and Zoom in production; a platform that cannot tell) the answer is
  "unknown", and the row is marked ``unconfirmed`` rather than resent: at most once (an
  unconfirmed prompt still starts the reminder schedule, see ``notifications.unreached``).

Rows get here two ways: a worker died mid-send (its lease ran out), or a send failed in a way
that may have delivered it and the channel did not have it yet (``delivery._maybe_sent`` left
it ``sending`` for ``NOTIFY_VERIFY_AFTER_SECONDS``).
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone

from notifications.delivery import Row, _finish, schedule_retry_now
from notifications.models import OutboxMessage
from platforms.base import PlatformAdapter
from platforms.errors import PlatformError
from platforms.registry import get_adapter
from tokens.models import Installation, PlatformAccount

log = logging.getLogger(__name__)
# How much earlier than its row a message may look to the platform (its clock against ours).
LOOKUP_CLOCK_SKEW = timedelta(minutes=10)


class CannotAskNow(Exception):
    """The channel could not be asked right now; try again at the next recovery pass."""


def recover_stuck(now: datetime | None = None, *, deadline: float | None = None) -> dict[str, int]:
    """Settle rows left in ``sending`` (a dead worker's, or a send whose answer was lost);
    stops taking new rows at ``deadline`` (``time.monotonic()``), the rest wait a pass."""
    now = now or timezone.now()
    counts = {"sent": 0, "resent": 0, "unconfirmed": 0, "later": 0}
    stuck = Row.objects.filter(status=Row.Status.SENDING, claimed_until__lt=now).order_by("pk")
    for row in stuck.select_related("recipient")[:500]:
        if deadline is not None and time.monotonic() > deadline:
            break
        token = secrets.token_hex(8)
        lease = now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)
        taken = Row.objects.filter(
            pk=row.pk,
            status=Row.Status.SENDING,
            claim_token=row.claim_token,
            claimed_until__lt=now,
        ).update(claim_token=token, claimed_until=lease)
        if not taken:
            continue  # another recovering worker has it
        try:
            _settle(row, token, now, counts)
        except Exception:
            # One row the database (or its channel) fails on must not hold up the rest: it
            # keeps the lease just taken, and the next pass takes it again once that lapses.
            log.exception("outbox row %s: recovery failed; retried when its lease lapses", row.pk)
            counts["failed"] = counts.get("failed", 0) + 1
    return counts


def _settle(row: OutboxMessage, token: str, now: datetime, counts: dict[str, int]) -> None:
    """Ask the channel about one taken-over row and record what it says."""
    try:
        arrived = delivered_upstream(row)
    except CannotAskNow as exc:
        log.warning("outbox row %s: cannot ask %s yet: %s", row.pk, row.channel, exc)
        Row.objects.filter(pk=row.pk, claim_token=token).update(claimed_until=now)
        counts["later"] += 1
        return
    if arrived is True:
        _finish(row, token, Row.Status.SENT, provider_id="recovered")
        counts["sent"] += 1
    elif arrived is False:
        schedule_retry_now(row, token, f"{row.channel} does not have it; resending")
        counts["resent"] += 1
    else:
        _finish(
            row,
            token,
            Row.Status.UNCONFIRMED,
            error=f"the send was cut off; {row.channel} cannot say whether it arrived",
        )
        counts["unconfirmed"] += 1


def delivered_upstream(row: OutboxMessage) -> bool | None:
    """True/False when the channel can say whether ``row``'s key arrived; None when it can't.

    Raises ``CannotAskNow`` when the channel could be asked, but not right now."""
    if row.channel == Row.EMAIL or row.recipient is None:
        return None
    account = PlatformAccount.objects.filter(person=row.recipient, platform=row.channel).first()
    if account is None:
        return None
    adapter = get_adapter(row.channel)
    if callable(getattr(adapter, "find_sent", None)):
        installation = (
            Installation.objects.select_related("credential")
            .filter(tenant_id=row.recipient.tenant_id, platform=row.channel, is_active=True)
            .first()
        )
        if installation is None:
            return None  # no bot there to ask with
        # The message left after its row was written: the platform need read no further back
        # (less a margin for the two clocks).
        since = row.created_at - LOOKUP_CLOCK_SKEW if row.created_at else None
        return ask_platform(adapter, installation, account, row.idempotency_key, since=since)
    if settings.SANDBOX_ENABLED:
        emails = {account.email, row.recipient.email} - {""}
        return any(_sandbox_has(row.channel, email, row.idempotency_key) for email in emails)
    return None


def ask_platform(
    adapter: PlatformAdapter,
    installation: Installation,
    account: PlatformAccount,
    key: str,
    *,
    since: datetime | None = None,
) -> bool | None:
    """The adapter's ``find_sent``, its failures read for recovery: a transient one is
    ``CannotAskNow`` (the next pass asks again), any other means the platform cannot tell."""
    try:
        return bool(adapter.find_sent(installation, account, key, since=since))
    except PlatformError as err:
        if err.transient:
            raise CannotAskNow(f"{err}: {err.evidence.description}") from err
        log.warning(
            "%s cannot say whether message %s arrived: %s (%s)",
            adapter.key,
            key,
            err.evidence.error,
            err.evidence.description,
        )
        return None


def _sandbox_has(platform: str, email: str, key: str) -> bool:
    http = requests.Session()
    http.trust_env = False
    try:
        response = http.get(
            f"{settings.SANDBOX_URL}/api/inbox",
            params={"platform": platform, "user": email},
            timeout=settings.PLATFORM_HTTP_TIMEOUT,
        )
        response.raise_for_status()
        delivered = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise CannotAskNow(repr(exc)) from exc
    # The key travels in the payload (Slack metadata, Teams activity id, Webex card) or, for
    # Zoom, in a request header the sandbox keeps with the message's content type.
    return any(
        key in str(item.get("payload", "")) or key in str(item.get("content_type", ""))
        for item in delivered
    )
