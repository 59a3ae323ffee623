"""Done means: raw error bodies replayed with the sandbox's ``script`` classify right through
the whole engine (claim, adapter over real HTTP, recording) and read back by ``check_tokens``.

The bodies follow ../shared/reference/provider-errors.md and the vendors' error references:
every Entra code of the reference with its related codes, Slack's token errors, Zoom's and
Webex's refresh failures.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from platforms.sandbox import core
from tokens.models import Credential
from tokens.tests.conftest import PLATFORMS
from tokens.tests.test_detection import check_tokens_json

ENTRA_TIME = "2026-01-19 08:55:37Z"


def entra(code: int, *, error: str = "invalid_grant", suberror: str = "") -> dict[str, Any]:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: (replayed). Trace ID: {trace} "
        f"Correlation ID: {correlation} Timestamp: {ENTRA_TIME}",
        "error_codes": [code],
        "timestamp": ENTRA_TIME,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    return body


ENTRA: dict[str, list[int]] = {
    "consent_missing": [65001, 65004, 90094, 90095],
    "ca_blocked": [53003, 53000, 53001, 53002, 530032],
    "app_disabled": [7000112, 700016],
    "user_deleted": [50034, 51004],
    "user_disabled": [50057],
    "grant_revoked": [50173, 50132, 50133],
    "mfa_enrollment_required": [50079, 50076, 50072, 50074],
    "refresh_token_inactive": [700082, 70008],
    "password_expired": [50055, 50144],
    "operator_config": [7000215, 7000222],
}

# (platform, endpoint, status, body, headers, expected situation or None for healthy)
Case = tuple[str, str, int, Any, dict[str, str], str | None]
CASES: list[Case] = [
    ("teams", "token", 400, entra(code), {}, situation)
    for situation, codes in ENTRA.items()
    for code in codes
]
CASES += [
    # The `error` field is unreliable: the AADSTS number decides.
    (
        "teams",
        "token",
        400,
        entra(53003, error="interaction_required", suberror="message_only"),
        {},
        "ca_blocked",
    ),
    ("teams", "token", 400, entra(65001, suberror="consent_required"), {}, "consent_missing"),
    (
        "teams",
        "token",
        400,
        entra(50079, error="interaction_required"),
        {},
        "mfa_enrollment_required",
    ),
    ("teams", "token", 400, entra(9999999), {}, "unknown"),
    (
        "teams",
        "token",
        429,
        entra(50196, error="temporarily_unavailable"),
        {"Retry-After": "5"},
        "transient",
    ),
    ("teams", "token", 503, "<html>Service Unavailable</html>", {}, "transient"),
]
SLACK_PROBE = {
    "invalid_auth": "grant_revoked",
    "not_authed": "grant_revoked",
    "token_revoked": "grant_revoked",  # the bot token still works: the user's own grant
    "account_inactive": "user_deleted",
    "missing_scope": "insufficient_scope",
    "no_permission": "insufficient_scope",
    "ekm_access_denied": "app_disabled",
    "team_access_not_granted": "consent_missing",
    "two_factor_setup_required": "mfa_enrollment_required",
    "service_unavailable": "transient",
    "internal_error": "transient",
    "fatal_error": "transient",
    "request_timeout": "transient",
    "token_expired": None,  # refreshed silently
}
CASES += [
    ("slack", "probe", 200, {"ok": False, "error": code}, {}, expected)
    for code, expected in SLACK_PROBE.items()
]
CASES += [
    (
        "slack",
        "probe",
        429,
        {"ok": False, "error": "ratelimited"},
        {"Retry-After": "9"},
        "transient",
    ),
    ("slack", "token", 200, {"ok": False, "error": "invalid_refresh_token"}, {}, "grant_revoked"),
    ("slack", "token", 200, {"ok": False, "error": "invalid_grant"}, {}, "grant_revoked"),
    ("slack", "token", 200, {"ok": False, "error": "account_inactive"}, {}, "user_deleted"),
]


def zoom_oauth(code: int, message: str) -> dict[str, Any]:
    return {"status": False, "errorCode": code, "errorMessage": message, "result": None}


CASES += [
    (
        "zoom",
        "token",
        400,
        {"reason": "Invalid Token!", "error": "invalid_grant"},
        {},
        "grant_revoked",
    ),
    ("zoom", "token", 400, zoom_oauth(4717, "The app has been disabled"), {}, "app_disabled"),
    ("zoom", "token", 400, zoom_oauth(4735, "Owner of token does not exist"), {}, "user_deleted"),
    ("zoom", "token", 400, zoom_oauth(4741, "Token has been revoked"), {}, "grant_revoked"),
    ("zoom", "token", 400, zoom_oauth(4711, "Refresh token invalid"), {}, "insufficient_scope"),
    (
        "zoom",
        "token",
        401,
        {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
        {},
        "operator_config",
    ),
    ("zoom", "token", 503, {"reason": "unavailable", "error": "server_error"}, {}, "transient"),
    ("zoom", "probe", 401, {"code": 124, "message": "Invalid access token."}, {}, None),
    (
        "zoom",
        "probe",
        429,
        {"code": 429, "message": "Too many requests"},
        {"Retry-After": "3"},
        "transient",
    ),
]


def webex(message: str, code: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": message,
        "errors": [{"description": message}],
        "trackingId": f"ROUTER_{uuid.uuid4()}",
    }
    if code:
        body = {"error": code, "error_description": message, **body}
    return body


CASES += [
    (
        "webex",
        "token",
        400,
        webex(
            "The refresh token provided is expired, revoked, malformed, or invalid.",
            "invalid_grant",
        ),
        {},
        "grant_revoked",
    ),
    (
        "webex",
        "token",
        400,
        webex(
            "This integration is blocked by the administrator of your organization.",
            "unauthorized_client",
        ),
        {},
        "app_disabled",
    ),
    (
        "webex",
        "token",
        401,
        webex("Invalid client credentials.", "invalid_client"),
        {},
        "operator_config",
    ),
    ("webex", "token", 403, webex("The user account is deactivated."), {}, "user_disabled"),
    ("webex", "token", 503, webex("Service Unavailable"), {"Retry-After": "5"}, "transient"),
    (
        "webex",
        "probe",
        401,
        webex("The request requires a valid access token set in the Authorization request header."),
        {},
        None,
    ),
    ("webex", "probe", 429, webex("Too Many Requests"), {"Retry-After": "3"}, "transient"),
]
CASES = [c for c in CASES if c[0] in PLATFORMS]


def _id(case: Case) -> str:
    platform, endpoint, status, body, _headers, expected = case
    code = ""
    if isinstance(body, dict):
        code = str(
            (body.get("error_codes") or [None])[0]
            or body.get("errorCode")
            or body.get("code")
            or body.get("error")
            or ""
        )
    return f"{platform}-{endpoint}-{status}-{code}-{expected}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_a_replayed_raw_error_classifies_right_through_the_engine(sandbox, enroll, case) -> None:
    platform, endpoint, status, body, headers, expected = case
    account = enroll(platform)
    email = account.person.email
    if endpoint == "token":
        # Make the check redeem the refresh token: its access token is expired on both sides.
        Credential.objects.filter(pk=account.credential_id).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        core.expire_access_tokens(platform, email)
    raw = body if isinstance(body, str) else json.dumps(body)
    sandbox.script(platform, endpoint, user=email, status=status, body=raw, headers=headers)
    (row,) = [r for r in check_tokens_json("--platform", platform) if r["person"] == email]
    if expected is None:
        assert (row["state"], row["situation"]) == ("healthy", None), row["evidence"]
        return
    assert row["situation"] == expected, row["evidence"]
    evidence = row["evidence"]
    if platform == "teams" and isinstance(body, dict) and status == 400:
        assert evidence["error_codes"] == [str(body["error_codes"][0])]
        assert evidence["correlation_id"] == body["correlation_id"]
        assert evidence["trace_id"] == body["trace_id"]
        assert evidence["timestamp"] == ENTRA_TIME
    if "Retry-After" in headers:
        assert evidence["retry_after"] == float(headers["Retry-After"])
