"""The scheduled sweep: claim what is due, check it in parallel, record it.

One producer thread per platform claims batches of that platform's due credentials and feeds
them to the platform's bounded pool, so a slow platform never holds up the others. The sweep
ends when nothing is due any more or its time budget is spent (a scheduled run must finish
within django-q2's task timeout; the next run continues). Several workers may sweep at once:
claims make sure each credential is checked by one of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.db import connections

from mio_heal.dbpool import release as release_connection
from platforms.registry import ADAPTERS, adapter_class
from tokens import claims, conf
from tokens.models import CheckRecord
from tokens.pool import CheckPool, Stats
from tokens.ratelimit import RateLimiter

log = logging.getLogger(__name__)


def sweep(
    *,
    source: str = CheckRecord.Source.SCHEDULE,
    platforms: Iterable[str] | None = None,
    budget: timedelta | None = None,
) -> Stats:
    """Check every due credential (of ``platforms``, default all) until done or out of time."""
    budget = budget if budget is not None else conf.get("HEALTH_SWEEP_BUDGET")
    deadline = time.monotonic() + budget.total_seconds()
    limiter = RateLimiter()
    with CheckPool(source=source, limiter=limiter) as pool:
        producers = [
            threading.Thread(
                target=_produce,
                args=(platform, pool, limiter, deadline),
                name=f"claim-{platform}",
                daemon=True,
            )
            for platform in available_platforms(platforms)
        ]
        for thread in producers:
            thread.start()
        for thread in producers:
            thread.join()
    log.info("sweep done: %s", pool.stats.as_dict())
    return pool.stats


def available_platforms(platforms: Iterable[str] | None = None) -> list[str]:
    """The requested platforms whose adapter can be loaded (a missing one is logged)."""
    found = []
    for platform in platforms or ADAPTERS:
        try:
            adapter_class(platform)
        except (ImportError, AttributeError, KeyError):
            log.warning("no adapter for platform %r; its credentials are not checked", platform)
            continue
        found.append(platform)
    return found


def _produce(platform: str, pool: CheckPool, limiter: RateLimiter, deadline: float) -> None:
    try:
        while time.monotonic() < deadline:
            limiter.load_shared()
            token = claims.new_token()
            batch = claims.claim_due(token, platforms=[platform])
            if not batch:
                return
            release_connection()  # feeding the pool may block: hold no connection meanwhile
            for credential in batch:
                pool.submit(credential, token)
    except Exception:
        log.exception("sweep: claiming %s credentials failed", platform)
    finally:
        connections.close_all()
