"""What Zoom answers, body for body: successes and the failures of each situation.

Bodies follow platforms/zoom/errors.py (and its sources): the token endpoint's
``{"reason", "error"}``, zoom.us's ``{"status", "errorCode", "errorMessage", "result"}`` for the
numbered OAuth codes, and the REST API's ``{"code", "message"}``.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils import timezone

from platforms.sandbox.fakes.zoom.tokens import jid_of, tracking_id
from platforms.sandbox.models import SandboxUser

Answer = tuple[int, dict[str, Any], dict[str, str]]

INVALID_TOKEN: Answer = (400, {"reason": "Invalid Token!", "error": "invalid_grant"}, {})
INVALID_CLIENT: Answer = (
    400,
    {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
    {},
)
UNSUPPORTED_GRANT: Answer = (
    400,
    {"reason": "unsupported grant type", "error": "unsupported_grant_type"},
    {},
)


# A code Zoom does not know or has redeemed already: the reason names the code, the error is
# invalid_request (https://github.com/Jericho/ZoomNet/issues/36, the answer to a code used twice).
def invalid_code(code: str) -> Answer:
    return (400, {"reason": f"Invalid authorization code {code}", "error": "invalid_request"}, {})


REDIRECT_MISMATCH: Answer = (
    400,
    {"reason": "Invalid request : Redirect URI mismatch.", "error": "invalid_request"},
    {},
)
BAD_VERIFIER: Answer = (400, {"reason": "Invalid code_verifier", "error": "invalid_grant"}, {})
API_INVALID_TOKEN: Answer = (401, {"code": 124, "message": "Invalid access token."}, {})
API_EXPIRED_TOKEN: Answer = (401, {"code": 124, "message": "Access token is expired."}, {})
RATE_LIMITED: Answer = (
    429,
    {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. "
        "Try again later.",
    },
    {"Retry-After": "1", "X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS"},
)
MISSING_SCOPE: Answer = (
    400,
    {"code": 4711, "message": "Invalid access token, does not contain scopes:[user:read:user]."},
    {},
)
# https://developers.zoom.us/docs/api/errors/ ("Error response example").
NOT_A_JSON_BODY: Answer = (
    400,
    {"code": 300, "message": "Request Body should be a valid JSON object."},
    {},
)
CHATBOT_NOT_AUTHORIZED: Answer = (
    400,
    {"code": 7004, "message": "Not authorized.", "result": False},
    {},
)


def no_such_user(user: str) -> Answer:
    """Code 1001 of the REST API, "User does not exist: {userId}." (GET_USER in zoom/errors)."""
    return (404, {"code": 1001, "message": f"User does not exist: {user}."}, {})


def coded(code: int, message: str) -> Answer:
    """zoom.us's envelope for the numbered OAuth errors (4700-4741)."""
    return (400, {"status": False, "errorCode": code, "errorMessage": message, "result": None}, {})


REVOKED_BY_NEWER_AUTHORIZATION = coded(4741, "The token has been revoked.")
CODE_EXPIRED = coded(4733, "Code is expired")

# How the token endpoint refuses a refresh for a user in each situation.
TOKEN_FAILURES: dict[str, Answer] = {
    "grant_revoked": INVALID_TOKEN,
    "app_disabled": coded(4717, "The app has been disabled"),
    "user_deleted": coded(4735, "The owner of the token does not exist."),
    "consent_missing": coded(4738, "The token is disabled by admin."),
    "transient": RATE_LIMITED,
}
# How GET /v2/users/me refuses the access token of a user in each situation. Where the grant is
# gone the API only says the token is invalid; the refresh that follows says why.
PROBE_FAILURES: dict[str, Answer] = {
    "grant_revoked": API_INVALID_TOKEN,
    "app_disabled": API_INVALID_TOKEN,
    "user_deleted": API_INVALID_TOKEN,
    "consent_missing": API_INVALID_TOKEN,
    "access_token_expired": API_EXPIRED_TOKEN,
    "insufficient_scope": MISSING_SCOPE,
    "transient": RATE_LIMITED,
}
# Situations that stop the authorize step itself (admin action needed), as zoom.us shows them.
AUTHORIZE_FAILURES: dict[str, tuple[int, str]] = {
    "app_disabled": (4717, "The app has been disabled"),
    "user_deleted": (4735, "The owner of the token does not exist."),
    "user_disabled": (4700, "Your account has been deactivated. Contact your account admin."),
    "consent_missing": (
        4738,
        "Your account admin needs to approve this app before you can add it.",
    ),
}
# What signing in again heals (a new authorization replaces the broken grant).
HEALED_BY_SIGN_IN = {"grant_revoked", "access_token_expired", "insufficient_scope"}


def respond(answer: Answer) -> JsonResponse:
    status, body, headers = answer
    return zoom_json(body, status=status, headers=headers)


def zoom_json(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    response["x-zm-trackingid"] = tracking_id()
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def user_json(user: SandboxUser, *, status: str = "active") -> dict[str, Any]:
    """GET /v2/users/me for ``user`` (https://developers.zoom.us/docs/api/users/)."""
    first, _, last = (user.name or user.email.split("@")[0]).partition(" ")
    stamp = timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "id": user.upstream_id,
        "first_name": first,
        "last_name": last,
        "display_name": user.name or first,
        "email": user.email,
        "type": 2,
        "role_name": "Member",
        "pmi": 5550000000 + user.pk,
        "use_pmi": False,
        "personal_meeting_url": f"https://us05web.zoom.us/j/{5550000000 + user.pk}",
        "timezone": "UTC",
        "verified": 1,
        "dept": "",
        "created_at": stamp,
        "user_created_at": stamp,
        "last_login_time": stamp,
        "language": "en-US",
        "status": status,
        "role_id": "2",
        "account_id": user.workspace_id,
        "account_number": 10000000 + user.pk,
        "cluster": "us05",
        "jid": jid_of(user),
        "login_types": [100],
    }
