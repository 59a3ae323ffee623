"""Webex runs the shared platform contract against its sandbox fake, through requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from platforms.base import PlatformAdapter
from platforms.registry import get_adapter
from platforms.sandbox.models import SandboxToken
from platforms.tests import corpus
from platforms.tests.contract import SAMPLE, PlatformContract, ScriptCase
from platforms.tests.user_sends import peer_of, relay_send
from platforms.webex.tests.payloads import validate_card_payload
from tokens.models import Credential

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

    # --- the wire-shape corpus (platforms/webex/fixtures/) --------------------------------------
    def exercise_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        if wire.extra.get("credential") == "idle_past_limit":
            # Our own record says the refresh token idled past Webex's 90 days.
            Credential.objects.filter(pk=account.credential_id).update(
                refresh_token_last_used_at=timezone.now() - timedelta(days=91),
                refresh_token_issued_at=timezone.now() - timedelta(days=120),
            )
        if (wire.request.get("form") or {}).get("grant_type") == "authorization_code":
            return self._redeem_code(adapter, account)
        return super().exercise_token(wire, adapter, account)

    def _redeem_code(self, adapter: PlatformAdapter, account) -> Any:
        # Sign-in and re-sync: a real consent on the fake's page, then the code redeemed the way
        # finish_oauth redeems it. (finish_oauth then names the person with GET /v1/people/me,
        # which a replayed answer's made-up access token cannot pass: people_me_ok.json covers it.)
        flow, params, redirect_uri = self._signed_in(adapter, account)
        response = adapter._call(
            "POST",
            "/access_token",
            "token",
            data={
                "grant_type": "authorization_code",
                "client_id": adapter._app("client_id"),
                "client_secret": adapter._app("client_secret"),
                "code": params["code"],
                "redirect_uri": redirect_uri,
                "code_verifier": flow["code_verifier"],
            },
        )
        if response.status_code != 200:
            raise adapter._error("token", response)
        return adapter._grant(response, scopes=list(flow.get("scopes") or []))

    def wire_context(self, account) -> dict[str, str]:
        # A colleague to message as the person (the relay's user send).
        return {**super().wire_context(account), "peer_email": peer_of(account)["email"]}

    def exercise_user_send(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return relay_send(wire, adapter, self.wire_context(account))

    def exercise_direct(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return adapter.find_sent(self._installation(account), account, "contract-never-sent")

    def given_wrong_client_secret(self, sandbox, account, context: dict[str, str]) -> None:
        context["client_secret"] = "not-the-integration-secret"

    def given_refresh_token_expired(self, sandbox, account, context: dict[str, str]) -> None:
        SandboxToken.objects.filter(
            platform="webex", kind=SandboxToken.Kind.REFRESH, user__email=account.person.email
        ).update(expires_at=timezone.now() - timedelta(days=1))

    def given_one_message_sent(self, sandbox, account, context: dict[str, str]) -> None:
        get_adapter("webex").send(self._installation(account), account, SAMPLE)
