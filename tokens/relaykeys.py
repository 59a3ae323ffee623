"""Per-tenant relay API keys. Only a SHA-256 of each key is stored.

The audited lifecycle (create, revoke) and request authentication with scopes, rate limit and
usage counts live in ``api.keys``; this module is the storage underneath.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Tenant
from mio_heal.compiled import CompiledQuery, instance
from tokens.models import RelayApiKey, all_relay_scopes

PREFIX = "mio_relay_"
# ``last_used_at`` is written at most this often per key (not once per request).
LAST_USED_EVERY = timedelta(seconds=60)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_hash = key_hash


def issue_relay_key(tenant: Tenant, name: str = "", scopes: Iterable[str] | None = None) -> str:
    """Create a key for ``tenant`` and return it: the only time it is ever seen in full.

    Without ``scopes`` the key gets all of them. Not audited: ``api.keys.create_key`` is.
    """
    key = PREFIX + secrets.token_urlsafe(32)
    RelayApiKey.objects.create(
        tenant=tenant,
        name=name[:100],
        prefix=key[: len(PREFIX) + 6],
        key_hash=key_hash(key),
        scopes=list(scopes) if scopes is not None else all_relay_scopes(),
    )
    return key


def well_formed(key: str) -> bool:
    return key.startswith(PREFIX) and len(key) <= 200


def _attnames(model: type) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


KEY_FIELDS = _attnames(RelayApiKey)
TENANT_FIELDS = _attnames(Tenant)
# Every request of the relay API runs this: built and compiled once (``mio_heal.compiled``),
# still one indexed query per request, so a revoked key fails on its very next one.
_LIVE_KEY = CompiledQuery(
    lambda digest: (
        RelayApiKey.objects.filter(key_hash=digest, revoked_at__isnull=True)
        .order_by("pk")
        .values(*KEY_FIELDS, *(f"tenant__{name}" for name in TENANT_FIELDS))[:1]
    ),
    digest=str,
)


def authenticate(key: str) -> RelayApiKey | None:
    """The live key matching ``key`` (its tenant loaded), or None."""
    if not well_formed(key):
        return None
    row = _LIVE_KEY.first(digest=key_hash(key))
    if row is None:
        return None
    found = instance(RelayApiKey, KEY_FIELDS, row)
    found.tenant = instance(Tenant, TENANT_FIELDS, row, prefix="tenant__")
    note_use(found)
    return found


def note_use(found: RelayApiKey) -> None:
    """Set the key's ``last_used_at``, at most once per ``LAST_USED_EVERY``."""
    now = timezone.now()
    if found.last_used_at is None or found.last_used_at < now - LAST_USED_EVERY:
        RelayApiKey.objects.filter(pk=found.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ).update(last_used_at=now)


def revoke(key_id: int) -> bool:
    return (
        RelayApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        == 1
    )
