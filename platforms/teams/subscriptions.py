"""The ``clientState`` of Mio's Graph subscriptions: one secret per subscription, not one for all.

Graph signs no lifecycle notification; it proves itself by echoing the ``clientState`` given
when the subscription was made (https://learn.microsoft.com/graph/change-notifications-lifecycle-
events, "Responding to lifecycle notifications": check ``clientState``). With one shared value,
whoever learns it from any one subscription could forge notifications about every tenant. So
each subscription (Mio keeps one per Entra tenant) gets its own value, derived from the
operator's ``GRAPH_CLIENT_STATE`` key and the tenant id: an HMAC, so the key itself never leaves
Mio, nothing needs storing, and a value seen in one tenant says nothing about another's.
``manage.py graph_client_state <tenant id>`` prints the value to subscribe with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings

# Graph accepts up to 128 characters; 43 base64url characters carry the whole SHA-256.
PURPOSE = b"mio:graph-subscription:"


def key() -> str:
    return str(settings.PLATFORM_APPS["teams"].get("graph_client_state") or "")


def client_state_for(tenant_id: str) -> str:
    """The clientState of the subscription for this Entra tenant ("" without a key)."""
    secret = key()
    if not secret:
        return ""
    digest = hmac.new(
        secret.encode(), PURPOSE + tenant_id.strip().lower().encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def matches(state: object, tenant_id: object) -> bool:
    """True when ``state`` is the clientState of the subscription for ``tenant_id``."""
    if not isinstance(state, str) or not isinstance(tenant_id, str) or not tenant_id:
        return False
    expected = client_state_for(tenant_id)
    return bool(expected) and hmac.compare_digest(state.encode(), expected.encode())
