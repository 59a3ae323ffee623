"""What the fake Entra, Graph and Bot Framework hand out and answer, shaped like the real ones.

Tokens look like Microsoft's (JWT-shaped access and id tokens, ``0.A…``/``1.A…`` opaque refresh
tokens and codes) but are random: only their hashes are stored. Error bodies follow Entra's exact
shape (``error``, ``error_description`` with the AADSTS text and the Trace ID / Correlation ID /
Timestamp lines, ``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id``, ``error_uri``,
``suberror``) and Graph's ``{"error": {"code", "message", "innerError"}}``.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
BOT_FRAMEWORK_RESOURCE = "https://api.botframework.com"
ACCESS_TTL = 3599  # seconds, as Entra usually answers (60-90 minutes)
BOT_TTL = 86399
REFRESH_IDLE_DAYS = 90
# Which tenant a sandbox user lives in when nobody says: one per email domain, stable.
TENANT_NAMESPACE = uuid.UUID("6f1d8b0e-5a57-4c2e-9d3e-0c4a3e5b7a11")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict[str, Any]) -> str:
    """A token shaped like Entra's RS256 JWTs; the signature is random bytes (never checked)."""
    header = {"typ": "JWT", "alg": "RS256", "kid": "sandbox-signing-key"}
    return ".".join(
        [
            b64url(json.dumps(header, separators=(",", ":")).encode()),
            b64url(json.dumps(claims, separators=(",", ":")).encode()),
            b64url(secrets.token_bytes(256)),
        ]
    )


def opaque(prefix: str = "0.A", nbytes: int = 420) -> str:
    """Entra's refresh tokens and codes: long, opaque, base64url after a version prefix."""
    return prefix + b64url(secrets.token_bytes(nbytes))


def tenant_for(email: str) -> str:
    return str(uuid.uuid5(TENANT_NAMESPACE, email.rsplit("@", 1)[-1].lower()))


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def user_access_token(
    user: Any, *, client_id: str, scopes: list[str], cae: bool
) -> tuple[str, dict[str, Any]]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": GRAPH_APP_ID,
        "iss": f"https://sts.windows.net/{user.workspace_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + ACCESS_TTL,
        "appid": client_id,
        "name": user.name or user.email,
        "oid": user.upstream_id,
        "scp": " ".join(scopes),
        "tid": user.workspace_id,
        "upn": user.email,
        "uti": b64url(secrets.token_bytes(16)),
        "ver": "1.0",
    }
    if cae:
        claims["xms_cc"] = ["CP1"]
    return jwt(claims), claims


def id_token(user: Any, *, client_id: str, nonce: str = "") -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": client_id,
        "iss": f"https://login.microsoftonline.com/{user.workspace_id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + ACCESS_TTL,
        "name": user.name or user.email,
        "oid": user.upstream_id,
        "preferred_username": user.email,
        "email": user.email,
        "sub": b64url(uuid.uuid5(TENANT_NAMESPACE, f"{client_id}:{user.upstream_id}").bytes),
        "tid": user.workspace_id,
        "uti": b64url(secrets.token_bytes(16)),
        "ver": "2.0",
    }
    if nonce:
        claims["nonce"] = nonce
    return jwt(claims)


def client_info(user: Any) -> str:
    return b64url(json.dumps({"uid": user.upstream_id, "utid": user.workspace_id}).encode())


def correlation_id(request: HttpRequest) -> str:
    """Entra echoes the caller's ``client-request-id`` (msal sends one) as the correlation id."""
    given = request.headers.get("client-request-id", "")
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid4())


def entra_error(
    request: HttpRequest,
    status: int,
    error: str,
    code: int,
    message: str,
    *,
    suberror: str = "",
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    trace, correlation, when = str(uuid.uuid4()), correlation_id(request), timestamp()
    body: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {message}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {correlation}\r\nTimestamp: {when}"
        ),
        "error_codes": [code],
        "timestamp": when,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    response = JsonResponse(body, status=status)
    response["x-ms-request-id"] = trace
    response["client-request-id"] = correlation
    response["Cache-Control"] = "no-store, no-cache"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def graph_error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> JsonResponse:
    request_id = str(uuid.uuid4())
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }
    }
    response = JsonResponse(body, status=status)
    response["request-id"] = request_id
    response["client-request-id"] = request_id
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def cae_challenge(message: str) -> JsonResponse:
    """Graph's Continuous Access Evaluation challenge: 401 with ``insufficient_claims``."""
    claims = {"access_token": {"nbf": {"essential": True, "value": str(int(time.time()))}}}
    encoded = base64.b64encode(json.dumps(claims).encode()).decode()
    challenge = (
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
        f'authorize", client_id="{GRAPH_APP_ID}", error="insufficient_claims", '
        f'claims="{encoded}"'
    )
    return graph_error(
        401, "InvalidAuthenticationToken", message, headers={"WWW-Authenticate": challenge}
    )


def app() -> dict[str, str]:
    return settings.PLATFORM_APPS["teams"]
