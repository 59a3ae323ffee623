"""Sending one delivery: claim it, sign it (Standard Webhooks), POST it, log the attempt.

At least once: a delivery stays pending until the endpoint answers 2xx; every attempt sends the
same ``webhook-id`` and body (receivers de-duplicate on the id). Failures retry with exponential
backoff over about a day (``OUTBOUND_WEBHOOK_RETRY_DELAYS``), then the delivery is ``failed``
(an admin can send it again). An endpoint that has answered nothing but failures for
``OUTBOUND_WEBHOOK_DISABLE_AFTER`` is disabled and its tenant's admins are told; its pending
deliveries wait, and go out once it is enabled again.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from outbound import destinations
from outbound.models import Attempt, Delivery, Endpoint
from tokens.secret import reveal

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, … failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 10 h — eight attempts over about 27 hours (the schedule Svix documents for its senders).
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
DISABLE_AFTER = timedelta(days=1)
TIMEOUT = 10.0
CLAIM = timedelta(minutes=2)


def _setting(name: str, default):
    return getattr(settings, name, default)


def signature(endpoint: Endpoint, msg_id: str, at: datetime, body: str) -> str:
    """``v1,<sig>`` with the current secret, and with the previous one during its overlap."""
    secrets = [reveal(endpoint.secret)]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and at < endpoint.previous_secret_until
    ):
        secrets.append(reveal(endpoint.previous_secret))
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets if s)


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take the delivery if it is due and nobody else is sending it (one conditional UPDATE)."""
    won = (
        Delivery.objects.filter(
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM)
    )
    if not won:
        return None
    return Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id)


def send(delivery_id: int, session: requests.Session | None = None) -> Attempt | None:
    """One attempt at ``delivery_id`` if it is due; None when it was not ours to send."""
    now = timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint, event = delivery.endpoint, delivery.event
    at = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": "Mio-Auto-Heal-Webhooks/1",
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(endpoint, event.webhook_id, at, event.body),
    }
    status, error = None, ""
    started = time.monotonic()
    try:
        destinations.check(endpoint.url)
        http = session or _session()
        response = http.post(
            endpoint.url,
            data=event.body.encode(),
            headers=headers,
            timeout=float(_setting("OUTBOUND_WEBHOOK_TIMEOUT", TIMEOUT)),
            allow_redirects=False,  # a redirect could lead anywhere, past the destination check
        )
        status = response.status_code
        response.close()
    except destinations.Refused as exc:
        error = str(exc)
    except requests.Timeout:
        error = "timed out"
    except requests.RequestException as exc:
        error = f"network: {type(exc).__name__}"
    latency = int((time.monotonic() - started) * 1000)
    attempt = Attempt.objects.create(
        delivery=delivery, status_code=status, latency_ms=latency, error=error[:300]
    )
    if attempt.ok:
        _succeeded(delivery, endpoint, status)
    else:
        _failed(delivery, endpoint, status)
    return attempt


def _session() -> requests.Session:
    http = requests.Session()
    http.trust_env = False  # no proxy or CA override from the environment
    return http


def _succeeded(delivery: Delivery, endpoint: Endpoint, status: int | None) -> None:
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DELIVERED,
        attempts=delivery.attempts + 1,
        delivered_at=now,
        last_status_code=status,
        claimed_until=None,
    )
    if endpoint.failing_since is not None:
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)


def _failed(delivery: Delivery, endpoint: Endpoint, status: int | None) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    delays = list(_setting("OUTBOUND_WEBHOOK_RETRY_DELAYS", RETRY_DELAYS))
    fields: dict = {"attempts": attempts, "last_status_code": status, "claimed_until": None}
    if attempts > len(delays):
        fields["status"] = Delivery.Status.FAILED
    else:
        delay = float(delays[attempts - 1]) * random.uniform(0.9, 1.1)  # noqa: S311  (spread)
        fields["next_attempt_at"] = now + timedelta(seconds=delay)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    endpoint.refresh_from_db(fields=["failing_since", "is_active"])
    limit = _setting("OUTBOUND_WEBHOOK_DISABLE_AFTER", DISABLE_AFTER)
    if endpoint.is_active and endpoint.failing_since and now - endpoint.failing_since >= limit:
        from outbound.endpoints import disable_failing

        disable_failing(endpoint)
