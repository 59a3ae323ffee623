"""Per-tenant keys for the relay's failure reports. Only a SHA-256 of each key is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from accounts.models import Tenant
from tokens.models import RelayApiKey

PREFIX = "mio_relay_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_relay_key(tenant: Tenant, name: str = "") -> str:
    """Create a key for ``tenant`` and return it: the only time it is ever seen in full."""
    key = PREFIX + secrets.token_urlsafe(32)
    RelayApiKey.objects.create(
        tenant=tenant, name=name[:100], prefix=key[: len(PREFIX) + 6], key_hash=_hash(key)
    )
    return key


def authenticate(key: str) -> RelayApiKey | None:
    """The live key matching ``key`` (its tenant loaded), or None."""
    if not key.startswith(PREFIX) or len(key) > 200:
        return None
    found = (
        RelayApiKey.objects.select_related("tenant")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if found is not None:
        RelayApiKey.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found


def revoke(key_id: int) -> bool:
    return (
        RelayApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        == 1
    )
