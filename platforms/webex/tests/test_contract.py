"""Webex runs the shared platform contract against its sandbox fake, through requests."""

from __future__ import annotations

from typing import Any

from platforms.tests.contract import PlatformContract, ScriptCase
from platforms.webex.tests.payloads import validate_card_payload

UNAUTHORIZED = "The request requires a valid access token set in the Authorization request header."


def envelope(message: str, **extra: Any) -> dict[str, Any]:
    """Webex's error body: message, errors[].description, trackingId (+ OAuth fields)."""
    return {
        **extra,
        "message": message,
        "errors": [{"description": message}],
        "trackingId": "ROUTER_62A895B5-BFF4-01BB-259A-AC12DB4A259A",
    }


def oauth(status: int, code: str, expected: str, message: str = "refused") -> ScriptCase:
    return ScriptCase(
        id=f"token-{status}-{code}",
        endpoint="token",
        status=status,
        body=envelope(message, error=code, error_description=message),
        expected=expected,
    )


class TestWebexContract(PlatformContract):
    platform = "webex"
    supports_lookup = True
    lookup_endpoint = "direct"
    scripted_cases = [
        # --- the token endpoint, POST /v1/access_token ---
        oauth(
            400,
            "invalid_grant",
            "grant_revoked",
            "The refresh token provided is expired, revoked, malformed, or invalid.",
        ),
        oauth(400, "unauthorized_client", "app_disabled"),
        oauth(401, "invalid_client", "operator_config", "Invalid client credentials."),
        oauth(400, "invalid_client", "operator_config"),
        oauth(400, "invalid_request", "operator_config"),
        oauth(400, "unsupported_grant_type", "operator_config"),
        oauth(400, "invalid_scope", "insufficient_scope"),
        oauth(400, "temporarily_unavailable", "transient"),
        oauth(400, "server_error", "transient"),
        ScriptCase(
            id="token-403-deactivated",
            endpoint="token",
            status=403,
            body=envelope("The user account is deactivated."),
            expected="user_disabled",
        ),
        ScriptCase(
            id="token-401-no-code",
            endpoint="token",
            status=401,
            body=envelope("Unauthorized"),
            expected="operator_config",
        ),
        ScriptCase(
            id="token-400-no-code",
            endpoint="token",
            status=400,
            body=envelope("Bad Request"),
            expected="unknown",
        ),
        ScriptCase(
            id="token-200-without-token",
            endpoint="token",
            status=200,
            body={"token_type": "Bearer"},
            expected="unknown",
        ),
        ScriptCase(
            id="token-503",
            endpoint="token",
            status=503,
            body=envelope("Service Unavailable"),
            headers={"Retry-After": "30"},
            expected="transient",
        ),
        ScriptCase(
            id="token-429-empty",
            endpoint="token",
            status=429,
            body="",
            headers={"Retry-After": "60"},
            expected="transient",
        ),
        # --- the probe, GET /v1/people/me ---
        ScriptCase(
            id="probe-403-scope",
            endpoint="probe",
            status=403,
            body=envelope("The access token lacks the scope spark:people_read."),
            expected="insufficient_scope",
        ),
        ScriptCase(
            id="probe-404",
            endpoint="probe",
            status=404,
            body=envelope("Person not found."),
            expected="user_deleted",
        ),
        ScriptCase(
            id="probe-423",
            endpoint="probe",
            status=423,
            body=envelope("Locked"),
            headers={"Retry-After": "10"},
            expected="transient",
        ),
        ScriptCase(
            id="probe-400",
            endpoint="probe",
            status=400,
            body=envelope("The request was invalid."),
            expected="unknown",
        ),
        ScriptCase(
            id="probe-504",
            endpoint="probe",
            status=504,
            body="<html>Gateway Timeout</html>",
            expected="transient",
        ),
        ScriptCase(
            id="probe-200-not-json",
            endpoint="probe",
            status=200,
            body="<html>captive portal</html>",
            expected="unknown",
        ),
    ]

    def validate_payload(self, payload: dict[str, Any]) -> None:
        validate_card_payload(payload)
