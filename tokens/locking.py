"""A per-credential refresh lock that works the same on SQLite and PostgreSQL.

A conditional UPDATE that must change exactly one row takes the lock; it lapses by itself after
``ttl`` so a worker that dies mid-refresh blocks nobody for long. Whoever gets the lock re-reads
the credential: if another worker refreshed it meanwhile, there is nothing left to do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from tokens.models import Credential


class LockBusy(Exception):
    """Another worker held the refresh lock for longer than we were willing to wait."""


@contextmanager
def refresh_lock(
    credential_id: int, *, ttl: float = 60.0, wait: float = 15.0, poll: float = 0.05
) -> Iterator[Credential]:
    deadline = time.monotonic() + wait
    while True:
        now = timezone.now()
        taken = (
            Credential.objects.filter(pk=credential_id)
            .filter(Q(refresh_locked_until__isnull=True) | Q(refresh_locked_until__lt=now))
            .update(refresh_locked_until=now + timedelta(seconds=ttl))
        )
        if taken == 1:
            break
        if time.monotonic() >= deadline:
            raise LockBusy(f"credential {credential_id} is being refreshed elsewhere")
        time.sleep(poll)
    try:
        yield Credential.objects.get(pk=credential_id)  # the re-read after locking
    finally:
        Credential.objects.filter(pk=credential_id).update(refresh_locked_until=None)
