"""Relay API keys: creation and revocation (audited), and authenticating a request with one.

A key is 32 random bytes shown once; only its SHA-256 is stored (``tokens.relaykeys``). Each
key carries scopes; every authenticated request is checked against the key's per-minute rate
limit and counted in its day's ``KeyUse`` row. A revoked key fails on its very next request:
nothing about keys is cached.

The rate limit is a fixed one-minute window counted in Django's cache: per process with the
default local-memory cache, shared by every process once ``CACHE_URL`` names Redis.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from accounts.models import Tenant
from api.models import KeyUse
from audit.records import record
from tokens import relaykeys
from tokens.models import RelayApiKey

SCOPES: dict[str, str] = {
    "tokens:read": "Take access tokens to send as a person (POST /api/v1/tokens/)",
    "events:write": "Report send outcomes and failures (relay-events, relay-failures)",
    "read": "Read accounts and incidents",
}
DEFAULT_RATE_PER_MINUTE = 6000


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(f"this key lacks the '{scope}' scope")
        self.scope = scope


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many requests for this key; slow down")
        self.retry_after = retry_after


def clean_scopes(scopes: Iterable[str] | None) -> list[str]:
    """The scopes asked for, in canonical order; all of them when none are named."""
    chosen = set(scopes or SCOPES)
    unknown = chosen - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s) {sorted(unknown)}; choose from {list(SCOPES)}")
    return [s for s in SCOPES if s in chosen]


def _audit(
    action: str,
    key: RelayApiKey,
    request: HttpRequest | None,
    actor: str,
    detail: dict[str, Any],
) -> None:
    record(request, action, tenant_id=key.tenant_id, target=key, detail=detail, actor=actor)


def create_key(
    tenant: Tenant,
    name: str = "",
    scopes: Iterable[str] | None = None,
    *,
    request: HttpRequest | None = None,
    actor: str = "",
) -> tuple[RelayApiKey, str]:
    """A new key for ``tenant``: (its row, the key in full — shown once, never stored)."""
    chosen = clean_scopes(scopes)
    with transaction.atomic():
        secret = relaykeys.issue_relay_key(tenant, name, chosen)
        key = RelayApiKey.objects.get(key_hash=relaykeys.key_hash(secret))
        _audit("relay_key.create", key, request, actor, {"name": key.name, "scopes": chosen})
    return key, secret


def revoke_key(key: RelayApiKey, *, request: HttpRequest | None = None, actor: str = "") -> bool:
    """Revoke ``key`` (audited). False when it was revoked already."""
    with transaction.atomic():
        done = relaykeys.revoke(key.pk)
        if done:
            _audit("relay_key.revoke", key, request, actor, {"name": key.name})
    return done


def take_slot(key: RelayApiKey, now: float | None = None) -> int:
    """Count one request against the key's minute; seconds to wait when over the limit, else 0."""
    limit = int(getattr(settings, "RELAY_API_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE))
    if limit <= 0:
        return 0
    now = time.time() if now is None else now
    window = int(now // 60)
    name = f"relay-key-rate:{key.pk}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        used = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=120)
        used = 1
    if used > limit:
        return max(1, 60 * (window + 1) - int(now))
    return 0


# Use counts are added up in the process and written at most every RELAY_KEY_USE_FLUSH seconds
# per key (and at exit): one hot row updated by every request of a busy key would serialise
# them all on its lock. A crash loses at most those seconds of counting, never a request.
_pending: dict[tuple[str, int, date], int] = {}  # (key hash, key id, day) -> uses
_flushed_at: dict[str, float] = {}  # key hash -> when its counts were last written
_pending_lock = threading.Lock()


def count_use(key: RelayApiKey) -> None:
    """One more request in the key's count for today (UTC)."""
    slot = (key.key_hash, key.pk, timezone.now().date())
    every = float(getattr(settings, "RELAY_KEY_USE_FLUSH", 5.0))
    now = time.monotonic()
    with _pending_lock:
        _pending[slot] = _pending.get(slot, 0) + 1
        if now - _flushed_at.get(key.key_hash, float("-inf")) < every:
            return
        _flushed_at[key.key_hash] = now
        batch = {k: _pending.pop(k) for k in [k for k in _pending if k[0] == key.key_hash]}
    for (key_hash, key_id, day), n in batch.items():
        _add_uses(key_hash, key_id, day, n)


def flush_uses() -> None:
    """Write every count still held in this process (at exit, and in tests)."""
    with _pending_lock:
        batch = dict(_pending)
        _pending.clear()
    for (key_hash, key_id, day), n in batch.items():
        _add_uses(key_hash, key_id, day, n)


def _add_uses(key_hash: str, key_id: int, day: date, n: int) -> None:
    if not RelayApiKey.objects.filter(pk=key_id, key_hash=key_hash).exists():
        return  # deleted meanwhile
    if KeyUse.objects.filter(key_id=key_id, day=day).update(count=F("count") + n):
        return
    try:
        with transaction.atomic():
            KeyUse.objects.create(key_id=key_id, day=day, count=n)
    except IntegrityError:  # another process created the day's row meanwhile
        KeyUse.objects.filter(key_id=key_id, day=day).update(count=F("count") + n)


def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # the database may be gone already
        flush_uses()


atexit.register(_flush_at_exit)


def admit(request: HttpRequest, key: RelayApiKey, scope: str) -> RelayApiKey:
    """Let ``key`` in for ``scope``: the scope, the rate limit, the use count; on the request."""
    if scope not in (key.scopes or []):
        raise MissingScope(scope)
    wait = take_slot(key)
    if wait:
        raise RateLimited(wait)
    count_use(key)
    request.relay_key = key  # type: ignore[attr-defined]
    return key


class KeyAuth(HttpBearer):
    """``Authorization: Bearer <key>`` holding ``scope``; the key lands on ``request.relay_key``."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> RelayApiKey | None:
        key = relaykeys.authenticate(token.strip())
        if key is None:
            return None
        return admit(request, key, self.scope)


class DeferredKeyAuth(KeyAuth):
    """For an operation that looks its key up together with what it reads, in one query (the
    token API, the relay's hot path). Here only the key's form is checked; the operation must
    then call ``admit`` with the key it found (the same checks as ``KeyAuth``: live, scope,
    rate limit, use count), or raise ``AuthenticationError``."""

    def authenticate(self, request: HttpRequest, token: str) -> str | None:  # type: ignore[override]
        token = token.strip()
        return token if relaykeys.well_formed(token) else None
