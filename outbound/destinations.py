"""Where webhooks may go: no private, loopback or link-local addresses in production (SSRF).

A tenant admin types the URL; without this check they could make Mio's servers call its own
network (metadata services, databases, admin ports). Checked when the endpoint is saved and
again before every delivery (DNS can change). Allowed anyway when ``DEBUG`` is on (the embedded
demo) or the operator sets ``OUTBOUND_WEBHOOKS_ALLOW_PRIVATE`` (an internal relay).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class Refused(ValueError):
    pass


def private_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "OUTBOUND_WEBHOOKS_ALLOW_PRIVATE", False))


def check(url: str) -> None:
    """Raise ``Refused`` unless ``url`` is an http(s) URL Mio may call."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise Refused("the URL must not carry credentials")
    if not settings.DEBUG and parts.scheme != "https" and not private_allowed():
        raise Refused("webhook URLs must use https://")
    if private_allowed():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"the host {parts.hostname!r} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise Refused(
                f"{parts.hostname} resolves to a private or reserved address ({address}); "
                "the operator must set OUTBOUND_WEBHOOKS_ALLOW_PRIVATE to allow it"
            )
