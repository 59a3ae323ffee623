"""What the fake Webex's answers look like: ids, tokens, the error envelope, token answers.

Webex answers errors with ``{"message", "errors": [{"description"}], "trackingId"}`` and a
``TrackingID`` header; its token endpoint adds the RFC 6749 ``error`` code. Tokens are long opaque
strings like Webex's (``<base64>_PF84_<org uuid>``); access tokens live 14 days, refresh tokens 90
days and do not rotate (a refresh answers the same refresh token with its 90 days started again).
"""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

from django.http import HttpResponse, JsonResponse

from platforms.sandbox import core
from platforms.sandbox.models import SandboxToken, SandboxUser

KEY = "webex"
ACCESS_SECONDS = 1209599  # 14 days, as Webex answers it
REFRESH_SECONDS = 7776000  # 90 days
CODE_TTL = timedelta(minutes=5)
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
APP_NAME = "Mio Auto Heal"
BOT_EMAIL = "mio-auto-heal@webex.bot"
UNAUTHORIZED_TEXT = (
    "The request requires a valid access token set in the Authorization request header."
)
# The scopes the sandbox's demo integration is registered with, as Webex's consent page words them.
INTEGRATION_SCOPES = {
    "spark:people_read": "Read your company directory",
    "spark:messages_read": "Read the content of rooms that you are in",
    "spark:messages_write": "Post and delete messages on your behalf",
    "spark:rooms_read": "List the titles of rooms that you are in",
    "spark:kms": "Access to Webex's encryption keys for your content",
}
# What a fresh sign-in and consent really repairs; admin situations refuse the sign-in instead.
HEALED_BY_SIGN_IN = {"grant_revoked", "access_token_expired", "insufficient_scope"}
# The access token is refused (401) while the user is in one of these.
TOKEN_REFUSED = {"grant_revoked", "app_disabled", "user_disabled", "access_token_expired"}
S = SandboxToken.Kind


def tracking_id() -> str:
    return f"ROUTER_{str(uuid.uuid4()).upper()}"


def webex_id(kind: str, value: uuid.UUID | str) -> str:
    """Webex ids are base64 of ``ciscospark://us/<KIND>/<uuid>`` without padding."""
    raw = f"ciscospark://us/{kind}/{value}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


def org_uuid(workspace_id: str) -> str:
    try:
        decoded = base64.b64decode(workspace_id + "=" * (-len(workspace_id) % 4)).decode()
        return str(uuid.UUID(decoded.rsplit("/", 1)[-1]))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, workspace_id))


def opaque_token(workspace_id: str) -> str:
    """Shaped like Webex's tokens: base64 of random hex, ``_PF84_`` and the org's uuid."""
    noise = (uuid.uuid4().hex + uuid.uuid4().hex)[:54].encode()
    return f"{base64.b64encode(noise).decode().rstrip('=')}_PF84_{org_uuid(workspace_id)}"


def error(
    status: int, message: str, *, code: str = "", headers: dict | None = None
) -> HttpResponse:
    tid = tracking_id()
    body: dict[str, Any] = {"message": message, "errors": [{"description": message}]}
    if code:
        body = {"error": code, "error_description": message, **body}
    body["trackingId"] = tid
    response = JsonResponse(body, status=status)
    response["TrackingID"] = tid
    for name, value in (headers or {}).items():
        response[name] = value
    return response


IDBROKER_TOKEN_URL = "https://idbroker.webex.com/idb/oauth2/v1/access_token"  # noqa: S105


def broker_refusal(status: int, code: str, description: str) -> HttpResponse:
    """A refusal of Webex's identity broker, wrapped by the API router as Webex answers a
    revoked or expired refresh token: the OAuth code is only inside the text (issue 12,
    finding 3; ``platforms/webex/fixtures/token/refresh_revoked_wrapped.json``)."""
    tid = tracking_id()
    reason = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}.get(status, "Error")
    message = (
        f"POST failed: HTTP/1.1 {status} {reason} (url = {IDBROKER_TOKEN_URL}, "
        f"request/response TrackingId = {tid}, error = '{code}', description = '{description}')"
    )
    response = JsonResponse(
        {"message": message, "errors": [{"description": message}], "trackingId": tid},
        status=status,
    )
    response["TrackingID"] = tid
    return response


def unavailable() -> HttpResponse:
    return error(503, "Service Unavailable", headers={"Retry-After": "5"})


def ok(body: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(body)
    response["TrackingID"] = tracking_id()
    return response


def mint(user: SandboxUser, scopes: list[str], refresh: str | None = None) -> dict[str, Any]:
    """A token answer as Webex gives it; a new refresh token only when none is passed."""
    access = core.issue(
        KEY,
        S.ACCESS,
        user,
        opaque_token(user.workspace_id),
        ttl=timedelta(seconds=ACCESS_SECONDS),
        meta={"scopes": scopes},
    )
    if refresh is None:
        refresh = core.issue(
            KEY,
            S.REFRESH,
            user,
            opaque_token(user.workspace_id),
            ttl=timedelta(seconds=REFRESH_SECONDS),
            meta={"scopes": scopes},
        )
    return {
        "access_token": access,
        "expires_in": ACCESS_SECONDS,
        "refresh_token": refresh,
        "refresh_token_expires_in": REFRESH_SECONDS,
        "token_type": "Bearer",
    }


def bot_id() -> str:
    return webex_id("PEOPLE", uuid.uuid5(uuid.NAMESPACE_URL, BOT_EMAIL))
