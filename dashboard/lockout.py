"""Sign-in lockouts that slow attackers down without handing them the account (issue 14, finding 8).

Two limits, both in the cache (``CACHES``; shared by every web process through ``CACHE_URL``):

- **by client**: allauth's own ``login_failed`` rates (``ACCOUNT_RATE_LIMITS``), whose per-key
  part counts per *account and client address* here (``AccountAdapter``), so a stranger's
  failures from elsewhere never lock the owner out; the TOTP step keeps allauth's per-user limit
  (only someone who has the password reaches it);
- **by account**, across all clients: after ``FREE_FAILURES`` wrong passwords in a row the next
  attempt must wait, and the wait doubles with every further failure (15 s, 30 s, 1 min, …, at
  most ``MAX_DELAY``). A guesser spread over many addresses gets a handful of tries a day; the
  owner waits minutes at worst, is told how long, and an operator can lift it at once
  (``manage.py unlock_login`` or the "Unlock sign-in" action on users in the admin; audited).

A successful sign-in clears the account's count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

FREE_FAILURES = 10  # above allauth's 5 per (account, address): a single client never reaches it
FIRST_DELAY = 15  # seconds
MAX_DELAY = 3600
KEEP = 24 * 3600  # a count is forgotten a day after its last failure


def _key(login: str) -> str:
    return f"mio:signin-failures:{login.strip().lower()}"


@dataclass
class State:
    failures: int = 0
    locked_until: float = 0.0


def _state(login: str) -> State:
    raw = cache.get(_key(login))
    return State(**raw) if isinstance(raw, dict) else State()


def delay_after(failures: int) -> int:
    """Seconds the account waits after its ``failures``-th failure in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_FAILURES))


def wait_left(login: str, now: float | None = None) -> int:
    """Seconds until ``login`` may try again (0: now)."""
    now = time.time() if now is None else now
    return max(0, int(_state(login).locked_until - now + 0.999))


def failed(login: str, now: float | None = None) -> int:
    """Count a wrong password for ``login``; returns the wait that now applies (seconds)."""
    now = time.time() if now is None else now
    state = _state(login)
    state.failures += 1
    delay = delay_after(state.failures)
    state.locked_until = now + delay if delay else 0.0
    cache.set(_key(login), {"failures": state.failures, "locked_until": state.locked_until}, KEEP)
    return delay


def succeeded(login: str) -> None:
    cache.delete(_key(login))


def unlock(login: str) -> bool:
    """Lift the lock and forget the count (the operator's way). True if there was one."""
    had = cache.get(_key(login)) is not None
    cache.delete(_key(login))
    return had


def subject_of(login: str) -> str:
    """What is counted: the dashboard user the login names (by username or email, so switching
    between them does not reset the count), else the login as typed."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    login = (login or "").strip()
    user = (
        get_user_model()
        .objects.filter(Q(username__iexact=login) | Q(email__iexact=login))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"user:{user}" if user is not None else f"login:{login.lower()}"


def subject_of_user(user: object) -> str:
    return f"user:{getattr(user, 'pk', '')}"


def describe(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
