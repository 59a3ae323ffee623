"""A rate limit per (platform, workspace), and Retry-After honoured across workers.

Platforms limit per app *and* workspace/tenant/account (Slack's tiers per workspace, Graph per
tenant, Zoom per account), so a sweep must not spend one tenant's budget at full speed while
others are idle. Within a worker a token bucket per key spaces the calls; a Retry-After from the
platform blocks the key until then — in this worker at once, and in every worker through a
``WorkspaceBackoff`` row, which sweeps read once per claimed batch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tokens import conf
from tokens.models import WorkspaceBackoff

Key = tuple[str, str]  # (platform, workspace id)


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    blocked_until: float = 0.0  # time.monotonic() deadline from a Retry-After


class RateLimiter:
    """Thread-safe token buckets, one per (platform, workspace)."""

    def __init__(self) -> None:
        self._buckets: dict[Key, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: Key) -> float:
        """Take one call's slot for ``key``; return how many seconds to wait before making it."""
        rate = float(conf.per_platform("HEALTH_RATE_LIMIT", key[0]) or 0)
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=max(rate, 1.0), stamp=now)
            blocked = max(0.0, bucket.blocked_until - now)
            if rate <= 0:
                return blocked
            # Refill since the last call, up to one second's worth (the burst).
            bucket.tokens = min(max(rate, 1.0), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            bucket.tokens -= 1.0
            wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / rate
            return max(wait, blocked)

    def block(self, key: Key, seconds: float) -> None:
        until = time.monotonic() + seconds
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(tokens=0.0, stamp=time.monotonic()))
            bucket.blocked_until = max(bucket.blocked_until, until)

    def blocked_for(self, key: Key) -> float:
        with self._lock:
            bucket = self._buckets.get(key)
            return max(0.0, bucket.blocked_until - time.monotonic()) if bucket else 0.0

    def load_shared(self, now: datetime | None = None) -> None:
        """Adopt the Retry-After blocks other workers recorded (one small query)."""
        now = now or timezone.now()
        for row in WorkspaceBackoff.objects.filter(until__gt=now):
            self.block((row.platform, row.workspace_id), (row.until - now).total_seconds())


def share_block(key: Key, seconds: float) -> None:
    """Tell every worker to leave ``key`` alone for ``seconds`` (Retry-After)."""
    until = timezone.now() + timedelta(seconds=seconds)
    platform, workspace = key[0], key[1][:128]
    # Write first, never read-then-write in one transaction: on SQLite a transaction that read
    # and then wants to write while another thread writes fails at once ("database is locked").
    rows = WorkspaceBackoff.objects.filter(platform=platform, workspace_id=workspace)
    if rows.filter(until__lt=until).update(until=until) or rows.exists():
        return
    try:
        with transaction.atomic():  # a savepoint when a caller's transaction is open
            WorkspaceBackoff.objects.create(platform=platform, workspace_id=workspace, until=until)
    except IntegrityError:  # another worker recorded it meanwhile
        rows.filter(until__lt=until).update(until=until)


def expired_backoffs() -> QuerySet[WorkspaceBackoff]:
    return WorkspaceBackoff.objects.filter(until__lt=timezone.now())


def purge_backoffs() -> int:
    return expired_backoffs().delete()[0]
