"""When to look at a credential next, from what the last check found.

- healthy: the check interval, with jitter so accounts seeded together spread out;
- transient (throttling, 5xx, network): exponential backoff with full jitter, never sooner than
  the platform's Retry-After;
- waiting on a person: slower, but still checked so a fix made elsewhere is noticed;
- and never later than the moment a proactive refresh falls due.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tokens import conf
from tokens.models import CredentialState

_rng = random.SystemRandom()

WAITING_STATES = frozenset(
    {
        CredentialState.WAITING_USER,
        CredentialState.WAITING_ADMIN,
        CredentialState.WAITING_OPERATOR,
    }
)


def jittered(interval: timedelta, fraction: float) -> timedelta:
    spread = interval.total_seconds() * fraction
    return interval + timedelta(seconds=_rng.uniform(-spread, spread))


def backoff(failures: int, retry_after: float | None = None) -> timedelta:
    """Full-jitter exponential backoff after ``failures`` consecutive transient failures."""
    base = conf.get("HEALTH_BACKOFF_BASE").total_seconds()
    cap = conf.get("HEALTH_BACKOFF_CAP").total_seconds()
    ceiling = min(cap, base * 2 ** max(0, failures - 1))
    # Half fixed, half random: never a retry storm at zero, still spread across accounts.
    delay = ceiling / 2 + _rng.uniform(0, ceiling / 2)
    if retry_after:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


def next_check_at(
    state: str,
    *,
    now: datetime,
    failures: int = 0,
    retry_after: float | None = None,
    proactive_due: datetime | None = None,
) -> datetime:
    if state == CredentialState.HEALTHY:
        when = now + jittered(conf.get("HEALTH_CHECK_INTERVAL"), conf.get("HEALTH_CHECK_JITTER"))
    elif state in WAITING_STATES:
        when = now + jittered(conf.get("HEALTH_WAITING_INTERVAL"), conf.get("HEALTH_CHECK_JITTER"))
    else:  # healing / unchecked: a machine may still fix it, so retry with backoff
        when = now + backoff(failures, retry_after)
    if proactive_due is not None and state == CredentialState.HEALTHY:
        when = min(when, max(proactive_due, now))
    return when
