"""What every fake platform shares: tokens, scripted answers, faults, the inbox.

Each fake (``fakes/<platform>.py``) calls ``intercept()`` at the top of every endpoint it
serves, so ``faults`` and ``script`` work uniformly, then answers like the real platform.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import socket
import struct
import time
from datetime import timedelta
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from mio_heal.dbpool import release as release_connection
from platforms.sandbox.models import SandboxFaults, SandboxMessage, SandboxScript, SandboxToken

_rng = random.SystemRandom()


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue(
    platform: str,
    kind: str,
    user: Any,
    value: str,
    *,
    ttl: timedelta | None = None,
    meta: dict[str, Any] | None = None,
) -> str:
    """Record a token the fake platform hands out (only its hash is kept) and return it."""
    SandboxToken.objects.create(
        platform=platform,
        kind=kind,
        token_hash=token_hash(value),
        user=user,
        expires_at=timezone.now() + ttl if ttl else None,
        meta=meta or {},
    )
    return value


def find(platform: str, kind: str, value: str | None) -> SandboxToken | None:
    if not value:
        return None
    return (
        SandboxToken.objects.select_related("user")
        .filter(platform=platform, kind=kind, token_hash=token_hash(value))
        .first()
    )


def usable(token: SandboxToken | None) -> bool:
    return bool(
        token
        and not token.revoked
        and (token.expires_at is None or token.expires_at > timezone.now())
    )


def revoke(token: SandboxToken) -> bool:
    """Revoke once: True only for the caller that flipped it (rotation is single-use)."""
    return SandboxToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True) == 1


def random_token(prefix: str = "", nbytes: int = 24) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def intercept(
    request: HttpRequest, platform: str, endpoint: str, user_email: str = ""
) -> HttpResponse | None:
    """A scripted answer or an injected fault for this call, if any; else None."""
    faults = SandboxFaults.objects.filter(platform=platform).first()
    if faults is not None:
        if faults.latency_ms:
            # Simulated network latency holds no database connection (a pooled one goes back).
            release_connection()
            time.sleep(faults.latency_ms / 1000)
        if faults.error_rate and _rng.random() < faults.error_rate:
            return random_fault(request)
    return scripted(platform, endpoint, user_email)


def scripted(platform: str, endpoint: str, user_email: str = "") -> HttpResponse | None:
    candidates = SandboxScript.objects.filter(
        platform=platform, endpoint=endpoint, times_left__gt=0
    ).order_by("pk")
    for script in candidates:
        if script.user_email and script.user_email.lower() != (user_email or "").lower():
            continue
        # Consume one use atomically: two concurrent callers never both get the last one.
        used = SandboxScript.objects.filter(pk=script.pk, times_left__gt=0).update(
            times_left=F("times_left") - 1
        )
        if used != 1:
            continue
        response = HttpResponse(script.body, status=script.status, content_type="application/json")
        for name, value in (script.headers or {}).items():
            response[name] = str(value)
        return response
    return None


def random_fault(request: HttpRequest | None = None) -> HttpResponse:
    """One transient fault, picked at random: 5xx, 429 with Retry-After, an answer slower than
    the client's timeout, or a connection reset (TCP RST) before any answer."""
    kind = _rng.choice(["500", "502", "503", "429", "slow", "reset"])
    if kind == "429":
        response = JsonResponse({"error": "rate_limited"}, status=429)
        response["Retry-After"] = "1"
        return response
    if kind == "slow":
        # Longer than the adapters' timeout in the soak settings: the client gives up.
        release_connection()  # a slow answer holds no database connection either
        time.sleep(float(_fault_timeout()))
        return JsonResponse({"error": "gateway_timeout"}, status=504)
    if kind == "reset":
        return connection_reset(request)
    return JsonResponse({"error": "server_error"}, status=int(kind))


def connection_reset(request: HttpRequest | None) -> HttpResponse:
    """Abort the connection with a TCP RST, as a load balancer or a crashed peer does.

    WSGI gives an application no socket, but Django's own servers (``runserver``, the test
    live server) hand their buffered socket reader to the request as ``wsgi.input``; through it
    the connection gets ``SO_LINGER`` 0 and its descriptor is swapped (``dup2``) for a socket
    whose peer is already closed. The swap closes the last reference to the connection, so the
    kernel sends RST and the client reads ``ECONNRESET``; the server thread then writes into
    the dead stand-in, gets EPIPE (which the WSGI handler expects from clients that hang up)
    and closes it. Under any other server the fault is a 502 instead.
    """
    sock = _client_socket(request)
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            standin, peer = socket.socketpair()
            peer.close()
            os.dup2(standin.fileno(), sock.fileno())
            standin.close()
        except OSError:
            pass
    # Never read by the client once the connection is reset; under another server, where the
    # socket cannot be reached, the nearest thing: a gateway error.
    return JsonResponse({"error": "connection_reset"}, status=502)


def _client_socket(request: HttpRequest | None) -> socket.socket | None:
    stream = request.environ.get("wsgi.input") if request is not None else None
    reader = getattr(getattr(stream, "_read", None), "__self__", None)  # Django's LimitedStream
    raw = getattr(reader, "raw", None)  # the BufferedReader's SocketIO
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _fault_timeout() -> float:
    from django.conf import settings

    return getattr(settings, "SANDBOX_FAULT_SLOW_SECONDS", 1.5)


def deliver(
    platform: str,
    recipient: str,
    payload: str,
    *,
    content_type: str = "application/json",
    kind: str = "message",
    sender: str = "",
) -> SandboxMessage:
    """Put a message in ``recipient``'s inbox; ``sender`` names the person whose own token sent
    it (a relay sending as them), blank for the bot."""
    return SandboxMessage.objects.create(
        platform=platform,
        recipient=recipient.lower(),
        payload=payload,
        content_type=content_type,
        kind=kind,
        sender=sender.lower(),
    )


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def expire_access_tokens(platform: str, email: str) -> int:
    """Make every access token of that user expired (tests, and the access_token_expired case)."""
    return SandboxToken.objects.filter(
        platform=platform, kind=SandboxToken.Kind.ACCESS, user__email__iexact=email
    ).update(expires_at=timezone.now() - timedelta(seconds=1))
