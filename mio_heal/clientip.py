"""The client's address, the same way everywhere (audit log, rate limits).

allauth already reads it for its own sign-in rate limit, honouring ``ALLAUTH_TRUSTED_PROXY_COUNT``
(X-Forwarded-For, counted from the right: entries a client wrote itself are never trusted) or
``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``; Mio asks allauth too, so one setting moves every limit.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, or REMOTE_ADDR when the proxy headers cannot say ("" if none)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except (ImproperlyConfigured, PermissionDenied):
        # A request that did not come through the configured proxies (fewer X-Forwarded-For
        # entries than proxies, no trusted header): only the socket's peer is known.
        return request.META.get("REMOTE_ADDR", "")
