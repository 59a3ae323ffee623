"""Relay evidence: a send that worked is as good as a probe, so the sweep skips that probe.

The relay reports the outcome of its sends (``POST /api/v1/relay-events/``). Each ``ok`` sets
``Credential.last_used_at``. When the scheduled sweep claims a healthy account that the relay
used successfully within ``HEALTH_CHECK_INTERVAL``, it hands the claim back with the next
check one interval after that use instead of calling the platform. Never skipped: an account
that is not healthy, one whose proactive refresh is due (an idle refresh token would die), and
checks that are not scheduled (events, relay failures, "Verify now", re-syncs).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from tokens import conf, proactive, scheduling
from tokens.checking import adapter_for
from tokens.models import CheckRecord, Credential, CredentialState


def note_relay_success(credential_ids: Iterable[int], at: datetime) -> int:
    """The relay sent with these credentials successfully at ``at``; keep the latest use."""
    ids = sorted(set(credential_ids))
    if not ids:
        return 0
    return (
        Credential.objects.filter(pk__in=ids)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=at))
        .update(last_used_at=at)
    )


def vouched_until(
    credential: Credential, source: str, now: datetime | None = None
) -> datetime | None:
    """When to look next if relay evidence makes this check unnecessary; None to check now."""
    if source != CheckRecord.Source.SCHEDULE or credential.state != CredentialState.HEALTHY:
        return None
    used = credential.last_used_at
    if used is None:
        return None
    now = now or timezone.now()
    interval = conf.get("HEALTH_CHECK_INTERVAL")
    if used + interval <= now:
        return None
    adapter = adapter_for(credential.platform)
    due = proactive.refresh_due_at(credential, adapter)
    if due is not None and due <= now:
        return None
    until = used + scheduling.jittered(interval, conf.get("HEALTH_CHECK_JITTER"))
    return min(until, due) if due is not None else until
